// Generates the demo course video (public/media/lumen-intro.webm) without downloading
// anything: headless Chromium draws narrated title cards on a canvas and records them with
// MediaRecorder. Run once with `node scripts/make-demo-video.mjs`; the result is committed.
import { chromium } from '../end2end/node_modules/playwright-core/index.mjs';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const output = fileURLToPath(new URL('../public/media/lumen-intro.webm', import.meta.url));
const cards = [
  ['Lumen Analytics', 'Partner onboarding, part 1'],
  ['The problem', 'Operations teams spend Mondays rebuilding spreadsheets'],
  ['What Lumen does', 'Live dashboards from every system, in one place'],
  ['Who buys it', 'Heads of operations at 200–5,000 person companies'],
  ['Your next step', 'Read the positioning guide, then take the quiz'],
];

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--autoplay-policy=no-user-gesture-required'] });
const page = await browser.newPage();
const base64 = await page.evaluate(async (cards) => {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  document.body.append(canvas);
  const g = canvas.getContext('2d');
  const secondsPerCard = 2.4;
  const total = cards.length * secondsPerCard;
  const stream = canvas.captureStream(24);
  const recorder = new MediaRecorder(stream, { mimeType: 'video/webm;codecs=vp8', videoBitsPerSecond: 350_000 });
  const chunks = [];
  recorder.ondataavailable = (e) => chunks.push(e.data);
  const done = new Promise((resolve) => (recorder.onstop = resolve));
  recorder.start();
  const started = performance.now();
  await new Promise((resolve) => {
    const draw = () => {
      const t = (performance.now() - started) / 1000;
      if (t >= total) return resolve();
      const index = Math.min(cards.length - 1, Math.floor(t / secondsPerCard));
      const local = (t % secondsPerCard) / secondsPerCard;
      const [title, line] = cards[index];
      g.fillStyle = '#0b3d91';
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = '#f2b632';
      g.fillRect(0, 340, 640 * (t / total), 20);
      g.globalAlpha = Math.min(1, local * 4);
      g.fillStyle = '#ffffff';
      g.font = 'bold 40px sans-serif';
      g.textAlign = 'center';
      g.fillText(title, 320, 160);
      g.font = '22px sans-serif';
      g.fillText(line, 320, 210);
      g.globalAlpha = 1;
      requestAnimationFrame(draw);
    };
    draw();
  });
  recorder.stop();
  await done;
  const blob = new Blob(chunks, { type: 'video/webm' });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}, cards);
await browser.close();
const durationMs = cards.length * 2.4 * 1000;
writeFileSync(output, withDuration(Buffer.from(base64, 'base64'), durationMs));
console.log(`wrote ${output}`);

// MediaRecorder leaves the duration out of the WebM header, so browsers report Infinity and
// seeking is poor. Adds a Duration element (milliseconds, as TimecodeScale is 1 ms) to the
// segment's Info element; the segment itself has "unknown" size, so nothing else moves.
function withDuration(webm, durationMs) {
  const vintLength = (first) => { let n = 1; while (n <= 8 && !(first & (0x80 >> (n - 1)))) n++; return n; };
  const readSize = (at) => {
    const length = vintLength(webm[at]);
    let value = webm[at] & (0xff >> length);
    for (let i = 1; i < length; i++) value = value * 256 + webm[at + i];
    return { length, value, unknown: value === 2 ** (7 * length) - 1 };
  };
  const element = (at) => {
    const idLength = vintLength(webm[at]);
    const id = webm.subarray(at, at + idLength).toString('hex');
    const size = readSize(at + idLength);
    return { id, dataStart: at + idLength + size.length, size };
  };
  let at = 0;
  const header = element(at);
  at = header.dataStart + header.size.value;
  const segment = element(at);
  if (segment.id !== '18538067') throw new Error('no Segment element');
  at = segment.dataStart;
  for (;;) {
    const child = element(at);
    const end = child.dataStart + child.size.value;
    if (child.id === '1549a966') {
      const duration = Buffer.alloc(11);
      duration.writeUInt16BE(0x4489, 0);
      duration[2] = 0x88;
      duration.writeDoubleBE(durationMs, 3);
      const body = Buffer.concat([webm.subarray(child.dataStart, end), duration]);
      const size = Buffer.alloc(8);
      size[0] = 0x01;
      size.writeUIntBE(body.length, 2, 6);
      return Buffer.concat([webm.subarray(0, at), Buffer.from('1549a966', 'hex'), size, body, webm.subarray(end)]);
    }
    at = end;
  }
}
