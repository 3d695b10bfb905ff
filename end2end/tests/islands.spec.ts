import { expect, hydrated, PASSWORD, test } from './helpers';

// Pages are server HTML; only islands hydrate, and forms are real posts before they do.

test('a form submitted before the wasm arrives works as a plain post', async ({ page }) => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/pkg/*.wasm', async (route) => { await held; await route.continue(); });
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
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/pkg/*.wasm', async (route) => { await held; await route.continue(); });
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
