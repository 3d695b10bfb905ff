import AxeBuilder from '@axe-core/playwright';
import { Page } from '@playwright/test';
import { expect, hydrated, openMenu, signIn, test } from './helpers';

// Deal registration, the duplicate warning, the manager's SLA queue and the safe view.
// Each project (desktop, phone) uses its own customers, so the runs do not collide.

async function fillRegistration(page: Page, company: string, domain: string) {
  const form = page.getByRole('form', { name: 'Register a deal' });
  await form.getByLabel('Customer company').fill(company);
  await form.getByLabel('Customer website').fill(domain);
  await form.getByLabel('Country').fill('Japan');
  await form.getByLabel('Amount (USD)').fill('64000');
  await form.getByLabel('Requested discount (%)').fill('10');
  const inSixMonths = new Date(Date.now() + 180 * 86_400_000).toISOString().slice(0, 10);
  await form.getByLabel('Expected close date').fill(inSixMonths);
  await form.getByLabel('Next step').fill('Workshop with the operations team');
  await form.getByLabel('Proof of work').fill('Two calls with the COO; pain confirmed.');
  await form.getByLabel(/Private notes/).fill('Budget approved for Q2.');
  return form;
}

test('a partner registers a deal, a rival sees the duplicate warning, a manager approves from the queue', async ({ page, browser }, testInfo) => {
  const tag = testInfo.project.name;
  // Distinct customers per project: similar names would (rightly) count as the same one.
  const company = tag === 'phone' ? 'Nimbus Ceramics' : 'Vortex Appliances';
  const domain = tag === 'phone' ? 'nimbusceramics.com' : 'vortexappliances.com';

  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  await openMenu(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deals' }).click();
  await expect(page).toHaveURL('/deals');
  await hydrated(page);
  const form = await fillRegistration(page, company, domain);
  await form.getByRole('button', { name: 'Register deal' }).click();
  await expect(form.getByRole('status').filter({ hasText: 'Approved' })).toBeVisible();
  await expect(page.locator('.deal-card', { hasText: company })).toBeVisible();

  // Another partner, in another browser, types the same customer.
  const rivalContext = await browser.newContext({ ...testInfo.project.use });
  const rival = await rivalContext.newPage();
  await signIn(rival, 'ben@bluefin.example');
  await expect(rival).toHaveURL('/');
  await rival.goto('/deals');
  await hydrated(rival);
  const rivalForm = await fillRegistration(rival, company.toUpperCase() + ' Inc.', `https://www.${domain}/`);
  const warning = rival.locator('.duplicate-warning');
  await expect(warning).toContainText('protected until');
  await expect(warning).not.toContainText('Northwind');
  // The warning leads to what protection means, when it ends and how appeals work.
  await warning.getByRole('link', { name: 'How registration, protection and appeals work' }).click();
  const rules = rival.getByRole('region', { name: 'How registration works' });
  await expect(rules).toBeInViewport();
  await expect(rules).toContainText(/protects the customer for you for \d+ days/);
  await expect(rules).toContainText(/you have \d+ days to appeal/);
  await rivalForm.getByRole('button', { name: 'Register deal' }).click();
  await expect(rival.getByRole('alert')).toContainText('already protected until');

  // A contested registration: a customer with an open direct opportunity goes to review.
  const contested = tag === 'phone' ? 'Redwood Logistics' : 'Harbor Logistics';
  const contestedDomain = tag === 'phone' ? 'redwoodlogistics.co.jp' : 'harborlogistics.co.jp';
  await rival.reload();
  await hydrated(rival);
  const second = await fillRegistration(rival, contested, contestedDomain);
  await second.getByRole('button', { name: 'Register deal' }).click();
  await expect(second.getByRole('status').filter({ hasText: 'Awaiting review' })).toBeVisible();
  await expect(second).toContainText('Registered beats unregistered');
  await rivalContext.close();

  // The manager decides it from the SLA queue, with a rationale.
  const managerContext = await browser.newContext({ ...testInfo.project.use });
  const manager = await managerContext.newPage();
  await signIn(manager, 'marco@lumen.example');
  await expect(manager).toHaveURL('/');
  await manager.goto('/deals/queue');
  await hydrated(manager);
  // Most urgent first: breached SLAs lead the first page.
  await expect(manager.locator('.queue-card').first().locator('.sla.breached')).toBeVisible();
  // New registrations are further back; the search finds it.
  await manager.getByLabel('Search customer, partner or owner').fill(contested);
  await manager.getByRole('button', { name: 'Apply filters' }).click();
  await expect(manager).toHaveURL(/search=/);
  await hydrated(manager);
  const card = manager.locator('.queue-card', { hasText: contested }).filter({ hasText: 'Bluefin Systems' });
  await expect(card).toHaveCount(1);
  await expect(card.locator('.conflict-summary')).toContainText('Direct sales is working it');
  await expect(card.locator('.other-claims')).toContainText('Direct sales');
  await card.getByRole('button', { name: 'Approve' }).click();
  await expect(card.locator('.field-error', { hasText: /Explain the decision/ })).toBeVisible();
  await card.getByLabel(/Rationale/).fill('Bluefin registered first; direct sales agreed to step back.');
  await card.getByRole('button', { name: 'Approve' }).click();
  // Back on the queue as it was filtered, with what was decided and a link to the trail.
  await expect(manager).toHaveURL(/search=.*&decided=\d+/);
  const decided = manager.locator('#decided');
  await expect(decided).toContainText('Decision recorded');
  await expect(decided).toContainText(contested);
  await expect(decided.getByRole('link', { name: 'audit trail' })).toHaveAttribute('href', /\/deals\/\d+#trail/);
  await expect(manager.locator('.queue-card', { hasText: contested }).filter({ hasText: 'Bluefin Systems' })).toHaveCount(0);
  await managerContext.close();
});

test('a partner sees other parties on its customers through safe fields only', async ({ page }) => {
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals');
  await hydrated(page);
  const others = page.locator('table.safe-deals');
  await expect(others).toBeVisible();
  await expect(others.locator('tbody tr').first()).toBeVisible();
  const text = await others.innerText();
  expect(text).not.toMatch(/\$|discount|Internal:|Bluefin|Harbor Digital|Atlas/);
  expect(text).toMatch(/Another partner|Direct sales/);
});

test('a declined partner appeals with evidence and a manager upholds it', async ({ page, browser }, testInfo) => {
  const phone = testInfo.project.name === 'phone';
  const company = phone ? 'Redwood Foods' : 'Harbor Foods';
  const domain = phone ? 'redwoodfoods.co.jp' : 'harborfoods.co.jp';

  await signIn(page, 'ben@bluefin.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals');
  await hydrated(page);
  const form = await fillRegistration(page, company, domain);
  await form.getByRole('button', { name: 'Register deal' }).click();
  await expect(form.getByRole('status').filter({ hasText: 'Awaiting review' })).toBeVisible();

  const managerContext = await browser.newContext({ ...testInfo.project.use });
  const manager = await managerContext.newPage();
  await signIn(manager, 'hannah@lumen.example');
  await expect(manager).toHaveURL('/');
  await manager.goto(`/deals/queue?search=${encodeURIComponent(company)}`);
  await hydrated(manager);
  const card = manager.locator('.queue-card', { hasText: company }).filter({ hasText: 'Bluefin Systems' });
  await card.getByLabel(/Rationale/).fill('Direct sales has worked this customer for months.');
  await card.getByRole('button', { name: 'Decline' }).click();
  await expect(card).toHaveCount(0);

  // Ben opens the decision email's link in a browser with no session and appeals there.
  await page.goto('/dev/outbox');
  const email = page
    .locator('li.email[data-to="ben@bluefin.example"]', { hasText: `Declined: your registration of ${company}` })
    .first();
  const link = await email.getByRole('link').getAttribute('href');
  expect(link).toContain('/auth/magic?token=');
  const inbox = await browser.newContext({ ...testInfo.project.use });
  const fromEmail = await inbox.newPage();
  await fromEmail.goto(link!);
  await hydrated(fromEmail);
  await fromEmail.getByRole('button', { name: 'Continue' }).click();
  await expect(fromEmail).toHaveURL(/\/deals\/\d+$/);
  await hydrated(fromEmail);
  await expect(fromEmail.locator('.limited')).toContainText('only this deal is open');
  const deal = fromEmail.locator('.deal-card', { hasText: company });
  await expect(deal.locator('.badge')).toHaveText('Declined');
  await deal.getByText('Appeal this decision').click();
  await deal.getByLabel('Evidence').fill('Their COO invited us to run the pilot; the invitation email is dated last month.');
  await deal.getByRole('button', { name: 'File appeal' }).click();
  await expect(fromEmail.locator('.deal-card', { hasText: company }).locator('.appeal-status')).toContainText('Appeal open');
  await expect(fromEmail.locator('table.audit')).toContainText('Direct sales has worked this customer');
  await inbox.close();

  await manager.reload();
  await hydrated(manager);
  const appeal = manager.locator('.appeal-card', { hasText: company });
  await expect(appeal).toContainText('invitation email');
  await appeal.getByLabel(/Resolution/).fill('The invitation predates direct sales’ first meeting.');
  await appeal.getByRole('button', { name: 'Uphold' }).click();
  await expect(manager.locator('.appeal-card', { hasText: company })).toHaveCount(0);
  await managerContext.close();

  // Signed in fully, Ben sees the outcome in his pipeline.
  await page.goto('/deals');
  await hydrated(page);
  const upheld = page.locator('.deal-card', { hasText: company });
  await expect(upheld.locator('.badge')).toHaveText('Approved');
  await expect(upheld.locator('.appeal-status')).toContainText('Appeal upheld');
  await expect(upheld).toContainText('Protected until');
});

test('a manager filters the pipeline and opens a deal’s audit trail', async ({ page }) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals/pipeline');
  await hydrated(page);
  await expect(page.getByRole('status').filter({ hasText: /deals match · page 1 of/ })).toBeVisible();
  await page.locator('.filters-panel > summary').click();
  await page.getByLabel('Motion').selectOption('referral');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/motion=referral/);
  await expect(page.locator('.filters-panel > summary')).toHaveText('Filters in use: Referral');
  const rows = page.locator('table.pipeline tbody tr');
  await expect(rows.first()).toBeVisible();
  for (const motion of await rows.locator('td:nth-child(3)').allInnerTexts()) expect(motion).toBe('Referral');
  await rows.first().getByRole('link').click();
  await expect(page).toHaveURL(/\/deals\/\d+$/);
  await expect(page.getByRole('link', { name: 'Download history (CSV)' })).toBeVisible();
  await expect(page.locator('table.audit tbody tr').first()).toBeVisible();
});

