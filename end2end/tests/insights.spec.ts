import AxeBuilder from '@axe-core/playwright';
import { expect, hydrated, navLink, signIn, test } from './helpers';

// A manager opens the completion view, splits and filters it by tier through the URL, reads
// the chart's numbers in its table and downloads the same rows as CSV; axe finds nothing.
test('a manager filters completion by tier and exports the rows as CSV', async ({ page }, testInfo) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/insights');
  await page.getByRole('link', { name: 'Completion rate by segment' }).click();
  await expect(page).toHaveURL(/\/insights\/completion$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Completion rate by tier, assigned .* \(12 months, UTC\)/);

  const filters = page.getByRole('search', { name: 'Filter the view' });
  await filters.getByLabel('Split by').selectOption('partner_type');
  await filters.getByLabel('Tier').selectOption('gold');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/by=partner_type/);
  await expect(page).toHaveURL(/tier=gold/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Completion rate by partner type');
  // The chart is an image with a title and a description (the demo program may have nobody
  // assigned long enough ago to count: then the page says so instead of drawing nothing).
  const chart = page.locator('svg.chart[role="img"]');
  if (await chart.count() > 0) {
    await expect(chart).toHaveAttribute('aria-labelledby', 'completion-chart-title completion-chart-desc');
    await expect(chart.locator('desc')).toContainText('overall');
  } else {
    await expect(page.locator('p.empty')).toContainText('Try a longer window');
  }
  const table = page.locator('table.rate-table');
  await expect(table.locator('tbody tr.overall')).toContainText('All');
  const tableRows = await table.locator('tbody tr').count();

  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('completion-by-segment.csv');
  const text = await (await file.createReadStream()).toArray();
  const lines = Buffer.concat(text).toString('utf8').trim().split('\r\n');
  expect(lines[0]).toContain('segment,completed,assigned,rate,lower_95,upper_95');
  expect(lines.length - 1).toBe(tableRows);
  expect(lines.slice(1).every(line => line.includes(',gold,'))).toBe(true);

  await page.screenshot({ path: testInfo.outputPath('completion-view.png'), fullPage: true });
  const results = await new AxeBuilder({ page }).include('main').analyze();
  expect(results.violations).toEqual([]);
});

// A manager opens the certified-vs-not view from the index: the caution is on the page, both
// charts are images with descriptions, every group has two table rows (certified, not), the
// CSV has the table's rows and repeats the window; axe finds nothing.
test('a manager opens certified vs not and exports its rows', async ({ page }, testInfo) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/insights');
  await page.getByRole('link', { name: /Certified vs not/ }).click();
  await expect(page).toHaveURL(/\/insights\/certified$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Certified vs not, .* \(12 months, UTC\)/);
  await expect(page.locator('.caution')).toContainText('association, not proof');

  const filters = page.getByRole('search', { name: 'Filter the view' });
  await filters.getByLabel('Deals in the last').selectOption('24');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/months=24/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('(24 months, UTC)');
  // The browser tests run the demo without its generated history: its organisations joined
  // today, so the page says there is nothing to compare yet, or too little to draw (the
  // server tests draw both charts from the history).
  const nothing = page.locator('p.empty', { hasText: 'No partner organisation was in the program' });
  for (const id of (await nothing.count()) > 0 ? [] : ['win-chart', 'revenue-chart']) {
    const chart = page.locator(`svg[aria-labelledby="${id}-title ${id}-desc"]`);
    if (await chart.count() > 0) {
      await expect(chart).toHaveAttribute('role', 'img');
      await expect(chart.locator('desc')).toContainText('pooled');
    } else {
      await expect(page.locator('.chart-card p.empty').first()).toContainText('No group has');
    }
  }
  const tableRows = await page.locator('table.rate-table tbody tr').count();
  expect(tableRows % 2).toBe(0);

  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('certified-vs-not.csv');
  const text = await (await file.createReadStream()).toArray();
  const lines = Buffer.concat(text).toString('utf8').trim().split('\r\n');
  expect(lines[0]).toContain('stratum,certified,orgs,org_quarters');
  expect(lines.length - 1).toBe(tableRows);
  expect(lines.slice(1).every(line => line.includes('(24 months, UTC)'))).toBe(true);

  await page.screenshot({ path: testInfo.outputPath('certified-view.png'), fullPage: true });
  const results = await new AxeBuilder({ page }).include('main').analyze();
  expect(results.violations).toEqual([]);
});

