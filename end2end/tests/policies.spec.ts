import { expect, hydrated, signIn, test } from './helpers';

// A manager publishes a new version of a policy document and announces it; a partner reads
// what changed, line by line, and acknowledges it. Each project edits its own document, so
// the two runs never edit the same version.

test('staff publish a policy version and partners see what changed', async ({ page, browser }, testInfo) => {
  const kind = testInfo.project.name === 'phone' ? 'pricing-bands' : 'territories';
  const label = kind === 'territories' ? 'Territories' : 'Pricing bands';
  const marker = `Reviewed by the channel team (${testInfo.project.name}).`;
  await signIn(page, 'hannah@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto(`/policies/${kind}`);
  await hydrated(page);
  const form = page.getByRole('form', { name: /Publish version/ });
  await form.getByRole('button', { name: 'Publish' }).click();
  await expect(form.locator('#policy-change_summary-error')).toContainText('Say in a sentence what changed');
  const body = form.getByLabel('Text (Markdown)');
  await body.fill(`${(await body.inputValue()).trimEnd()}\n\n${marker}\n`);
  await form.getByLabel('What changed, and why').fill(`A review note for partners (${testInfo.project.name}).`);
  await expect(form.getByLabel('Announce it to every partner and ask them to acknowledge it')).toBeChecked();
  await form.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'published' })).toHaveText(/Version \d+ published\./);
  const version = (await page.getByRole('status').filter({ hasText: 'published' }).textContent())!.match(/\d+/)![0];

  const partnerContext = await browser.newContext({ ...testInfo.project.use });
  const partner = await partnerContext.newPage();
  await signIn(partner, 'nora@northwind.example');
  await expect(partner).toHaveURL('/');
  await partner.goto('/policies');
  await hydrated(partner);
  const card = partner.locator('.policy-card', { hasText: label });
  await expect(card.locator('.badge')).toHaveText(`Version ${version}`);
  await card.getByRole('link', { name: label }).click();
  await expect(partner.getByRole('heading', { level: 1 })).toHaveText(label);
  // The new paragraph (and the blank line before it) is added; nothing was removed.
  await expect(partner.locator('.diff .added', { hasText: marker })).toHaveCount(1);
  await expect(partner.locator('.diff .removed')).toHaveCount(0);
  await expect(partner.locator('.history li').first()).toContainText(`A review note for partners (${testInfo.project.name}).`);
  // The previous version is one tap away and has no editor for a partner.
  await partner.locator('.history li').nth(1).getByRole('link').click();
  await expect(partner.locator('.policy-page .meta').first()).toContainText(`Version ${Number(version) - 1} of ${version}`);
  await expect(partner.getByRole('form')).toHaveCount(0);

  await partner.goto('/announcements');
  await hydrated(partner);
  const notice = partner.locator('.announcement-card', { hasText: `Updated: ${label} (version ${version})` });
  await expect(notice.locator('.badge')).toHaveText('Needs your acknowledgment');
  await notice.getByRole('button', { name: 'I have read and acknowledge this' }).click();
  await expect(partner.locator('.announcement-card', { hasText: `Updated: ${label} (version ${version})` }).locator('.badge')).toHaveText('Acknowledged');
  await partnerContext.close();
});
