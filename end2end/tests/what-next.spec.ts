import AxeBuilder from '@axe-core/playwright';
import { expect, hydrated, signIn, test } from './helpers';

// A partner's home says what to do next, each tile a link that works; the catalog says a
// current certificate settles its path instead of showing 0 %.

test('home tiles say what waits on the partner and each one links to a page that opens', async ({ page }, testInfo) => {
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  await hydrated(page);
  const section = page.getByRole('region', { name: 'What next' });
  await expect(section.getByRole('heading', { name: 'What next' })).toBeVisible();
  const tiles = section.locator('a.next-tile');
  const count = await tiles.count();
  expect(count).toBeGreaterThan(0);
  await expect(section.locator('#next-count')).toHaveText(count === 1 ? '1 thing waits on you.' : `${count} things wait on you.`);
  const hrefs = await tiles.evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  for (const href of hrefs) {
    expect(href).toMatch(/^\/(learn\/\d+|deals\/\d+|announcements#announcement-\d+|certificates)$/);
    const response = await page.request.get(href);
    expect(response.status(), href).toBe(200);
  }
  // Urgent ones first, and marked in words.
  const urgent = await tiles.evaluateAll((links) => links.map((a) => a.classList.contains('urgent')));
  expect(urgent).toEqual([...urgent].sort((a, b) => Number(b) - Number(a)));
  if (urgent[0]) await expect(tiles.first()).toContainText('Urgent');
  await page.screenshot({ path: testInfo.outputPath(`home-${testInfo.project.name}.png`), fullPage: false });
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations).toEqual([]);

  // The first tile leads where it says.
  await tiles.first().click();
  await expect(page).toHaveURL(new RegExp(`${hrefs[0].replace(/[#?]/g, '\\$&')}$`));
});

test('a current certificate settles its required path in the catalog', async ({ page }, testInfo) => {
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  await page.goto('/learn');
  await hydrated(page);
  const certified = page.locator('li.path-card').filter({ has: page.locator('.badge', { hasText: 'Certified' }) });
  await expect(certified.first()).toBeVisible();
  await expect(certified.first()).toContainText('Nothing is due here: your');
  await expect(certified.first()).not.toContainText('0% done');
  await expect(certified.first().getByRole('link', { name: /^Review:/ })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath(`catalog-${testInfo.project.name}.png`), fullPage: false });
});
