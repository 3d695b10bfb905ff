import AxeBuilder from '@axe-core/playwright';
import { expect, hydrated, signIn, test } from './helpers';

// A partner answers a decision email and the answer appears on the deal; the manager
// answers back from the deal page. The run's portal has a reply domain and a relay token:
// the reply is posted as a relay posts raw mail (`/inbound/mime`).
const RELAY_TOKEN = 'e2e-relay-token-0123456789';

test('a partner answers a decision email and the reply appears on the deal, where the manager answers', async ({ page, browser, request }, testInfo) => {
  // The manager approves a registration from the queue; its owner is emailed.
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals/queue');
  await hydrated(page);
  const dealId = (await page.locator('.queue-card').first().getAttribute('data-deal-id'))!;
  const card = page.locator(`.queue-card[data-deal-id="${dealId}"]`);
  await card.getByLabel(/Rationale/).fill('Clean registration; no other claim on this customer.');
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(card).toHaveCount(0);

  // The email, as the dev outbox shows it: who it went to, where replies go, its link.
  await page.goto('/dev/outbox');
  const email = page.locator('.card.email', { has: page.locator('code.reply-to') }).first();
  await expect(email).toBeVisible();
  const partner = (await email.getAttribute('data-to'))!;
  const replyTo = (await email.locator('code.reply-to').innerText()).trim();
  const messageId = (await email.locator('code.message-id').innerText()).trim();
  const link = (await email.locator('a[href*="/auth/magic"]').first().getAttribute('href'))!;
  expect(replyTo).toMatch(/^reply\+[a-z2-7]{32}@reply\.test$/);

  // The partner replies from their mail client (top-posted, quoting the email).
  const words = `Thanks, we will book the demo for Tuesday (${testInfo.project.name}).`;
  const raw = [
    `From: ${partner}`,
    `To: Partner Portal <${replyTo}>`,
    'Subject: Re: Approved',
    `Message-ID: <e2e-${testInfo.project.name}-${Date.now()}@partner.example>`,
    `In-Reply-To: <${messageId}>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    words,
    '',
    `On Mon, 30 Nov 2026 at 09:00, Partner Portal <${replyTo}> wrote:`,
    '> — Reply above this line —',
    '> Hello,',
    '',
  ].join('\r\n');
  const refused = await request.post('/inbound/mime', { headers: { 'content-type': 'message/rfc822' }, data: raw });
  expect(refused.status()).toBe(401);
  const taken = await request.post('/inbound/mime', {
    headers: { authorization: `Bearer ${RELAY_TOKEN}`, 'content-type': 'message/rfc822' },
    data: raw,
  });
  expect(taken.status()).toBe(200);
  expect((await taken.json()).verdict).toBe('accepted');

  // The partner follows the email's link: the deal shows their reply, quotes cut.
  const partnerContext = await browser.newContext({ ...testInfo.project.use });
  const partnerPage = await partnerContext.newPage();
  await partnerPage.goto(link);
  await hydrated(partnerPage);
  await partnerPage.getByRole('button', { name: 'Continue' }).click();
  await expect(partnerPage).toHaveURL(new RegExp(`/deals/${dealId}`));
  const conversation = partnerPage.locator('#conversation');
  await expect(conversation.locator('.message.from-partner').last()).toContainText(words);
  await expect(conversation).not.toContainText('Reply above this line');
  await expect(conversation.locator('form.answer-form')).toHaveCount(0);
  const dealPath = new URL(partnerPage.url()).pathname;
  await partnerContext.close();

  // The manager answers from the deal page; the answer joins the conversation.
  await page.goto(`${dealPath}#conversation`);
  await hydrated(page);
  const answer = `Great, I have noted it (${testInfo.project.name}).`;
  const form = page.locator('form.answer-form');
  await form.getByRole('button', { name: 'Send answer' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await form.getByLabel('Answer the partner').fill(answer);
  await form.getByRole('button', { name: 'Send answer' }).click();
  await expect(page.locator('#conversation .message.from-staff').last()).toContainText(answer);
  await page.screenshot({ path: testInfo.outputPath('deal-conversation.png'), fullPage: true });
  const results = await new AxeBuilder({ page }).include('#conversation').analyze();
  expect(results.violations).toEqual([]);

  // The inbound-mail log names the outcome and opens the original.
  const adminContext = await browser.newContext({ ...testInfo.project.use });
  const admin = await adminContext.newPage();
  await signIn(admin, 'admin@lumen.example');
  await expect(admin).toHaveURL('/');
  await admin.goto('/crm');
  const row = admin.locator('tr', { hasText: words });
  await expect(row).toContainText('On the deal');
  await row.getByRole('link', { name: /Show original/ }).click();
  await expect(admin.locator('pre.raw-mail')).toContainText(`In-Reply-To: <${messageId}>`);
  await admin.screenshot({ path: testInfo.outputPath('original.png') });
  await adminContext.close();
});

// A learner answers a module email with a question; it lands in "Learner questions", the
// manager answers there, and the learner sees the exchange on the module's page.
test('a learner asks about a module by email and the channel team answers from Learner questions', async ({ page, browser, request }, testInfo) => {
  // An admin republishes Support Readiness: its audience (Ines, support) is emailed.
  await signIn(page, 'admin@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/author');
  await page.getByRole('link', { name: 'Support Readiness' }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Unpublish' }).click();
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Unpublish' })).toBeVisible();

  await page.goto('/dev/outbox');
  const email = page.locator('.card.email[data-to="ines@northwind.example"]', {
    has: page.getByRole('heading', { name: 'New module: Support Readiness' }),
  }).first();
  const replyTo = (await email.locator('code.reply-to').innerText()).trim();
  const messageId = (await email.locator('code.message-id').innerText()).trim();
  const link = (await email.locator('a[href*="/auth/magic"]').first().getAttribute('href'))!;
  expect(replyTo).toMatch(/^reply\+[a-z2-7]{32}@reply\.test$/);

  const words = `Is the lab in step 3 required, or can I skip it? (${testInfo.project.name})`;
  const raw = [
    'From: Ines Duarte <ines@northwind.example>',
    `To: Partner Portal <${replyTo}>`,
    'Subject: Re: New module: Support Readiness',
    `Message-ID: <e2e-module-${testInfo.project.name}-${Date.now()}@northwind.example>`,
    `In-Reply-To: <${messageId}>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    words,
    '',
    `On Mon, 7 Dec 2026 at 09:00, Partner Portal <${replyTo}> wrote:`,
    '> — Reply above this line —',
    '> Hello Ines,',
    '',
  ].join('\r\n');
  const taken = await request.post('/inbound/mime', {
    headers: { authorization: `Bearer ${RELAY_TOKEN}`, 'content-type': 'message/rfc822' },
    data: raw,
  });
  expect((await taken.json()).verdict).toBe('accepted');

  // The manager finds it waiting in Learner questions and answers.
  const managerContext = await browser.newContext({ ...testInfo.project.use });
  const manager = await managerContext.newPage();
  await signIn(manager, 'marco@lumen.example');
  await expect(manager).toHaveURL('/');
  await manager.goto('/learner-questions');
  const card = manager.locator('.question-card', { hasText: words });
  await expect(card).toContainText('Waiting for an answer');
  await expect(card).toContainText('Ines Duarte');
  await manager.screenshot({ path: testInfo.outputPath('learner-questions.png'), fullPage: true });
  await card.getByRole('link', { name: 'Support Readiness' }).click();
  await hydrated(manager);
  const form = manager.locator('form.answer-form');
  await form.getByRole('button', { name: 'Send answer' }).click();
  await expect(manager.locator('.error-summary')).toBeFocused();
  const answer = `The lab is optional if you have installed the product before (${testInfo.project.name}).`;
  await form.getByLabel('Answer the learner').fill(answer);
  await form.getByRole('button', { name: 'Send answer' }).click();
  await expect(manager.locator('#conversation .message.from-staff').last()).toContainText(answer);
  await manager.screenshot({ path: testInfo.outputPath('learner-conversation.png'), fullPage: true });
  const results = await new AxeBuilder({ page: manager }).include('main').analyze();
  expect(results.violations).toEqual([]);
  await managerContext.close();

  // Ines follows the module email's link: the module shows her question and the answer.
  const learnerContext = await browser.newContext({ ...testInfo.project.use });
  const learner = await learnerContext.newPage();
  await learner.goto(link);
  await hydrated(learner);
  await learner.getByRole('button', { name: 'Continue' }).click();
  await expect(learner).toHaveURL(/\/learn\/\d+/);
  const questions = learner.locator('#questions');
  await expect(questions.locator('.message.from-partner').last()).toContainText(words);
  await expect(questions.locator('.message.from-staff').last()).toContainText(answer);
  await expect(questions).not.toContainText('Reply above this line');
  await questions.scrollIntoViewIfNeeded();
  await learner.screenshot({ path: testInfo.outputPath('module-questions.png'), fullPage: true });
  await learnerContext.close();
});
