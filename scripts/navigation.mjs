// Navigation by full page loads on a phone profile (4x CPU slowdown, 150 ms latency,
// 1.6 Mbps down): from a click on a link to the next page being shown (DOMContentLoaded)
// and live (its islands hydrated), first with an empty cache and then with the bundles
// cached. Timing-based, so it reports and never gates CI. Usage (the server must be running):
//   node scripts/navigation.mjs <base url>
import { createRequire } from 'node:module';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const base = process.argv[2];
const PASSWORD = 'partner-demo-2026';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function phone(email) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#login-email', email);
  await page.fill('#login-password', PASSWORD);
  await page.click('form[aria-label="Sign in with password"] button[type=submit]');
  await page.waitForURL(`${base}/`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  // Cold: nothing kept from signing in.
  await cdp.send('Network.clearBrowserCache');
  return { context, page };
}

/** Milliseconds from clicking `link` to the next page's DOMContentLoaded and to it being live. */
async function follow(page, link) {
  const started = Date.now();
  const from = page.url();
  await Promise.all([page.waitForURL((url) => url.href !== from), page.$eval(link, (a) => a.click())]);
  await page.waitForLoadState('domcontentloaded');
  const shown = Date.now() - started;
  await page.waitForSelector('body[data-hydrated]', { timeout: 60_000 });
  return { shown, live: Date.now() - started };
}

const rows = [];
const learner = await phone('sam@keystone.example');
await learner.page.goto(`${base}/learn`);
await learner.page.waitForSelector('body[data-hydrated]');
rows.push(['/learn → a path (learner bundle not cached)', await follow(learner.page, 'a[href^="/learn/"]')]);
rows.push(['path → next step (learner bundle cached)', await follow(learner.page, '.step-list li:not(.current) a')]);
rows.push(['step → the catalog (no script)', await follow(learner.page, '#main-nav a[href="/learn"]')]);
await learner.context.close();

const partner = await phone('nora@northwind.example');
await partner.page.goto(`${base}/`);
await partner.page.waitForSelector('body[data-hydrated]');
rows.push(['home → /deals (checks bundle, not cached)', await follow(partner.page, '#main-nav a[href="/deals"]')]);
rows.push(['/deals → a deal (learner bundle not cached)', await follow(partner.page, '.deal-card h3 a')]);
rows.push(['deal → /deals (checks bundle cached)', await follow(partner.page, '#main-nav a[href="/deals"]')]);
await partner.context.close();
await browser.close();

console.log('navigation (phone profile)                     shown ms   live ms');
for (const [what, { shown, live }] of rows) {
  console.log(`${what.padEnd(46)} ${String(shown).padStart(8)}  ${String(live).padStart(8)}`);
}
