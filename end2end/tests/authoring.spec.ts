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
  await addStep.getByRole('button', { name: 'Add step' }).click();
  await expect(page.locator('.editor-step')).toHaveCount(1);

  // A reading step is written as Markdown, with a live preview as learners will see it;
  // an empty text is refused at its field.
  const reading = page.locator('.editor-step', { hasText: 'How the deal desk works' });
  await reading.getByText('Edit step').click();
  const text = reading.getByLabel('Text (Markdown)');
  await text.fill('');
  await reading.getByRole('button', { name: 'Save step' }).click();
  await expect(page.locator('[data-error-summary]')).toBeFocused();
  await expect(page.locator('.editor-step', { hasText: 'How the deal desk works' }).locator('[data-field="markdown"]')).toContainText("Write the document's text");
  const again = page.locator('.editor-step', { hasText: 'How the deal desk works' });
  await again.getByLabel('Text (Markdown)').fill('# Deal desk\n\nSend quotes above **20%** discount to the desk.');
  const preview = again.getByRole('region', { name: 'Preview as learners see it' });
  await expect(preview.getByRole('heading', { name: 'Deal desk' })).toBeVisible();
  await expect(preview.locator('strong')).toHaveText('20%');
  await again.getByRole('button', { name: 'Save step' }).click();
  await expect(page.locator('.flash')).toHaveText('Step saved.');

  await addStep.getByLabel('Kind').selectOption({ label: 'Survey' });
  await addStep.getByLabel('Step title').fill('Feedback');
  await addStep.getByRole('button', { name: 'Add step' }).click();
  await expect(page.locator('.editor-step')).toHaveCount(2);
  await expect(page.locator('.flash')).toHaveText('Step added.');

  // A quiz's settings are fields; a mistake is named at its field.
  await addStep.getByLabel('Kind').selectOption({ label: 'Quiz' });
  await addStep.getByLabel('Step title').fill('Check');
  await addStep.getByRole('button', { name: 'Add step' }).click();
  await expect(page.locator('.editor-step')).toHaveCount(3);
  const quiz = page.locator('.editor-step', { hasText: 'Check' });
  await quiz.getByText('Edit step').click();
  await quiz.getByLabel('Pass mark (%)').fill('eighty');
  await quiz.getByLabel('Wait between attempts (minutes)').fill('2');
  await quiz.getByRole('button', { name: 'Save step' }).click();
  await expect(page.locator('.editor-step', { hasText: 'Check' }).locator('[data-field="pass_mark_percent"]')).toContainText('percentage');
  const fixed = page.locator('.editor-step', { hasText: 'Check' });
  await fixed.getByLabel('Pass mark (%)').fill('75');
  await fixed.getByLabel('After an attempt, learners see').selectOption({ label: 'Which answers were right' });
  await fixed.getByRole('button', { name: 'Save step' }).click();
  await expect(page.locator('.flash')).toHaveText('Step saved.');
  await page.reload();
  await hydrated(page);
  const saved = page.locator('.editor-step', { hasText: 'Check' });
  await saved.getByText('Edit step').click();
  await expect(saved.getByLabel('Pass mark (%)')).toHaveValue('75');
  await expect(saved.getByLabel('Wait between attempts (minutes)')).toHaveValue('2');

  // Deleting sits apart from saving and needs its own confirmation.
  await saved.getByText('Delete this step').click();
  await saved.getByRole('button', { name: 'Delete step' }).click();
  await expect(page.locator('.editor-step', { hasText: 'Check' }).locator('[data-field="confirm"]')).toContainText('cannot be undone');
  await expect(page.locator('.editor-step')).toHaveCount(3);
  const doomed = page.locator('.editor-step', { hasText: 'Check' });
  await doomed.getByLabel(/Delete “Check”/).check();
  await doomed.getByRole('button', { name: 'Delete step' }).click();
  await expect(page.locator('.editor-step')).toHaveCount(2);

  await page.getByRole('button', { name: 'Move “Feedback” up' }).click();
  await expect(page.locator('.editor-step .step-title').first()).toHaveText('Feedback');

  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Unpublish' })).toBeVisible();
  await page.goto('/author');
  await expect(page.locator('li.path-card', { hasText: 'Deal desk basics' }).getByText('Published')).toBeVisible();
});

