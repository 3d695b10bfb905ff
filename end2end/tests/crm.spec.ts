import AxeBuilder from '@axe-core/playwright';
import { expect, hydrated, signIn, test } from './helpers';

// CRM sync against the fake HubSpot the test run starts (the integration tests' fake, run as
// a process: `server/examples/fake_hubspot.rs`). An admin connects, installs the properties,
// runs the first full sync and watches it finish; the records are in the fake.
const FAKE = `http://127.0.0.1:${process.env.E2E_FAKE_HUBSPOT_PORT ?? 3101}`;

test('an admin connects HubSpot, runs the first full sync and sees it finish', async ({ page, request }, testInfo) => {
  // One HubSpot per run: the desktop project connects it; the program then stays connected.
  test.skip(testInfo.project.name !== 'desktop', 'connects once per run');
  await signIn(page, 'admin@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/crm');
  await expect(page.getByRole('heading', { name: 'Connect HubSpot' })).toBeVisible();

  // A token HubSpot refuses is a field error and is not saved.
  await page.getByLabel('Service key or private-app token').fill('pat-wrong');
  await page.getByRole('button', { name: 'Connect HubSpot' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('[data-field="token"]')).toContainText('HubSpot refused this token');

  await page.getByLabel('Service key or private-app token').fill('pat-e2e-token');
  await page.getByRole('button', { name: 'Connect HubSpot' }).click();
  await expect(page.locator('p.success[role=status]')).toContainText('HubSpot is connected');
  await expect(page.locator('.facts').first()).toContainText('…oken');

  await page.getByRole('button', { name: 'Install properties' }).click();
  await expect(page.locator('p.success[role=status]')).toContainText('properties are installed');
  await page.getByRole('button', { name: 'Run full sync' }).click();
  await expect(page.locator('p.success[role=status]')).toContainText('queued for the first full sync');

  // The worker runs every second in this run; the page shows how far it got.
  await expect(async () => {
    await page.reload();
    const label = await page.locator('label[for="sync-progress"]').innerText();
    const [, done, total] = label.match(/(\d+) of (\d+)/) ?? [];
    expect(Number(total)).toBeGreaterThan(0);
    expect(done).toBe(total);
  }).toPass({ timeout: 20_000 });

  const contacts = await (await request.get(`${FAKE}/__fake/records/contacts`)).json();
  const tomas = contacts.results.find((c: { properties: Record<string, string> }) => c.properties.email === 'tomas@northwind.example');
  expect(tomas.properties.prm_certifications).not.toBe('');
  const deals = await (await request.get(`${FAKE}/__fake/records/deals`)).json();
  expect(deals.results.length).toBeGreaterThan(0);

  // The page with everything on it (status, progress, fields) on a phone and a laptop: no
  // axe violations, never wider than the screen.
  const problems: string[] = [];
  for (const width of [360, 390, 1280, 1366]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto('/crm');
    await hydrated(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) problems.push(`/crm at ${width} px is ${overflow} px wider than the screen`);
    if (width === 390 || width === 1366) {
      for (const violation of (await new AxeBuilder({ page }).analyze()).violations) {
        problems.push(`/crm at ${width} px: ${violation.id} ${violation.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
      }
    }
  }
  expect(problems).toEqual([]);
});
