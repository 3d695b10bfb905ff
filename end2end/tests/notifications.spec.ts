import { expect, hydrated, signIn, test } from './helpers';

// Notification preferences: a partner turns one kind of email off, and it stays off.

test('a partner chooses which emails they get', async ({ page }) => {
  await signIn(page, 'lucia@andes.example');
  await expect(page).toHaveURL('/');
  await page.goto('/account');
  await hydrated(page);
  const expiring = page.getByLabel('Your certificate expires in 30 and 7 days');
  await expect(expiring).toBeChecked();
  await expect(page.getByLabel('Registrations past the approval SLA')).toHaveCount(0);
  await expect(page.getByLabel(/Slack/)).toHaveCount(0);
  await expiring.uncheck();
  await page.getByRole('button', { name: 'Save email choices' }).click();
  await expect(page.locator('.flash')).toHaveText('Email choices saved.');
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Your certificate expires in 30 and 7 days')).not.toBeChecked();
  await page.getByLabel('Your certificate expires in 30 and 7 days').check();
  await page.getByRole('button', { name: 'Save email choices' }).click();
  await expect(page.locator('.flash')).toHaveText('Email choices saved.');
});

test('an admin is told when a Slack address is not one Slack gives', async ({ page }, testInfo) => {
  await signIn(page, 'admin@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/account');
  await hydrated(page);
  const webhook = page.getByLabel('Program Slack channel (incoming webhook URL)');
  await webhook.fill('http://hooks.slack.com/services/x');
  await page.getByRole('button', { name: 'Save Slack webhook' }).click();
  await expect(page.locator('#slack-webhook-error')).toContainText('https://');
  await webhook.fill('');
  await page.getByRole('button', { name: 'Save Slack webhook' }).click();
  await expect(page.locator('#slack-webhook-error')).toHaveText('');

  // A saved webhook is a secret: never shown again, only its last characters. (A local
  // address: nothing is posted outside this machine.)
  await webhook.fill('http://127.0.0.1:9/services/T0/B0/e2eSecretTail');
  await page.getByRole('button', { name: 'Save Slack webhook' }).click();
  await expect(page.locator('.flash')).toHaveText('Slack webhook saved.');
  // The page as loaded afresh, in a tab of its own: navigating this one right after the
  // confirmation raced the form script's own reload in Chromium (an aborted or detached
  // navigation, twice in CI).
  const again = await page.context().newPage();
  await again.goto('/account');
  await expect(again.locator('#slack-webhook-hint')).toContainText('ending …Tail is saved');
  await expect(again.getByLabel('Program Slack channel (incoming webhook URL)')).toHaveValue('');
  expect(await again.content()).not.toContain('e2eSecret');
  for (const width of [390, 1366]) {
    await again.setViewportSize({ width, height: 900 });
    await again.locator('form[data-done="Slack webhook saved."]').screenshot({ path: testInfo.outputPath(`slack-webhook-${width}.png`) });
  }
  await hydrated(again);
  await again.getByLabel('Program Slack channel (incoming webhook URL)').fill('');
  await again.getByRole('button', { name: 'Save Slack webhook' }).click();
  await expect(again.locator('.flash')).toHaveText('Slack webhook saved.');
  const last = await page.context().newPage();
  await last.goto('/account');
  await expect(last.locator('#slack-webhook-hint')).toContainText('Leave empty for no Slack.');
});
