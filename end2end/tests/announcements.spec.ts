import { expect, hydrated, signIn, test } from './helpers';

// A manager publishes a policy change to resellers; a partner acknowledges it; the manager
// sees the receipt. Each project uses its own title.

test('a partner acknowledges an announcement and the manager sees the receipt', async ({ page, browser }, testInfo) => {
  const title = `Rules of engagement update (${testInfo.project.name})`;
  await signIn(page, 'hannah@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/announcements/manage');
  await hydrated(page);
  const form = page.getByRole('form', { name: 'Publish an announcement' });
  await form.getByRole('button', { name: 'Publish' }).click();
  await expect(form.locator('.field-error').filter({ hasText: 'Write what partners need to know' })).toBeVisible();
  await form.getByLabel('Title').fill(title);
  await form.getByLabel('Text (Markdown)').fill('From 1 December, **proof of work** is required at registration.');
  await form.getByLabel('Reseller').check();
  // Tick boxes sit beside their labels, large enough to hit on a phone.
  const box = await form.getByLabel('Reseller').boundingBox();
  expect(box!.width).toBeGreaterThanOrEqual(20);
  expect(box!.width).toBeLessThan(40);
  await form.screenshot({ path: testInfo.outputPath(`publish-form-${testInfo.project.name}.png`) });
  await form.getByRole('button', { name: 'Publish' }).click();
  await expect(page.locator('.flash')).toHaveText('Published and delivered.');
  // The form is ready for the next one.
  await expect(page).toHaveURL(/\/announcements\/manage\?published=\d+/);
  await expect(page.getByRole('form', { name: 'Publish an announcement' }).getByLabel('Title')).toHaveValue('');
  const report = page.locator('.report-card', { hasText: title });
  await expect(report.locator('.receipts')).toContainText('acknowledged 0 of');

  const partnerContext = await browser.newContext({ ...testInfo.project.use });
  const partner = await partnerContext.newPage();
  await signIn(partner, 'nora@northwind.example');
  await expect(partner).toHaveURL('/');
  // The navigation counts what is new or waits for an acknowledgment.
  await expect(partner.locator('a[href="/announcements"] .nav-badge').first()).toHaveText(/^\d+ new or to acknowledge$/);
  await partner.goto('/announcements');
  await hydrated(partner);
  const card = partner.locator('.announcement-card', { hasText: title });
  await expect(card.locator('.badge')).toHaveText('Needs your acknowledgment');
  await expect(card.locator('.document strong')).toHaveText('proof of work');
  await card.getByRole('button', { name: 'I have read and acknowledge this' }).click();
  await expect(partner.locator('.announcement-card', { hasText: title }).locator('.badge')).toHaveText('Acknowledged');
  await partnerContext.close();

  await page.reload();
  await hydrated(page);
  const updated = page.locator('.report-card', { hasText: title });
  await expect(updated.locator('.receipts')).toContainText('acknowledged 1 of');
  await updated.getByText(/Not acknowledged/).click();
  await expect(updated.locator('.waiting')).not.toContainText('Nora Quist');
  await expect(updated.locator('.waiting')).toContainText('Ben Okafor');
});