// A partner opens its organisation's scorecard from the navigation: its own figures, no
// other organisation's name, each figure a small chart with a description and the same
// numbers in the table; asking for another organisation is refused; axe finds nothing.
test('a partner opens its scorecard and sees only its own organisation', async ({ page }, testInfo) => {
  await signIn(page, 'nora@northwind.example');
  await expect(page).toHaveURL('/');
  await (await navLink(page, 'Scorecard')).click();
  await expect(page).toHaveURL('/scorecard');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Northwind Resellers scorecard, .* \(12 months, UTC\)/);
  await expect(page.locator('select[name=org]')).toHaveCount(0);
  const charts = page.locator('.scorecard-grid svg[role="img"]');
  expect(await charts.count()).toBe(7);
  await expect(charts.first().locator('desc')).toContainText('Northwind Resellers');
  await expect(page.locator('table.rate-table tbody tr')).toHaveCount(7);
  expect(await page.content()).not.toContain('Bluefin');

  const other = await page.request.get('/scorecard/export.csv?org=2');
  expect(other.status()).toBe(403);
  const own = await page.request.get('/scorecard/export.csv');
  expect(own.status()).toBe(200);
  expect((await own.text()).trim().split('\r\n').length - 1).toBe(7);

  await page.screenshot({ path: testInfo.outputPath('scorecard.png'), fullPage: true });
  const results = await new AxeBuilder({ page }).include('main').analyze();
  expect(results.violations).toEqual([]);
});

// A manager reads registration health split by region: the tiles, the weekly trend as a
// described image, the table with the overall row; axe finds nothing.
test('a manager reads deal registration health by region', async ({ page }, testInfo) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/insights');
  await page.getByRole('link', { name: 'Deal registration health' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Deal registration health, submitted .* \(12 months, UTC\)/);
  const filters = page.getByRole('search', { name: 'Filter the view' });
  await expect(filters.getByLabel('Job role')).toHaveCount(0);
  await filters.getByLabel('Split by').selectOption('region');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/by=region/);
  await expect(page.getByRole('list', { name: 'Overall' }).locator('li')).toHaveCount(6);
  await expect(page.locator('svg[aria-labelledby="approval-trend-title approval-trend-desc"]')).toHaveAttribute('role', 'img');
  await expect(page.locator('table.rate-table tbody tr.overall').first()).toContainText('All');
  await page.screenshot({ path: testInfo.outputPath('registrations-view.png'), fullPage: true });
  const results = await new AxeBuilder({ page }).include('main').analyze();
  expect(results.violations).toEqual([]);
});

