// First-load size of each page: the CSS, plus the JS and wasm of the bundle the page's loader
// picks (none when the page has no island), each brotli -q 11, as a cold browser fetches them.
// Deterministic: it reads the built files and the server's HTML, never times anything.
// Usage: node scripts/sizes.mjs <base url> <site root>   (the server must be running)
// Exits 1 when a page is over its budget, or loads a bundle that lacks one of its islands.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { startQuiz, Visitor } from './portal-visitor.mjs';

const [base, siteRoot] = process.argv.slice(2);
const LEARNER_BUDGET = 150 * 1024;
const PAGE_BUDGET = 250 * 1024;

const manifest = Object.fromEntries(
  fs.readFileSync(`${siteRoot}/pkg/assets.txt`, 'utf8').trim().split('\n').map((line) => line.split(': ')),
);
const brotli = (file) => zlib.brotliCompressSync(fs.readFileSync(`${siteRoot}/pkg/${file}`), {
  params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 },
}).length;
const sizes = Object.fromEntries(Object.entries(manifest).map(([kind, file]) => [kind, brotli(file)]));
// The loader's bundle table, in order (the same as `BUNDLES` in app/src/lib.rs, read from a page).
let bundles = null;

function firstLoad(html) {
  if (!bundles) bundles = JSON.parse(html.match(/const bundles = (\[.*?\]);/)[1]);
  const islands = [...html.matchAll(/<leptos-island data-component="([A-Za-z]+)_\d+"/g)].map((m) => m[1]);
  const css = sizes.css;
  if (islands.length === 0) return { bundle: 'none', bytes: css, islands, missing: [] };
  const fits = (b) => !b.islands || islands.every((n) => b.islands.includes(n));
  const bundle = bundles.find(fits) ?? bundles[bundles.length - 1];
  const name = Object.keys(manifest).find((kind) => manifest[kind] === bundle.js).replace(/_js$/, '');
  const missing = fits(bundle) ? [] : [...new Set(islands.filter((n) => !bundle.islands.includes(n)))];
  return { bundle: name, bytes: css + sizes[`${name}_js`] + sizes[`${name}_wasm`], islands: [...new Set(islands)], missing };
}

const rows = [];
let failed = false;
async function measure(visitor, who, path, budget) {
  if (process.env.SIZES_TRACE) console.error(`measuring ${who} ${path}`);
  const html = await visitor.html(path);
  const { bundle, bytes, islands, missing } = firstLoad(html);
  const over = bytes > budget;
  if (over || missing.length) failed = true;
  rows.push({ who, path, bundle, bytes, budget, over, islands, missing });
  return html;
}

const partner = new Visitor(base);
await measure(partner, 'visitor', '/login', PAGE_BUDGET);
await partner.signIn('sam@keystone.example');
const catalog = await measure(partner, 'partner', '/learn', LEARNER_BUDGET);
const pathLink = catalog.match(/href="(\/learn\/\d+)[^"]*"/)[1];
await measure(partner, 'partner', pathLink, LEARNER_BUDGET);
const attemptPath = await startQuiz(partner, pathLink);
if (!attemptPath) throw new Error('could not start a quiz to measure /quiz/<attempt>');
await measure(partner, 'partner', attemptPath, LEARNER_BUDGET);
for (const path of ['/', '/certificates', '/deals', '/announcements', '/my-org', '/tiers', '/policies', '/account']) {
  await measure(partner, 'partner', path, PAGE_BUDGET);
}

const manager = new Visitor(base);
await manager.signIn('marco@lumen.example');
const staffPages = ['/', '/partners', '/deals/pipeline', '/deals/queue', '/deals/signals', '/deals/renewals', '/deals/settings',
  '/learn', '/training-status', '/certificates/holders', '/author', '/tiers', '/announcements/manage', '/policies', '/account'];
for (const path of staffPages) {
  await measure(manager, 'manager', path, PAGE_BUDGET);
}
// The path editor, a deal's history and a policy document: pages with many forms.
const editor = (await manager.html('/author')).match(/href="(\/author\/\d+)"/)[1];
await measure(manager, 'manager', editor, PAGE_BUDGET);
await measure(manager, 'manager', '/policies/territories', PAGE_BUDGET);
const deal = (await manager.html('/deals/pipeline')).match(/href="(\/deals\/\d+)"/)[1];
await measure(manager, 'manager', deal, PAGE_BUDGET);
const verify = (await partner.html('/certificates')).match(/href="(\/verify\/[^"/]+)"/);
if (verify) await measure(partner, 'partner', verify[1], PAGE_BUDGET);

const kb = (n) => `${(n / 1024).toFixed(1)} kB`;
const names = Object.keys(manifest).filter((k) => k.endsWith('_js')).map((k) => k.replace(/_js$/, ''));
console.log(`bundles (brotli -q 11): ${names.map((n) => `${n} js ${kb(sizes[`${n}_js`])} + wasm ${kb(sizes[`${n}_wasm`])}`).join('; ')}; css ${kb(sizes.css)}`);
console.log('who      page                         bundle   first load   budget');
for (const row of rows) {
  const page = row.path.replace(/\d+/g, (d) => (row.path.startsWith('/quiz') || row.path.startsWith('/learn/') ? '<id>' : d));
  const page2 = page.replace(/^\/(author|deals)\/\d+$/, (m, area) => `/${area}/<id>`).replace(/^\/verify\/[^/]+$/, '/verify/<code>');
  const problem = `${row.over ? '   OVER BUDGET' : ''}${row.missing.length ? `   BUNDLE LACKS ${row.missing.join(', ')}` : ''}`;
  console.log(`${row.who.padEnd(8)} ${page2.padEnd(28)} ${row.bundle.padEnd(8)} ${kb(row.bytes).padStart(10)}   ${kb(row.budget).padStart(9)}${problem}`);
}
process.exit(failed ? 1 : 0);
