import { expect, hydrated, signIn, test } from './helpers';

// Certificates: anyone can verify one without signing in, with its signature status and a
// printable version; an admin revokes one and the public page shows it at once.

test('a certificate is verified publicly, with its signature, and printed', async ({ page, browser }, testInfo) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/certificates/holders?status=active');
  await hydrated(page);
  const row = page.locator('table.holders tbody tr').first();
  const holder = (await row.locator('td').first().innerText()).trim();
  const href = await row.getByRole('link', { name: 'Verify' }).getAttribute('href');
  expect(href).toMatch(/^\/verify\/[0-9A-Z]{16}$/);

  // A stranger (another browser, not signed in) checks it.
  const strangerContext = await browser.newContext({ ...testInfo.project.use });
  const stranger = await strangerContext.newPage();
  await stranger.goto(href!);
  await hydrated(stranger);
  await expect(stranger).toHaveURL(href!);
  await expect(stranger.locator('.facts')).toContainText(holder);
  await expect(stranger.locator('.verify-status')).toContainText('Active');
  await expect(stranger.locator('.signature')).toHaveText('Valid (Ed25519, signed by this portal)');
  await expect(stranger.getByRole('link', { name: 'Download Open Badges 3.0 credential' })).toHaveAttribute('href', /^data:application\/json/);

  // Pasting a tampered credential fails the check.
  await stranger.getByLabel('Credential (JSON)').fill('{"id": "x", "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "verificationMethod": "did:key:z6Mkxyz", "proofValue": "z1"}}');
  await stranger.getByRole('button', { name: 'Check' }).click();
  await expect(stranger.locator('.check-result')).toContainText('not a valid Ed25519 did:key');

  await stranger.getByRole('link', { name: 'Printable certificate' }).click();
  await expect(stranger.locator('.certificate-print')).toContainText('Certificate of achievement');
  await expect(stranger.locator('.certificate-holder')).toHaveText(holder);
  await strangerContext.close();
});

test('an admin revokes a certificate and the public page shows it at once', async ({ page, browser }, testInfo) => {
  await signIn(page, 'admin@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/certificates/holders?status=active');
  await hydrated(page);
  // Henrik holds two certifications, so the first revocation leaves Meridian's tier alone.
  const row = page.locator('table.holders tbody tr', { hasText: 'Henrik Dahl' }).first();
  const id = await row.getAttribute('data-certificate-id');
  const href = await row.getByRole('link', { name: 'Verify' }).getAttribute('href');
  await row.getByText('Revoke', { exact: true }).click();
  await row.getByLabel(/Reason/).fill('short');
  await row.getByRole('button', { name: 'Revoke certificate' }).click();
  await expect(row.locator('.field-error')).toContainText('Give the reason in a sentence');
  await row.getByLabel(/Reason/).fill('Left the partner organisation; certificate withdrawn.');
  await row.getByRole('button', { name: 'Revoke certificate' }).click();
  // The list refreshes without it: it is no longer active.
  await expect(page.locator(`tr[data-certificate-id="${id}"]`)).toHaveCount(0);

  const strangerContext = await browser.newContext({ ...testInfo.project.use });
  const stranger = await strangerContext.newPage();
  await stranger.goto(href!);
  await expect(stranger.locator('.verify-status')).toContainText('Revoked');
  await expect(stranger.locator('.facts')).toContainText('Left the partner organisation');
  await strangerContext.close();
});

test('a manager filters certified people by typing part of an organisation name', async ({ page }, testInfo) => {
  await signIn(page, 'admin@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/certificates/holders');
  await hydrated(page);
  await page.getByLabel('Organisation').fill('atlas');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/org=atlas/);
  await hydrated(page);
  await expect(page.locator('[data-error-summary]')).toHaveCount(0);
  const rows = page.locator('table.holders tbody tr');
  await expect(rows.first()).toBeVisible();
  const organisations = await rows.locator('td[data-label="Organisation"]').allInnerTexts();
  expect(organisations.every((name) => name.trim() === 'Atlas Integrators')).toBe(true);
  // Status and the revoke control stay on screen at every size.
  const width = page.viewportSize()!.width;
  const first = rows.first();
  for (const target of [first.locator('td[data-label="Status"]'), first.getByText('Revoke', { exact: true })]) {
    await expect(target).toBeVisible();
    const box = (await target.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(width);
  }
  await page.screenshot({ path: testInfo.outputPath(`holders-${testInfo.project.name}.png`), fullPage: false });
});
