import { Browser, Page } from '@playwright/test';
import { expect, holdWasm, hydrated, signIn, test } from './helpers';

// Partner training on a phone. A manager imports and publishes three small paths through
// the authoring screens first, so each test knows its questions and answers.

type Json = Record<string, unknown>;

const choices = (...texts: string[]) => texts.map((text, i) => ({ id: i + 1, text }));

const trueFalse = (prompt: string, correct: boolean): Json => ({
  content: { kind: 'TrueFalse', prompt },
  key: { TrueFalse: { correct } },
  feedback: { explanation: `The statement is ${correct}.` },
});
const single = (prompt: string, options: string[], correct: number): Json => ({
  content: { kind: 'SingleChoice', prompt, options: choices(...options) },
  key: { SingleChoice: { options: options.map((_, i) => i + 1), correct } },
});
const shortText = (prompt: string, accepted: string[]): Json => ({
  content: { kind: 'ShortText', prompt },
  key: { ShortText: { accepted } },
});
const numeric = (prompt: string, value: number, tolerance: number): Json => ({
  content: { kind: 'Numeric', prompt },
  key: { Numeric: { value, tolerance } },
});
const matching = (prompt: string, pairs: [string, string][]): Json => ({
  content: { kind: 'Matching', prompt, options: choices(...pairs.map(p => p[0])), targets: choices(...pairs.map(p => p[1])) },
  key: { Matching: { pairs: Object.fromEntries(pairs.map((_, i) => [i + 1, i + 1])) } },
});

const quizStep = (title: string, settings: Json): Json => ({
  kind: 'Quiz', title, required: true,
  settings: { pass_mark_percent: 100, shuffle_options: true, review_level: 'CorrectAnswers', review_when: 'AfterEachAttempt', ...settings },
});

const exportOf = (title: string, steps: Json[], questions: Json[]): Json => ({
  format: 'partner-portal/learning-path', format_version: 1,
  title, summary: `${title} (end-to-end test)`, required: false, estimated_minutes: 5,
  audience: { partner_types: [], tiers: [], job_roles: [] },
  steps, questions,
});

const onboarding = exportOf('E2E Onboarding', [
  { kind: 'Video', title: 'Welcome video', settings: { src: '/media/lumen-intro.webm', captions_src: '/media/lumen-intro.en.vtt', duration_secs: 12 } },
  { kind: 'Document', title: 'Read me', settings: { markdown: '# Rules of engagement\n\nRegister every deal **before** the first demo.' } },
  quizStep('Onboarding check', {}),
  { kind: 'Survey', title: 'Was this useful?', settings: { question: 'How useful was onboarding?' } },
], [
  trueFalse('Deals are registered before the first demo.', true),
  single('Who approves deal registrations?', ['The partner manager', 'The customer', 'Nobody'], 1),
]);

const drill = exportOf('E2E Quiz Drill', [quizStep('Drill', {})], [
  trueFalse('Protection windows default to 90 days.', true),
  single('Which motion pays a referral fee?', ['Referral', 'Resale', 'Direct'], 1),
  shortText('Name the CRM we sync deals to.', ['HubSpot']),
  numeric('How many hours is the approval SLA?', 48, 0),
  matching('Match each tier to its discount.', [['Gold', '20%'], ['Silver', '10%']]),
]);

const timed = exportOf('E2E Timed Check', [quizStep('Timed check', { time_limit_secs: 30 })], [
  trueFalse('The timer is set by the server.', true),
  single('What happens when time runs out?', ['Answers so far are submitted', 'Everything is lost'], 1),
]);

const pathIds: Record<string, number> = {};

/** A manager imports a path on the authoring page and publishes it; returns its id. */
async function importAndPublish(page: Page, path: Json): Promise<number> {
  await page.goto('/author');
  await hydrated(page);
  await page.getByLabel('Export JSON').fill(JSON.stringify(path));
  await page.getByRole('button', { name: 'Import as draft' }).click();
  await expect(page).toHaveURL(/\/author\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: path.title as string })).toBeVisible();
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Unpublish' })).toBeVisible();
  return Number(page.url().split('/').pop());
}

async function importAll(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  for (const path of [onboarding, drill, timed]) {
    pathIds[path.title as string] = await importAndPublish(page, path);
  }
  await context.close();
}

async function openQuiz(page: Page, title: string) {
  await page.goto(`/learn/${pathIds[title]}`);
  await hydrated(page);
  await page.getByRole('button', { name: /Start the quiz|Try again/ }).click();
  await expect(page).toHaveURL(/\/quiz\/\d+$/);
  await hydrated(page);
}

async function expectNoSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `sideways scroll on ${page.url()}`).toBeLessThanOrEqual(0);
}

const status = (page: Page) => page.getByTestId('save-status');
const question = (page: Page, prompt: string) => page.locator('li.question', { hasText: prompt });