test('a manager writes a question of each kind through its form and a partner passes the quiz', async ({ page, browser }, testInfo) => {
  const title = `E2E Question Kinds ${testInfo.project.name}`;
  await signIn(page, 'hannah@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/author');
  await hydrated(page);
  await page.getByLabel('Title').fill(title);
  await page.getByRole('button', { name: 'Create draft' }).click();
  await expect(page).toHaveURL(/\/author\/\d+$/);
  const pathId = Number(page.url().split('/').pop());
  await hydrated(page);
  const addStep = page.locator('form', { has: page.getByRole('heading', { name: 'Add a step' }) });
  await addStep.getByLabel('Kind').selectOption({ label: 'Quiz' });
  await addStep.getByLabel('Step title').fill('Kinds check');
  await addStep.getByRole('button', { name: 'Add step' }).click();
  await expect(page.locator('.editor-step')).toHaveCount(1);

  const form = (label: string) => page.getByRole('form', { name: `Add a ${label} question` });
  const open = async (label: string) => {
    await page.locator('details.add-question > summary', { hasText: new RegExp(`^${label} question$`, 'i') }).click();
    return form(label.toLowerCase());
  };
  const added = async () => {
    await expect(page.locator('.flash')).toHaveText('Question added to the bank.');
  };

  // A mistake is named at its field and nothing is added.
  let single = await open('Single choice');
  await single.getByLabel('Question').fill('Who approves deal registrations?');
  await single.getByLabel('Option 1', { exact: true }).fill('The customer');
  await single.getByLabel('Option 2', { exact: true }).fill('The partner manager');
  await single.getByRole('button', { name: 'Add to bank' }).click();
  await expect(single.locator('[data-field="correct"]')).toContainText('Mark the right answer');
  await single.getByLabel('Option 2 is right').check();
  await single.getByText('Feedback, topic tags and weight (optional)').click();
  await single.getByLabel('Topic tags').fill('process');
  await single.getByRole('button', { name: 'Add to bank' }).click();
  await added();

  const multiple = await open('Multiple choice');
  await multiple.getByLabel('Question').fill('Which stages need proof of work?');
  for (const [row, text] of [[1, 'Negotiate'], [2, 'Closed won'], [3, 'Qualify']] as const) {
    await multiple.getByLabel(`Option ${row}`, { exact: true }).fill(text);
  }
  await multiple.getByLabel('Option 1 is right').check();
  await multiple.getByLabel('Option 2 is right').check();
  await multiple.getByRole('button', { name: 'Add to bank' }).click();
  await added();

  const statement = await open('True or false');
  await statement.getByLabel('Question').fill('An approved registration protects the customer.');
  await statement.getByLabel('True', { exact: true }).check();
  await statement.getByRole('button', { name: 'Add to bank' }).click();
  await added();

  const ordering = await open('Put in order');
  await ordering.getByLabel('Question').fill('Put the first stages in order.');
  await ordering.getByLabel('Item 1').fill('Qualify');
  await ordering.getByLabel('Item 2').fill('Discover');
  await ordering.getByRole('button', { name: 'Add to bank' }).click();
  await added();

  const matching = await open('Matching pairs');
  await matching.getByLabel('Question').fill('Match each tier to its discount.');
  await matching.getByLabel('Left 1').fill('Gold');
  await matching.getByLabel('Right 1').fill('20%');
  await matching.getByLabel('Left 2').fill('Silver');
  await matching.getByLabel('Right 2').fill('10%');
  await matching.getByRole('button', { name: 'Add to bank' }).click();
  await added();

  const short = await open('Short answer');
  await short.getByLabel('Question').fill('Name the CRM we sync deals to.');
  await short.getByLabel('Accepted answers, one per line').fill('HubSpot\nHubSpot CRM');
  await short.getByRole('button', { name: 'Add to bank' }).click();
  await added();

  const number = await open('Number');
  await number.getByLabel('Question').fill('How many hours is the approval SLA?');
  await number.getByLabel('Right number').fill('48');
  await number.getByRole('button', { name: 'Add to bank' }).click();
  await added();

  // The bank shows each as learners will see it, with its right answer for the author.
  await page.getByText('Show questions as learners see them').click();
  const bank = page.locator('.bank-question');
  await expect(bank).toHaveCount(7);
  const matchingPreview = bank.filter({ hasText: 'Match each tier' });
  await expect(matchingPreview.locator('select')).toHaveCount(2);
  await expect(matchingPreview.locator('.answer')).toContainText('Gold → 20%');
  await expect(bank.filter({ hasText: 'Who approves' }).locator('input[type=radio]')).toHaveCount(2);
  await page.screenshot({ path: testInfo.outputPath(`question-bank-${testInfo.project.name}.png`), fullPage: false });
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Unpublish' })).toBeVisible();

  // A partner takes it.
  const learnerContext = await browser.newContext({ ...testInfo.project.use });
  const learner = await learnerContext.newPage();
  await signIn(learner, 'tomas@northwind.example');
  await expect(learner).toHaveURL('/');
  await learner.goto(`/learn/${pathId}`);
  await hydrated(learner);
  await learner.getByRole('button', { name: 'Start the quiz' }).click();
  await expect(learner).toHaveURL(/\/quiz\/\d+$/);
  await hydrated(learner);
  const q = (prompt: string) => learner.locator('li.question', { hasText: prompt });
  await q('Who approves').getByLabel('The partner manager').check();
  await q('proof of work').getByLabel('Negotiate').check();
  await q('proof of work').getByLabel('Closed won').check();
  await q('protects the customer').getByLabel('True').check();
  await q('Match each tier').getByLabel('Gold').selectOption('20%');
  await q('Match each tier').getByLabel('Silver').selectOption('10%');
  await q('Name the CRM').getByLabel('Your answer').fill('hubspot');
  await q('approval SLA').getByLabel('Your answer').fill('48');
  // Moving an item answers the question; an order already right is kept with its button.
  const qualifyUp = q('first stages').getByRole('button', { name: 'Move “Qualify” up' });
  if (await qualifyUp.isEnabled()) await qualifyUp.click();
  else await q('first stages').getByRole('button', { name: 'This order is my answer' }).click();
  await expect(learner.getByTestId('save-status')).toHaveText('All answers saved');
  await learner.getByRole('button', { name: 'Submit answers' }).click();
  await expect(learner.getByText('Passed: you scored 100% and the pass mark is 80%.')).toBeVisible();
  await learnerContext.close();
});
