import { expect, holdWasm, hydrated, PASSWORD, signIn, test } from './helpers';

// Pages are server HTML; only islands hydrate, and forms are real posts before they do.

test('a form submitted before the wasm arrives works as a plain post', async ({ page }) => {
  const release = await holdWasm(page);
  await page.goto('/login');
  const form = page.getByRole('form', { name: 'Sign in with password' });
  await form.getByLabel('Email').fill('nora@northwind.example');
  await form.getByLabel('Password').fill(PASSWORD);
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(0);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome, Nora Quist');
  release();
});

test('text typed before hydration is kept when the island takes over', async ({ page }) => {
  const release = await holdWasm(page);
  await page.goto('/login');
  const form = page.getByRole('form', { name: 'Sign in with password' });
  await form.getByLabel('Email').fill('nora@northwind.example');
  release();
  await hydrated(page);
  await expect(form.getByLabel('Email')).toHaveValue('nora@northwind.example');
  // Enhanced now: a wrong password is answered in place, in a summary that takes focus.
  await form.getByLabel('Password').fill('not the password');
  await form.getByRole('button', { name: 'Sign in' }).click();
  const summary = form.locator('[data-error-summary]');
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('That email and password do not match.');
  await expect(form.getByLabel('Email')).toHaveValue('nora@northwind.example');
  await expect(page).toHaveURL('/login');
});

test('pages without islands download no script or wasm', async ({ page }) => {
  const assets: string[] = [];
  page.on('request', (request) => { if (/\/pkg\/.*\.(js|wasm)$/.test(request.url())) assets.push(request.url()); });
  await page.goto('/nothing-here');
  await hydrated(page);
  expect(assets).toEqual([]);
});

test('a deal typed before the page is live is registered with everything typed', async ({ page }, testInfo) => {
  const company = testInfo.project.name === 'phone' ? 'Juniper Foods' : 'Quasar Textiles';
  const domain = testInfo.project.name === 'phone' ? 'juniperfoods.example' : 'quasartextiles.example';
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  const release = await holdWasm(page);
  await page.goto('/deals');
  const form = page.getByRole('form', { name: 'Register a deal' });
  await form.getByLabel('Customer company').fill(company);
  await form.getByLabel('Customer website').fill(domain);
  await form.getByLabel('Country').fill('Portugal');
  await form.getByLabel('Amount (USD)').fill('12000');
  const inThreeMonths = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
  await form.getByLabel('Expected close date').fill(inThreeMonths);
  await form.getByLabel('Next step').fill('Pilot in one plant');
  await form.getByLabel('Proof of work').fill('Site visit with the plant manager.');
  release();
  await hydrated(page);
  await expect(form.getByLabel('Customer company')).toHaveValue(company);
  await expect(form.getByLabel('Proof of work')).toHaveValue('Site visit with the plant manager.');
  await form.getByRole('button', { name: 'Register deal' }).click();
  await expect(page).toHaveURL(/\/deals\?registered=\d+$/);
  await expect(form.getByRole('status')).toContainText(company);
  await expect(page.locator('.deal-card', { hasText: company })).toContainText('Pilot in one plant');
});

test('a form refused before the page is live comes back as it was typed, with its errors', async ({ page }) => {
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  const release = await holdWasm(page);
  await page.goto('/deals');
  const form = page.getByRole('form', { name: 'Register a deal' });
  await form.getByLabel('Customer company').fill('Umber Logistics');
  await form.getByLabel('Customer website').fill('umberlogistics.example');
  await form.getByLabel('How you sell it').selectOption('referral');
  await form.getByLabel('Amount (USD)').fill('a lot');
  await form.getByLabel('Proof of work').fill('Two calls with <their> COO & CFO.');
  await form.getByRole('button', { name: 'Register deal' }).click();
  // A plain post (no script yet), refused: the page comes back with the summary in focus
  // and every value as typed, the amount included, so it can be corrected.
  await expect(page).toHaveURL(/\/deals\?.*__err=/);
  await expect(form.locator('[data-error-summary]')).toBeFocused();
  await expect(form.locator('#deal-amount-error')).not.toBeEmpty();
  await expect(form.getByLabel('Customer company')).toHaveValue('Umber Logistics');
  await expect(form.getByLabel('Customer website')).toHaveValue('umberlogistics.example');
  await expect(form.getByLabel('How you sell it')).toHaveValue('referral');
  await expect(form.getByLabel('Amount (USD)')).toHaveValue('a lot');
  await expect(form.getByLabel('Proof of work')).toHaveValue('Two calls with <their> COO & CFO.');
  // Shown once: a reload starts from an empty form.
  await page.reload();
  await expect(form.getByLabel('Customer company')).toHaveValue('');
  release();
});
