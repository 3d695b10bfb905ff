import { expect, PASSWORD, test } from './helpers';

// With JavaScript off, the server renders every key page, and plain form posts still work.
test('sign-in page renders and a plain form post signs in', async ({ page }) => {
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  await expect(page.getByRole('button', { name: /Sign in as Marco Diaz/ })).toBeVisible();
  const form = page.getByRole('form', { name: 'Sign in with password' });
  await form.getByLabel('Email').fill('marco@lumen.example');
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Channel overview');
  await page.goto('/partners');
  await expect(page.getByRole('link', { name: 'Northwind Resellers' })).toBeVisible();
  await page.goto('/partners?partner_type=distributor');
  await expect(page.getByRole('link', { name: 'Meridian Distribution' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Northwind Resellers' })).toHaveCount(0);
});

test('signed-out visitors are redirected to sign in, then back', async ({ page }) => {
  await page.goto('/my-org');
  await expect(page).toHaveURL('/login?next=/my-org');
  const form = page.getByRole('form', { name: 'Sign in with password' });
  await form.getByLabel('Email').fill('nora@northwind.example');
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/my-org');
  await expect(page.getByText('Tomas Berg')).toBeVisible();
});

test('unknown pages get a real 404', async ({ page }) => {
  const response = await page.goto('/nothing-here');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('a sign-in link can be requested without JavaScript', async ({ page }) => {
  await page.goto('/login?next=/my-org');
  const form = page.getByRole('form', { name: 'Email me a sign-in link' });
  await form.getByLabel('Work email').fill('wei@pacific.example');
  await form.getByRole('button', { name: 'Email me a link' }).click();
  await expect(page).toHaveURL('/login?link_sent=1&next=/my-org');
  await expect(page.getByText('a sign-in link is on its way')).toBeVisible();
  await page.goto('/dev/outbox');
  // Other tests' publishing may have emailed Wei about new modules; this is the sign-in link.
  await expect(page.locator('li.email[data-to="wei@pacific.example"]', { hasText: 'Your sign-in link' }).first()).toContainText('Lumen Analytics partner portal');
});

test('learning paths work without JavaScript: catalog, reading, marking done', async ({ page }) => {
  await page.goto('/login?next=/learn');
  const form = page.getByRole('form', { name: 'Sign in with password' });
  await form.getByLabel('Email').fill('sam@keystone.example');
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL('/learn');
  await page.getByRole('link', { name: 'Start: Support Readiness' }).click();
  await expect(page.getByRole('heading', { name: 'Support FAQ', level: 2 })).toBeVisible();
  await expect(page.getByRole('link', { name: /Support readiness check — Quiz, locked/ })).toBeVisible();
  await page.getByRole('button', { name: 'Mark as read' }).click();
  await expect(page).toHaveURL(/\/learn\/\d+\?step=\d+$/);
  await expect(page.getByRole('heading', { name: 'Escalation rules and SLAs', level: 2 })).toBeVisible();
  await expect(page.getByRole('link', { name: /Support FAQ — Reading, done/ })).toBeVisible();
});