test('closing a deal as won asks for confirmation and then offers no extension', async ({ page }, testInfo) => {
  const phone = testInfo.project.name === 'phone';
  const company = phone ? 'Zephyr Optics' : 'Quasar Optics';
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals');
  await hydrated(page);
  const form = await fillRegistration(page, company, phone ? 'zephyroptics.jp' : 'quasaroptics.jp');
  await form.getByRole('button', { name: 'Register deal' }).click();
  await expect(form.getByRole('status').filter({ hasText: 'Approved' })).toBeVisible();

  const card = page.locator('.deal-card', { hasText: company });
  await card.getByText('Update deal').click();
  const confirm = card.getByLabel(/The customer has signed/);
  await expect(confirm).toBeHidden();
  await card.getByLabel('Stage').selectOption('won');
  await expect(confirm).toBeVisible();
  await card.getByRole('button', { name: 'Save changes' }).click();
  const summary = page.locator('[data-error-summary]');
  await expect(summary).toBeFocused();
  await expect(summary).toContainText('Tick the box to confirm the customer has signed');
  await expect(card.locator('.deal-editor [data-field="confirm_won"]')).toContainText('cannot be reopened');
  await page.screenshot({ path: testInfo.outputPath(`won-confirm-${testInfo.project.name}.png`), fullPage: false });

  await page.locator('.deal-card', { hasText: company }).getByLabel(/The customer has signed/).check();
  await page.locator('.deal-card', { hasText: company }).getByRole('button', { name: 'Save changes' }).click();
  const closed = page.locator('.deal-card', { hasText: company });
  await expect(closed.locator('.meta').first()).toContainText('Closed won');
  await expect(closed.locator('.extension')).toHaveCount(0);
});

