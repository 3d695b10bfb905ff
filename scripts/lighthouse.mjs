// Lighthouse (mobile: simulated 4x CPU slowdown, 150 ms RTT, 1.6 Mbps) on the pages the front
// end is judged by, signed in where the page needs it, printing performance, TBT and LCP.
// Timing-based, so it reports and never gates CI. Usage (the server must be running):
//   node scripts/lighthouse.mjs <base url>
import { createRequire } from 'node:module';
import { startQuiz, Visitor } from './portal-visitor.mjs';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const lighthouse = (await import(require.resolve('lighthouse'))).default;
const chromeLauncher = await import(require.resolve('chrome-launcher'));

const base = process.argv[2];
const partner = new Visitor(base);
await partner.signIn('sam@keystone.example');
const catalog = await partner.html('/learn');
const pathLink = catalog.match(/href="(\/learn\/\d+)[^"]*"/)[1];
const attempt = await startQuiz(partner, pathLink);
const manager = new Visitor(base);
await manager.signIn('marco@lumen.example');
const deals = new Visitor(base);
await deals.signIn('nora@northwind.example');

const pages = [
  ['/login', null],
  ['/learn', partner],
  [pathLink, partner],
  [attempt, partner],
  ['/deals', deals],
  ['/deals/pipeline', manager],
];

const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const rows = [];
try {
  for (const [path, visitor] of pages) {
    const result = await lighthouse(`${base}${path}`, {
      port: chrome.port,
      onlyCategories: ['performance'],
      output: 'json',
      logLevel: 'error',
      extraHeaders: visitor ? { Cookie: visitor.cookieHeader() } : undefined,
    });
    const { categories, audits } = result.lhr;
    rows.push({
      page: path.replace(/\d+/g, '<id>'),
      score: Math.round(categories.performance.score * 100),
      tbt: Math.round(audits['total-blocking-time'].numericValue),
      lcp: (audits['largest-contentful-paint'].numericValue / 1000).toFixed(2),
      fcp: (audits['first-contentful-paint'].numericValue / 1000).toFixed(2),
    });
  }
} finally {
  await chrome.kill();
}
console.log('page                      performance   TBT ms   LCP s   FCP s   (goal: >= 95, <= 200 ms, <= 2.0 s)');
for (const row of rows) {
  console.log(`${row.page.padEnd(26)}${String(row.score).padStart(11)}${String(row.tbt).padStart(9)}${row.lcp.padStart(8)}${row.fcp.padStart(8)}`);
}
