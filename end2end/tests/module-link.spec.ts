import { expect, hydrated, signIn, test } from './helpers';

// Publishing a module emails its audience a link straight into it: the partner opens it
// from the email and lands in the module without signing in; the rest of the portal still
// asks for a sign-in; the spent link gets her a fresh one.

test('a partner opens the emailed link and lands in the module without signing in', async ({ page, browser }, testInfo) => {
  await signIn(page, 'admin@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/author');
  await hydrated(page);
  await page.getByRole('link', { name: 'Support Readiness' }).click();
  await expect(page).toHaveURL(/\/author\/\d+$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Unpublish' }).click();
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Unpublish' })).toBeVisible();

  await page.goto('/dev/outbox');
  const email = page.locator('li.email[data-to="ines@northwind.example"]', { hasText: 'New module: Support Readiness' }).first();
  const link = await email.getByRole('link').getAttribute('href');
  expect(link).toContain('/auth/magic?token=');

  // Ines, on her phone or laptop, with no session.
  const inbox = await browser.newContext({ ...testInfo.project.use });
  const partner = await inbox.newPage();
  await partner.goto(link!);
  await hydrated(partner);
  await partner.getByRole('button', { name: 'Continue' }).click();
  await expect(partner).toHaveURL(/\/learn\/\d+$/);
  await expect(partner.locator('#path-title')).toHaveText('Support Readiness');
  await expect(partner.getByRole('article', { name: 'Support FAQ' })).toBeVisible();

  await expect(partner.locator('.limited')).toContainText('only this module is open');
  // Anywhere else, she is asked to sign in fully.
  await partner.goto('/deals');
  await expect(partner).toHaveURL(/\/login\?next=(%2F|\/)deals$/);
  await inbox.close();

  // Opened again later, the spent link offers a fresh one to the same module.
  const later = await browser.newContext({ ...testInfo.project.use });
  const again = await later.newPage();
  await again.goto(link!);
  await hydrated(again);
  await again.getByRole('button', { name: 'Continue' }).click();
  await expect(again.getByRole('alert')).toContainText('expired or was already used');
  await again.getByRole('button', { name: 'Email me a fresh link' }).click();
  await expect(again.getByRole('status')).toHaveText("If that link was ours, a fresh one is on its way to its owner's inbox.");
  await page.goto('/dev/outbox');
  const renewal = page.locator('li.email[data-to="ines@northwind.example"]', { hasText: 'Your fresh link' }).first();
  const freshLink = await renewal.getByRole('link').getAttribute('href');
  expect(freshLink).not.toEqual(link);
  await again.goto(freshLink!);
  await hydrated(again);
  await again.getByRole('button', { name: 'Continue' }).click();
  await expect(again.locator('#path-title')).toHaveText('Support Readiness');
  await later.close();
});
