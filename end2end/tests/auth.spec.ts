import { expect, hydrated, navLink, signIn, test } from './helpers';

test('a partner signs in with a password and sees their home and navigation', async ({ page }) => {
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Welcome, Nora Quist');
  await expect(page.getByText('Northwind Resellers').first()).toBeVisible();
  await navLink(page, 'My organisation');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Partners' })).toHaveCount(0);
});

test('wrong or missing input shows field-level errors and changes nothing', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Sign in with password' });
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(form.locator('#login-email-error')).toHaveText('Enter your email address.');
  await expect(form.locator('[data-error-summary]')).toBeFocused();
  await expect(form.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');

  await form.getByLabel('Email').fill('nora@northwind.example');
  await form.getByLabel('Password').fill('not the password');
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(form.getByText('That email and password do not match.').first()).toBeVisible();
  await expect(page).toHaveURL('/login');
});

test('a partner manager sees every partner and can filter', async ({ page }) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Channel overview');
  await expect(page.getByRole('heading', { name: 'Vendor team' })).toHaveCount(0);
  await page.goto('/partners');
  await expect(page.getByRole('status').filter({ hasText: 'organisations' })).toHaveText('14 organisations');
  await page.getByLabel('Tier').selectOption('platinum');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/tier=platinum/);
  await expect(page.getByRole('status').filter({ hasText: 'organisations' })).toHaveText('3 organisations');
  await page.getByRole('link', { name: 'Atlas Integrators' }).click();
  await expect(page.getByText('Mila Novak')).toBeVisible();
});

test('a partner cannot open manager pages', async ({ page }) => {
  await signIn(page, 'ben@bluefin.example');
  await expect(page).toHaveURL('/');
  const response = await page.goto('/partners');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'No access' })).toBeVisible();
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page, 'grace@harbor.example');
  await expect(page).toHaveURL('/');
  await page.goto('/account');
  await hydrated(page);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL('/login');
  await page.goto('/');
  await expect(page).toHaveURL('/login?next=/');
});

test('a magic link from the outbox signs in once', async ({ page, context }) => {
  await page.goto('/login?next=/my-org');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Email me a sign-in link' });
  await form.getByLabel('Work email').fill('aiko@sakura.example');
  await form.getByRole('button', { name: 'Email me a link' }).click();
  await expect(form.getByText('a sign-in link is on its way')).toBeVisible();

  await page.goto('/dev/outbox');
  const email = page.locator('li.email[data-to="aiko@sakura.example"]', { hasText: 'Your sign-in link' }).first();
  const link = await email.getByRole('link').getAttribute('href');
  expect(link).toContain('/auth/magic?token=');
  await page.goto(link!);
  await hydrated(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL('/my-org');
  await expect(page.getByRole('heading', { name: 'Sakura Connect' })).toBeVisible();

  // The same link cannot be used again, even from a fresh browser.
  await context.clearCookies();
  await page.goto(link!);
  await hydrated(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByText('expired or was already used')).toBeVisible();
});

test('demo sign-in is one click', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  // The demo accounts come first: on a phone, without scrolling past the forms.
  await expect(page.locator('.demo-button').first()).toBeInViewport();
  await page.getByRole('button', { name: /Sign in as Ada Lovelace/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Program administration');
  await expect(page.getByRole('heading', { name: 'Vendor team' })).toBeVisible();
  await expect(page.getByText('Hannah Scott')).toBeVisible();

  // The admin of a demo may reset it, but only by typing RESET; anything else deletes
  // nothing and says so at the field.
  const reset = page.getByRole('region', { name: 'Demo data' });
  await expect(reset).toContainText('Everyone is signed out');
  await reset.getByLabel('Type RESET to confirm').fill('reset');
  await reset.getByRole('button', { name: 'Reset demo data' }).click();
  const again = page.getByRole('region', { name: 'Demo data' });
  await expect(again.locator('[data-field="confirm"]')).toHaveText('Type RESET in capital letters to confirm. Nothing was deleted.');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Program administration');
});
