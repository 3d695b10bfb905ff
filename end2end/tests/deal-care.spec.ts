import { expect, hydrated, signIn, test } from './helpers';

// After registration: a partner advances a deal under the stage rules, and a manager
// confirms who owns a renewal. Each project (desktop, phone) uses its own customer.

test('a partner advances a deal; the stage rules name the missing field; the trail records it', async ({ page }, testInfo) => {
  const phone = testInfo.project.name === 'phone';
  const company = phone ? 'Lyra Bakeries' : 'Orion Bakeries';
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Register a deal' });
  await form.getByLabel('Customer company').fill(company);
  await form.getByLabel('Customer website').fill(`${company.toLowerCase().replace(' ', '')}.fr`);
  await form.getByLabel('Country').fill('France');
  await form.getByLabel('Amount (USD)').fill('30000');
  const inThreeMonths = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
  await form.getByLabel('Expected close date').fill(inThreeMonths);
  await form.getByLabel('Next step').fill('Tasting session with the owners');
  await form.getByLabel('Proof of work').fill('Met the owners twice; they need delivery dashboards.');
  await form.getByRole('button', { name: 'Register deal' }).click();
  await expect(form.getByRole('status').filter({ hasText: 'Approved' })).toBeVisible();

  const card = page.locator('.deal-card', { hasText: company });
  await card.getByText('Update deal').click();
  await card.getByLabel('Stage').selectOption('negotiate');
  await card.getByLabel('Proof of work').fill('');
  await card.getByRole('button', { name: 'Save changes' }).click();
  await expect(card.locator('.field-error').filter({ hasText: 'Describe your work with the customer before moving to Negotiate' })).toBeVisible();
  await expect(card.locator('.meta').first()).toContainText('Qualify');

  await card.getByLabel('Proof of work').fill('Met the owners twice; pilot agreed for March.');
  await card.getByLabel('Next step').fill('Send the order form');
  await card.getByRole('button', { name: 'Save changes' }).click();
  const saved = page.locator('.deal-card', { hasText: company });
  await expect(saved.locator('.meta').first()).toContainText('Negotiate');
  await expect(saved).toContainText('Next: Send the order form');

  await saved.getByRole('link', { name: company }).click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  const trail = page.locator('table.audit tbody');
  await expect(trail.locator('tr', { hasText: 'Stage' })).toContainText('Qualify → Negotiate');
  await expect(trail.locator('tr', { hasText: 'Next step' })).toContainText('Send the order form');
});

test('a manager confirms the owner of an upcoming renewal', async ({ page }) => {
  await signIn(page, 'hannah@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals/renewals');
  await hydrated(page);
  const due = page.locator('.renewal-card', { has: page.locator('.badge', { hasText: 'Confirmation due' }) }).first();
  const name = (await due.locator('h2').innerText()).trim();
  await due.getByRole('button', { name: 'Confirm owner' }).click();
  const confirmed = page.locator('.renewal-card', { has: page.locator('h2', { hasText: name }) });
  await expect(confirmed.locator('.badge')).toHaveText('Confirmed');
  await expect(confirmed).toContainText('by Hannah Scott');
});
