import AxeBuilder from '@axe-core/playwright';
import { expect, hydrated, signIn, test } from './helpers';

// The review queue as a manager works it, at phone and desktop sizes: counts by SLA state,
// filters, a decision made from the keyboard, and clean registrations approved together.

test('a manager filters the queue, decides by keyboard and approves clean registrations together', async ({ page }, testInfo) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals/queue');
  await hydrated(page);

  // Counts by SLA state are links that filter; the count line says what is shown.
  const tabs = page.getByRole('navigation', { name: 'By SLA state' });
  await expect(tabs.getByRole('link', { name: /All/ })).toHaveAttribute('aria-current', 'page');
  await tabs.getByRole('link', { name: /Breached/ }).click();
  await expect(page).toHaveURL(/sla=breached/);
  await expect(tabs.getByRole('link', { name: /Breached/ })).toHaveAttribute('aria-current', 'page');
  const cards = page.locator('.queue-card');
  await expect(cards.first()).toBeVisible();
  expect(await page.locator('.queue-card .sla.breached').count()).toBe(await cards.count());
  await expect(page.locator('#queue-count')).toContainText(/Showing 1–\d+ of \d+ matching/);
  await page.screenshot({ path: testInfo.outputPath(`queue-${testInfo.project.name}.png`), fullPage: false });

  // A registration contested only by another partner's waiting registration: declining
  // the rival leaves it clean. Found with the conflict filter, then by its customer.
  await page.goto('/deals/queue?conflict=competing');
  await hydrated(page);
  const contested = page.locator('.queue-card[data-clean="false"]')
    .filter({ has: page.locator('.conflict-summary', { hasText: /^Competing registration$/ }) })
    .filter({ has: page.locator('.other-claims li') });
  await expect(contested.first()).toBeVisible();
  const customer = (await contested.first().locator('h2').innerText()).trim();
  await page.getByLabel('Search customer, partner or owner').fill(customer);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/search=/);
  await hydrated(page);
  const pair = page.locator('.queue-card')
    .filter({ has: page.getByRole('heading', { name: customer, exact: true }) });
  await expect(pair).toHaveCount(2);
  const keep = await pair.nth(0).getAttribute('data-deal-id');
  const rival = pair.nth(1);

  // The decision by keyboard alone: type the rationale, tab to Decline, press Enter.
  await rival.getByLabel(/Rationale/).fill('The other partner registered first with a customer meeting.');
  await rival.getByLabel(/Rationale/).focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(rival.getByRole('button', { name: /Decline/ })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/search=.*&decided=\d+/);
  const decided = page.locator('#decided');
  await expect(decided).toContainText('Decision recorded');
  await expect(decided).toContainText('Declined');
  await expect(decided).toBeFocused();
  await hydrated(page);

  // The one left is clean now (so the competing filter, kept on the way back, no longer
  // lists it), and can be ticked for bulk approval.
  await expect(page.locator(`.queue-card[data-deal-id="${keep}"]`)).toHaveCount(0);
  await page.goto(`/deals/queue?search=${encodeURIComponent(customer)}`);
  await hydrated(page);
  const freed = page.locator(`.queue-card[data-deal-id="${keep}"]`);
  await expect(freed.locator('.conflict-summary')).toHaveText('Clean');
  await expect(freed.getByRole('checkbox', { name: 'Include in bulk approval' })).toBeVisible();

  // Every clean registration on the page, approved with one rationale.
  await page.goto('/deals/queue?conflict=clean');
  await hydrated(page);
  const clean = page.locator('.queue-card[data-clean="true"]');
  const ticked = await clean.count();
  expect(ticked).toBeGreaterThan(0);
  await expect(page.locator(`.queue-card[data-deal-id="${keep}"]`)).toHaveCount(1);
  for (let i = 0; i < ticked; i++) {
    await clean.nth(i).getByRole('checkbox', { name: 'Include in bulk approval' }).check();
  }
  const bulk = page.getByRole('form', { name: 'Approve clean registrations together' });
  await bulk.getByRole('button', { name: 'Approve ticked registrations' }).click();
  await expect(bulk.locator('.field-error', { hasText: /Explain the decision/ })).toBeVisible();
  await bulk.getByLabel(/Rationale for all of them/).fill('Checked each customer: no other claim on any of them.');
  await page.screenshot({ path: testInfo.outputPath(`queue-bulk-${testInfo.project.name}.png`), fullPage: false });
  await bulk.getByRole('button', { name: 'Approve ticked registrations' }).click();
  await expect(page).toHaveURL(/conflict=clean&decided=/);
  await expect(page.locator('#decided')).toContainText(ticked === 1 ? 'Decision recorded' : `${ticked} decisions recorded`);
  await expect(page.locator('#decided li', { hasText: 'Approved' })).toHaveCount(ticked);
  await expect(page.locator('.queue-card[data-clean="true"]')).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath(`queue-done-${testInfo.project.name}.png`), fullPage: false });

  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations).toEqual([]);
});

test('a filter the queue cannot use is named at its field and the rest still apply', async ({ page }) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals/queue?conflict=bogus&motion=referral');
  await hydrated(page);
  await expect(page.locator('#q-conflict-error')).toHaveText('Choose a kind of conflict from the list.');
  await expect(page.locator('[data-error-summary]')).toBeFocused();
  await expect(page.locator('.queue-card').first()).toContainText('Referral');
});

test('a manager opens a waiting deal from the queue and decides it on its own page', async ({ page }, testInfo) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals/queue?conflict=direct');
  await hydrated(page);
  const card = page.locator('.queue-card').first();
  const customer = (await card.locator('h2').innerText()).trim();
  await card.getByRole('heading').getByRole('link').click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  await hydrated(page);

  // The deal itself, what competes with it now and its other claims, then the decision.
  const deal = page.locator('.staff-deal');
  await expect(deal).toContainText('Amount');
  await expect(deal).toContainText('Proof of work');
  await expect(page.locator('.conflict-summary')).toContainText('Direct sales is working it');
  await expect(page.getByRole('heading', { name: 'Other claims on this customer' })).toBeVisible();
  await expect(page.locator('.other-claims a').first()).toHaveAttribute('href', /\/deals\/\d+/);
  await page.screenshot({ path: testInfo.outputPath(`deal-page-${testInfo.project.name}.png`), fullPage: true });
  const decision = page.getByRole('form', { name: 'Decide this registration' });
  await decision.getByRole('button', { name: 'Approve' }).click();
  await expect(decision.locator('.field-error', { hasText: /Explain the decision/ })).toBeVisible();
  await decision.getByLabel(/Rationale/).fill('Partner brought the customer; direct sales agrees to step back.');
  await decision.getByRole('button', { name: 'Approve' }).click();

  // Back on the deal: confirmed, the decision gone, the history keeping the rationale.
  await expect(page).toHaveURL(/\/deals\/\d+\?decided=\d+/);
  await expect(page.locator('#decided')).toContainText('Decision recorded: Approved');
  await expect(page.getByRole('form', { name: 'Decide this registration' })).toHaveCount(0);
  await expect(page.locator('table.audit')).toContainText('direct sales agrees to step back');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(customer);
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations).toEqual([]);
});
