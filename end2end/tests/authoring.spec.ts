import { expect, hydrated, signIn, test } from './helpers';

test('a partner manager builds, reorders and publishes a path in the editor', async ({ page, isMobile }) => {
  test.skip(isMobile, 'authoring is checked on the desktop layout');
  await signIn(page, 'hannah@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/author');
  await hydrated(page);
  await expect(page.getByRole('link', { name: 'Sales Certification' })).toBeVisible();

  await page.getByLabel('Title').fill('Deal desk basics');
  await page.getByRole('button', { name: 'Create draft' }).click();
  await expect(page).toHaveURL(/\/author\/\d+$/);
  await hydrated(page);
  await expect(page.getByText('Draft — invisible to partners')).toBeVisible();

  const addStep = page.locator('form', { has: page.getByRole('heading', { name: 'Add a step' }) });
  await addStep.getByLabel('Step title').fill('How the deal desk works');
  await addStep.getByLabel('Settings (JSON)').fill('{"markdown": ""}');
  await addStep.getByRole('button', { name: 'Add step' }).click();
  await expect(addStep.getByText(/markdown.*Write the document's text/)).toBeVisible();

  await addStep.getByLabel('Settings (JSON)').fill('{"markdown": "# Deal desk\\n\\nSend quotes above **20%** discount to the desk."}');
  await addStep.getByRole('button', { name: 'Add step' }).click();
  await expect(page.locator('.editor-step')).toHaveCount(1);

  // Settings left empty start from the kind's defaults, which the form lists.
  await addStep.getByLabel('Kind').selectOption({ label: 'Survey' });
  await expect(addStep.locator('.templates')).toContainText('How useful was this step?');
  await addStep.getByLabel('Step title').fill('Feedback');
  await addStep.getByRole('button', { name: 'Add step' }).click();
  await expect(page.locator('.editor-step')).toHaveCount(2);
  await expect(page.locator('.flash')).toHaveText('Step added.');

  await page.getByRole('button', { name: 'Move “Feedback” up' }).click();
  await expect(page.locator('.editor-step .step-title').first()).toHaveText('Feedback');

  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Unpublish' })).toBeVisible();
  await page.goto('/author');
  await expect(page.locator('li.path-card', { hasText: 'Deal desk basics' }).getByText('Published')).toBeVisible();
});