// A manager walks the learning views: the funnel split by tier (its CSV has the table's
// rows), then the cohort curves and time to first deal, whose panels are each an image with
// a description, module satisfaction, sourced pipeline, the quiz analysis and the at-risk
// list; axe finds nothing on any of them.
test('a manager reads the funnel, curves, satisfaction, sourced pipeline, quiz and at-risk views', async ({ page }, testInfo) => {
  await signIn(page, 'marco@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/insights');
  await page.getByRole('link', { name: 'Learning funnel' }).click();
  await expect(page).toHaveURL(/\/insights\/funnel$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Learning funnel, assigned .* \(12 months, UTC\)/);
  const filters = page.getByRole('search', { name: 'Filter the view' });
  await filters.getByLabel('Split by').selectOption('tier');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/by=tier/);
  await expect(page.getByRole('heading', { level: 2, name: 'By tier' })).toBeVisible();
  const funnel = page.locator('svg[aria-labelledby="funnel-chart-title funnel-chart-desc"]');
  if (await funnel.count() > 0) {
    await expect(funnel).toHaveAttribute('role', 'img');
    await expect(funnel.locator('desc')).toContainText('Assigned');
  }
  const tableRows = await page.locator('table.rate-table tbody tr').count();
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('learning-funnel.csv');
  const lines = Buffer.concat(await (await file.createReadStream()).toArray()).toString('utf8').trim().split('\r\n');
  expect(lines[0]).toContain('group,assigned,started,finished_lessons,passed,certified');
  expect(lines.length - 1).toBe(tableRows);
  await page.screenshot({ path: testInfo.outputPath('funnel-view.png'), fullPage: true });
  expect((await new AxeBuilder({ page }).include('main').analyze()).violations).toEqual([]);

  for (const [link, heading] of [
    ['Completion by assignment month', /Completion by assignment month, .* \(12 months, UTC\)/],
    ['Time to first won deal', /Time to first won deal, .* \(24 months, UTC\)/],
    ['Module satisfaction', /Module satisfaction, rated .* \(12 months, UTC\)/],
    ['Partner-sourced pipeline and revenue', /Partner-sourced pipeline and revenue, .* \(12 months, UTC\)/],
  ] as const) {
    await page.goto('/insights');
    await page.getByRole('link', { name: link }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText(heading);
    const panels = page.locator('.panels svg[role="img"]');
    for (let i = 0; i < await panels.count(); i++) {
      await expect(panels.nth(i).locator('desc')).not.toBeEmpty();
    }
    await expect(page.locator('table.rate-table tbody tr.overall')).toHaveCount(1);
    await page.screenshot({ path: testInfo.outputPath(`${link.replace(/ /g, '-')}.png`), fullPage: true });
    expect((await new AxeBuilder({ page }).include('main').analyze()).violations).toEqual([]);
  }

  // The quiz analysis: tags and questions (the demo may have no submitted quiz yet).
  await page.goto('/insights');
  await page.getByRole('link', { name: 'Quiz questions and tags' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/Quiz questions and tags, answered .* \(12 months, UTC\)/);
  await page.screenshot({ path: testInfo.outputPath('quiz.png'), fullPage: true });
  expect((await new AxeBuilder({ page }).include('main').analyze()).violations).toEqual([]);

  // The at-risk list: a table to act on (the demo's learners may all be on track).
  await page.goto('/insights');
  await page.getByRole('link', { name: 'At-risk learners' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(/At-risk learners, as of .* \(UTC\)/);
  await expect(page.locator('p.lead')).toContainText(/at risk/);
  await page.screenshot({ path: testInfo.outputPath('at-risk.png'), fullPage: true });
  expect((await new AxeBuilder({ page }).include('main').analyze()).violations).toEqual([]);
});

// An admin sets the program's time zone in the rules: a name that is not a zone is a field
// error (focus on the summary, nothing saved); a zone typed in any case is saved as its IANA
// name and the views' titles name it. The zone goes back to UTC for the tests after this.
test('an admin sets the program time zone and the views count in it', async ({ page }, testInfo) => {
  await signIn(page, 'admin@lumen.example');
  await expect(page).toHaveURL('/');
  await page.goto('/deals/settings');
  await hydrated(page);
  const zone = page.getByLabel('Time zone');
  await expect(zone).toHaveValue('UTC');
  await zone.fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Save rules' }).click();
  await expect(page.locator('.error-summary')).toBeFocused();
  await expect(page.locator('[data-field="time_zone"]')).toContainText('Enter a time zone from the list');
  await zone.fill('europe/berlin');
  await page.getByRole('button', { name: 'Save rules' }).click();
  await expect(page.locator('.flash')).toHaveText('Saved. New registrations follow these rules.');
  await page.goto('/deals/settings');
  await expect(page.getByLabel('Time zone')).toHaveValue('Europe/Berlin');
  await page.screenshot({ path: testInfo.outputPath('settings-time-zone.png'), fullPage: true });

  await page.goto('/insights/registrations');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('(12 months, Europe/Berlin)');
  const results = await new AxeBuilder({ page }).include('main').analyze();
  expect(results.violations).toEqual([]);

  await page.goto('/deals/settings');
  await hydrated(page);
  await page.getByLabel('Time zone').fill('UTC');
  await page.getByRole('button', { name: 'Save rules' }).click();
  await expect(page.locator('.flash')).toHaveText('Saved. New registrations follow these rules.');
  await page.goto('/deals/settings');
  await expect(page.getByLabel('Time zone')).toHaveValue('UTC');
});
