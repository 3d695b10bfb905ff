import { Page } from '@playwright/test';
import { expect, PASSWORD, test } from './helpers';

/** Signs in with the password form (a plain post) and lands on `next`. */
async function signInWithoutScript(page: Page, email: string, next: string) {
  await page.goto(`/login?next=${next}`);
  const form = page.getByRole('form', { name: 'Sign in with password' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(next);
}

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
  await signInWithoutScript(page, 'sam@keystone.example', '/learn');
  // Sam holds a current support certificate, so the catalog offers to review the path.
  await page.getByRole('link', { name: 'Review: Support Readiness' }).click();
  await expect(page.getByRole('heading', { name: 'Support FAQ', level: 2 })).toBeVisible();
  await expect(page.getByRole('link', { name: /Support readiness check — Quiz, locked/ })).toBeVisible();
  await page.getByRole('button', { name: 'Mark as read' }).click();
  await expect(page).toHaveURL(/\/learn\/\d+\?step=\d+$/);
  await expect(page.getByRole('heading', { name: 'Escalation rules and SLAs', level: 2 })).toBeVisible();
  await expect(page.getByRole('link', { name: /Support FAQ — Reading, done/ })).toBeVisible();
});

test('a partner registers and edits a deal without JavaScript; an error stays on its card', async ({ page }) => {
  await signInWithoutScript(page, 'tomas@northwind.example', '/deals');
  const form = page.getByRole('form', { name: 'Register a deal' });
  await form.getByLabel('Customer company').fill('Orchid Ceramics');
  await form.getByLabel('Customer website').fill('orchidceramics.example');
  await form.getByLabel('Country').fill('Spain');
  await form.getByLabel('Amount (USD)').fill('18000');
  await form.getByLabel('Expected close date').fill(new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10));
  await form.getByLabel('Next step').fill('Kiln demo');
  await form.getByLabel('Proof of work').fill('Visited the workshop.');
  await form.getByRole('button', { name: 'Register deal' }).click();
  await expect(page).toHaveURL(/\/deals\?registered=\d+$/);
  await expect(form.getByRole('status')).toContainText('Orchid Ceramics');

  const card = page.locator('.deal-card', { hasText: 'Orchid Ceramics' });
  await card.getByText('Update deal').click();
  await card.getByLabel('Stage').selectOption('negotiate');
  await card.getByLabel('Proof of work').fill('');
  await card.getByRole('button', { name: 'Save changes' }).click();
  // Back on the page, the editor that failed is open with its error; no other card has one.
  await expect(page).toHaveURL(/form_item=edit-\d+#edit-\d+$/);
  const failed = page.locator('.deal-card', { hasText: 'Orchid Ceramics' });
  await expect(failed.locator('.field-error', { hasText: /Describe your work with the customer/ })).toBeVisible();
  await expect(failed.locator('[data-error-summary]')).toBeVisible();
  await expect(page.locator('.deal-card [data-error-summary]')).toHaveCount(1);

  await failed.getByLabel('Stage').selectOption('negotiate');
  await failed.getByLabel('Proof of work').fill('Visited the workshop; pilot kiln agreed.');
  await failed.getByRole('button', { name: 'Save changes' }).click();
  await expect(page).not.toHaveURL(/form_item=/);
  await expect(page.locator('.deal-card', { hasText: 'Orchid Ceramics' }).locator('.meta').first()).toContainText('Negotiate');
});

test('a manager decides a registration and exports the pipeline without JavaScript', async ({ page }) => {
  await signInWithoutScript(page, 'hannah@lumen.example', '/deals/queue');
  const card = page.locator('.queue-card').first();
  const name = (await card.locator('h2').innerText()).trim();
  const id = await card.getAttribute('data-deal-id');
  await card.getByRole('button', { name: 'Request info' }).click();
  const failed = page.locator(`.queue-card[data-deal-id="${id}"]`);
  await expect(failed.locator('.field-error', { hasText: /Explain the decision/ })).toBeVisible();
  await expect(page.locator('.queue-card [data-error-summary]')).toHaveCount(1);
  await failed.getByLabel(/Rationale/).fill('Please add the customer contact you met.');
  await failed.getByRole('button', { name: 'Request info' }).click();
  await expect(page).toHaveURL(`/deals/queue?decided=${id}`);
  await expect(page.locator('#decided')).toContainText('More information requested');
  await expect(page.locator(`.queue-card[data-deal-id="${id}"]`)).toHaveCount(1);
  await expect(page.locator(`.queue-card[data-deal-id="${id}"]`)).toContainText('More information requested');

  await page.goto('/deals/pipeline?motion=referral');
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV', exact: true }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('pipeline.csv');
  const text = await (await file.createReadStream()).toArray();
  const csv = Buffer.concat(text as Buffer[]).toString('utf8');
  expect(csv.split('\n')[0]).toContain('deal_id,customer,region,partner');
  for (const line of csv.trim().split('\n').slice(1)) expect(line).toContain(',referral,');
  expect(name.length).toBeGreaterThan(0);
});