test('a manager switches the pipeline to the board by stage, saves the view and returns to it', async ({ page }, testInfo) => {
  const name = `Resale board ${testInfo.project.name}`;
  await signIn(page, 'hannah@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals/pipeline?motion=resale');
  await hydrated(page);
  await page.getByRole('navigation', { name: 'Pipeline view' }).getByRole('link', { name: 'Board by stage' }).click();
  await expect(page).toHaveURL(/motion=resale/);
  await expect(page).toHaveURL(/view=board/);
  const board = page.getByRole('region', { name: 'Pipeline board by stage' });
  const columns = board.locator('.board-column');
  await expect(columns).toHaveCount(6);
  await expect(columns.first().getByRole('heading', { name: 'Qualify' })).toBeVisible();
  await expect(columns.first().locator('.board-total')).toHaveText(/^\d+ deals · \$[\d,]+$/);
  // More than one column in view, at phone size too.
  const viewport = page.viewportSize()!;
  const second = await columns.nth(1).boundingBox();
  expect(second!.x + second!.width).toBeLessThanOrEqual(viewport.width);
  // The stage totals follow the filters: each column says what the totals card says.
  const stageTotals = page.locator('.totals .card', { has: page.getByRole('heading', { name: 'By stage' }) });
  const qualifyRow = stageTotals.locator('tr', { hasText: 'Qualify' });
  const qualifyCount = (await qualifyRow.locator('td').first().innerText()).trim();
  await expect(columns.first().locator('.board-total')).toContainText(`${qualifyCount} deals`);
  await page.screenshot({ path: testInfo.outputPath(`pipeline-board-${testInfo.project.name}.png`), fullPage: false });
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations).toEqual([]);

  // Saved under a name, it is one click away from the plain pipeline.
  await page.getByText('Save these filters as a view').click();
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Save view' }).click();
  await expect(page).toHaveURL(/\/deals\/pipeline\?motion=resale&view=board$/);
  const saved = page.getByRole('list', { name: 'Your saved views' }).getByRole('link', { name });
  await expect(saved).toHaveAttribute('aria-current', 'page');
  await page.goto('/deals/pipeline');
  await hydrated(page);
  await page.getByRole('list', { name: 'Your saved views' }).getByRole('link', { name }).click();
  await expect(page).toHaveURL(/motion=resale&view=board$/);
  await expect(page.getByLabel('Motion')).toHaveValue('resale');
  await page.getByRole('button', { name: `Delete the saved view ${name}` }).click();
  await expect(page.getByRole('link', { name })).toHaveCount(0);
});
