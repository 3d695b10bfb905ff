import { expect, hydrated, navLink, signIn, test } from './helpers';

// Tiers: a partner sees where their organisation stands and what the next tier needs; a
// manager sees every organisation and the log of changes; an admin's mistake in the rules
// is shown on its field and changes nothing.

test('a partner sees their tier and what the next one needs', async ({ page }) => {
  await signIn(page, 'ben@bluefin.example');
  await expect(page).toHaveURL('/');
  await hydrated(page);
  await (await navLink(page, 'Tier')).click();
  await expect(page).toHaveURL('/tiers');
  await expect(page.getByRole('heading', { name: 'Bluefin Systems is Silver' })).toBeVisible();
  const gold = page.locator('.tier-check[data-tier="gold"]');
  await expect(gold.getByRole('heading')).toHaveText('Gold: still needed');
  await expect(gold).toContainText('Not met: 2 people with any certification — has 1');
  await expect(page.locator('.tier-card[data-tier="platinum"]')).toContainText('1 technical person certified in Lumen Certified Technical Specialist');
  // Other organisations stay private.
  await expect(page.locator('table.standings')).toHaveCount(0);
  await expect(page.getByText('Keystone Consulting')).toHaveCount(0);
});

test('a manager sees every organisation and the change log', async ({ page }) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/tiers');
  await hydrated(page);
  const keystone = page.locator('table.standings tbody tr', { hasText: 'Keystone Consulting' });
  await expect(keystone.locator('td').nth(1)).toHaveText('Silver');
  await expect(keystone.locator('td').nth(3)).toContainText('Gold: 2 people with any certification (has 1)');
  const change = page.locator('.change-log li', { hasText: 'Keystone Consulting' }).first();
  await expect(change).toContainText('Gold → Silver');
  await expect(change).toContainText("Priya Raman's Lumen Certified Technical Specialist certificate was revoked");
  await expect(page.locator('.tier-editor')).toHaveCount(0);
});

test('an admin mistake in the tier rules is shown on its field and changes nothing', async ({ page }) => {
  await signIn(page, 'admin@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/tiers');
  await hydrated(page);
  const gold = page.getByLabel('Gold requirements (one per line)');
  await expect(gold).toHaveValue('2');
  await gold.fill('2\ntwo technical');
  await page.getByRole('button', { name: 'Save tier rules' }).click();
  await expect(page.locator('.tier-editor fieldset', { hasText: 'Gold requirements' }).locator('.field-error').first())
    .toContainText('Line 2: start with a number of people');
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Gold requirements (one per line)')).toHaveValue('2');
});
