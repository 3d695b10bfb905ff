import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';
import { expect, hydrated, signIn, test } from './helpers';

// After a failed attempt the result coaches: the score against the pass mark, attempts
// left, the topics to review, and a live countdown to the next attempt that reveals Retry
// without a reload. Each project imports its own path, so the runs do not collide.

const tagged = (prompt: string, tags: string[]) => ({
  content: { kind: 'TrueFalse', prompt },
  key: { TrueFalse: { correct: true } },
  tags,
});

function retryPath(title: string) {
  return {
    format: 'partner-portal/learning-path', format_version: 1,
    title, summary: `${title} (end-to-end test)`, required: false, estimated_minutes: 5,
    audience: { partner_types: [], tiers: [], job_roles: [] },
    steps: [{
      kind: 'Quiz', title: 'Pricing check', required: true,
      settings: { pass_mark_percent: 100, max_attempts: 3, cooldown_secs: 6, review_level: 'ScoreOnly', review_when: 'AfterEachAttempt' },
    }],
    questions: [
      tagged('List prices change every January.', ['pricing']),
      tagged('Discounts above the band need approval.', ['discounts', 'pricing']),
    ],
  };
}

async function importAndPublish(page: Page, path: object, title: string): Promise<number> {
  await page.goto('/author');
  await hydrated(page);
  await page.getByLabel('Export JSON').fill(JSON.stringify(path));
  await page.getByRole('button', { name: 'Import as draft' }).click();
  await expect(page).toHaveURL(/\/author\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Unpublish' })).toBeVisible();
  return Number(page.url().split('/').pop());
}

test('a failed quiz shows the score, attempts left and topics, counts down, then offers Retry', async ({ page, browser }, testInfo) => {
  const title = `E2E Retry Loop ${testInfo.project.name}`;
  const author = await browser.newContext();
  const authorPage = await author.newPage();
  await signIn(authorPage, 'marco@lumen.example');
  await expect(authorPage).toHaveURL('/');
  const pathId = await importAndPublish(authorPage, retryPath(title), title);
  await author.close();

  await signIn(page, 'ben@bluefin.example');
  await expect(page).toHaveURL('/');
  await page.goto(`/learn/${pathId}`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Start the quiz' }).click();
  await expect(page).toHaveURL(/\/quiz\/\d+$/);
  const firstAttempt = page.url();
  await hydrated(page);
  for (const prompt of ['List prices change', 'Discounts above the band']) {
    await page.locator('li.question', { hasText: prompt }).getByLabel('False').check();
  }
  await expect(page.getByTestId('save-status')).toHaveText('All answers saved');
  await page.getByRole('button', { name: 'Submit answers' }).click();

  const result = page.locator('.result');
  await expect(result).toContainText('Not passed this time: you scored 0%, the pass mark is 100% (100 points to go).');
  await expect(result.locator('.attempts-left')).toHaveText('2 attempts left.');
  await expect(result.getByRole('heading', { name: 'Review these topics first' })).toBeVisible();
  await expect(result.locator('.topics li')).toHaveText(['pricing', 'discounts']);

  // The countdown runs without a reload, then gives way to Retry.
  const timer = page.getByRole('timer');
  await expect(timer).toContainText('Your next attempt opens in');
  await expect(page.getByRole('button', { name: 'Retry the quiz' })).toBeHidden();
  const first = await timer.locator('[data-remaining]').innerText();
  await expect(timer.locator('[data-remaining]')).not.toHaveText(first, { timeout: 3_000 });
  await page.screenshot({ path: testInfo.outputPath(`quiz-failed-${testInfo.project.name}.png`), fullPage: true });
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations).toEqual([]);
  const retry = page.getByRole('button', { name: 'Retry the quiz' });
  await expect(retry).toBeVisible({ timeout: 10_000 });
  await expect(timer).toBeHidden();
  await retry.click();
  await expect(page).toHaveURL(/\/quiz\/\d+$/);
  expect(page.url()).not.toBe(firstAttempt);
  await hydrated(page);
  await expect(page.getByRole('button', { name: 'Submit answers' })).toBeVisible();
});