test.describe('partner training on a phone', () => {
  test.skip(({ isMobile }) => !isMobile, 'phone-sized viewport only');
  test.beforeAll(async ({ browser }, testInfo) => {
    if (testInfo.project.name === 'phone') await importAll(browser);
  });

  test('a partner completes a whole path: video, document, quiz (fail, then pass), survey', async ({ page }) => {
    await signIn(page, 'ines@northwind.example');
    await expect(page).toHaveURL('/');
    await page.goto('/learn');
    await hydrated(page);
    const card = page.locator('li.path-card', { has: page.locator(`a[href="/learn/${pathIds['E2E Onboarding']}"]`) });
    await expect(card.getByText('0% done')).toBeVisible();
    await card.getByRole('link', { name: 'Start: E2E Onboarding' }).click();
    await hydrated(page);

    // The video: watch it (at double speed); the server credits only what real time
    // between the player's reports accounts for, so skipping to the end would not do.
    const video = page.locator('video');
    await expect(video).toBeVisible();
    await expect(page.locator('track[kind="captions"]')).toHaveCount(1);
    await video.evaluate(async (element: HTMLVideoElement) => {
      element.muted = true;
      element.playbackRate = 2;
      await element.play();
    });
    await expect(page.getByText('Watched. You can rewatch it at any time.')).toBeVisible({ timeout: 15_000 });
    await page.getByRole('link', { name: 'Go to the next step →' }).click();

    await expect(page.getByRole('heading', { name: 'Rules of engagement' })).toBeVisible();
    await page.getByRole('button', { name: 'Mark as read' }).click();

    // The quiz, failed first.
    await expect(page.getByRole('heading', { name: 'Onboarding check' })).toBeVisible();
    await page.getByRole('button', { name: 'Start the quiz' }).click();
    await expect(page).toHaveURL(/\/quiz\/\d+$/);
    await hydrated(page);
    await question(page, 'registered before').getByLabel('False').check();
    await question(page, 'Who approves').getByLabel('Nobody').check();
    await expect(status(page)).toHaveText('All answers saved');
    await page.getByRole('button', { name: 'Submit answers' }).click();
    await expect(page.getByText(/Not passed this time/)).toBeVisible();
    await expect(page.getByText('The statement is true.')).toBeVisible();
    await page.getByRole('link', { name: 'Back to the path' }).click();
    await hydrated(page);

    await page.getByRole('button', { name: 'Try again' }).click();
    await expect(page).toHaveURL(/\/quiz\/\d+$/);
    await hydrated(page);
    await question(page, 'registered before').getByLabel('True').check();
    await question(page, 'Who approves').getByLabel('The partner manager').check();
    await expect(status(page)).toHaveText('All answers saved');
    await page.getByRole('button', { name: 'Submit answers' }).click();
    await expect(page.getByText(/^Passed/)).toBeVisible();
    await page.getByRole('link', { name: 'Back to the path' }).click();
    await hydrated(page);

    // The survey finishes the path.
    await expect(page.getByRole('heading', { name: 'Was this useful?' })).toBeVisible();
    await page.getByLabel('5 — Very useful').check();
    await page.getByLabel('Comment (optional)').fill('Short and clear.');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.getByText('Path complete. Well done!')).toBeVisible();
    await expect(page.getByText(/You completed E2E Onboarding on/)).toBeVisible();
    await expect(page.getByText('100% done').first()).toBeVisible();
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole('link', { name: /Onboarding check — Quiz, done/ }).click();
    await expect(page.getByRole('heading', { name: 'Your attempts' })).toBeVisible();
    await expectNoSidewaysScroll(page);
  });

  test('a reload mid-quiz restores every saved answer', async ({ page }) => {
    await signIn(page, 'ben@bluefin.example');
    await expect(page).toHaveURL('/');
    await openQuiz(page, 'E2E Quiz Drill');
    await question(page, 'Protection windows').getByLabel('True').check();
    await question(page, 'referral fee').getByLabel('Referral').check();
    await question(page, 'Name the CRM').getByLabel('Your answer').fill('HubSpot');
    await question(page, 'approval SLA').getByLabel('Your answer').fill('48');
    await question(page, 'Match each tier').getByLabel('Gold').selectOption('20%');
    await expect(status(page)).toHaveText('All answers saved');

    await page.reload();
    await hydrated(page);
    await expect(question(page, 'Protection windows').getByLabel('True')).toBeChecked();
    await expect(question(page, 'referral fee').getByLabel('Referral')).toBeChecked();
    await expect(question(page, 'Name the CRM').getByLabel('Your answer')).toHaveValue('HubSpot');
    await expect(question(page, 'approval SLA').getByLabel('Your answer')).toHaveValue('48');
    await expect(question(page, 'Match each tier').getByLabel('Gold')).toHaveValue(/\d+/);
    await expect(question(page, 'Match each tier').getByLabel('Gold').locator('option:checked')).toHaveText('20%');
    await question(page, 'Match each tier').getByLabel('Silver').selectOption('10%');
    await expect(status(page)).toHaveText('All answers saved');

    // Reloading before the save went out: the device kept the change and sends it.
    await question(page, 'approval SLA').getByLabel('Your answer').fill('47');
    await page.reload();
    await hydrated(page);
    await expect(question(page, 'approval SLA').getByLabel('Your answer')).toHaveValue('47');
    await expect(status(page)).toHaveText('All answers saved');
    await question(page, 'approval SLA').getByLabel('Your answer').fill('48');
    await expect(status(page)).toHaveText('All answers saved');
    await page.getByRole('button', { name: 'Submit answers' }).click();
    await expect(page.getByText('100%', { exact: true })).toBeVisible();
  });

  test('answers given before the quiz is live are kept and saved', async ({ page }) => {
    await signIn(page, 'bruno@rio.example');
    await expect(page).toHaveURL('/');
    await page.goto(`/learn/${pathIds['E2E Quiz Drill']}`);
    await hydrated(page);
    const release = await holdWasm(page);
    await page.getByRole('button', { name: /Start the quiz|Try again/ }).click();
    await expect(page).toHaveURL(/\/quiz\/\d+$/);
    // The runner is still server HTML: answer three questions before it wakes.
    await question(page, 'Protection windows').getByLabel('True').check();
    await question(page, 'Name the CRM').getByLabel('Your answer').fill('HubSpot');
    await question(page, 'Match each tier').getByLabel('Gold').selectOption('20%');
    await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(0);
    release();
    await hydrated(page);
    await expect(question(page, 'Name the CRM').getByLabel('Your answer')).toHaveValue('HubSpot');
    await expect(question(page, 'Protection windows').getByLabel('True')).toBeChecked();
    for (const prompt of ['Protection windows', 'Name the CRM', 'Match each tier']) {
      await expect(question(page, prompt).locator('.question-saved')).toHaveText('Saved');
    }

    // From the server alone: the device's own queue is emptied first.
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await hydrated(page);
    await expect(question(page, 'Protection windows').getByLabel('True')).toBeChecked();
    await expect(question(page, 'Name the CRM').getByLabel('Your answer')).toHaveValue('HubSpot');
    await expect(question(page, 'Match each tier').getByLabel('Gold').locator('option:checked')).toHaveText('20%');
  });

  test('answers given offline are kept and all saved when the connection returns', async ({ page, context }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await signIn(page, 'grace@harbor.example');
    await expect(page).toHaveURL('/');
    await page.goto('/learn');
    await hydrated(page);
    await expectNoSidewaysScroll(page);
    await openQuiz(page, 'E2E Quiz Drill');
    await expectNoSidewaysScroll(page);
    await question(page, 'Protection windows').getByLabel('True').check();
    await expect(status(page)).toHaveText('All answers saved');

    await context.setOffline(true);
    await question(page, 'referral fee').getByLabel('Resale').check();
    await question(page, 'Name the CRM').getByLabel('Your answer').fill('Hub Spot');
    await question(page, 'approval SLA').getByLabel('Your answer').fill('48');
    await expect(status(page)).toHaveText(/Offline — will retry/);
    await expect(question(page, 'approval SLA').getByText('Not saved yet')).toBeVisible();

    await context.setOffline(false);
    await expect(status(page)).toHaveText('All answers saved', { timeout: 15_000 });
    await expect(question(page, 'approval SLA').getByText('Saved', { exact: true })).toBeVisible();

    // What the server holds: a fresh load shows every answer made offline.
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await hydrated(page);
    await expect(question(page, 'referral fee').getByLabel('Resale')).toBeChecked();
    await expect(question(page, 'Name the CRM').getByLabel('Your answer')).toHaveValue('Hub Spot');
    await expect(question(page, 'approval SLA').getByLabel('Your answer')).toHaveValue('48');
    await expect(question(page, 'Protection windows').getByLabel('True')).toBeChecked();
  });

  test('when time runs out, the attempt is submitted with the answers saved so far', async ({ page }) => {
    test.setTimeout(90_000);
    await signIn(page, 'kenji@cobalt.example');
    await expect(page).toHaveURL('/');
    await openQuiz(page, 'E2E Timed Check');
    const timer = page.getByTestId('timer');
    await expect(timer).toHaveText(/0:(2\d|30)/);
    await question(page, 'set by the server').getByLabel('True').check();
    await expect(status(page)).toHaveText('All answers saved');
    // Nobody presses Submit: the countdown does, at zero.
    await expect(page.locator('.result')).toBeVisible({ timeout: 45_000 });
    await expect(page.getByText('50%', { exact: true })).toBeVisible();
    await expect(page.getByText('Your answer: True')).toBeVisible();
  });
});
