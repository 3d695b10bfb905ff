// Shrinks the stylesheet for the browser: drops comments and collapses whitespace, never
// inside quoted strings (list markers such as "\2713  " keep their spacing). The sources in
// style/ stay commented; only the served copy is small.
// Usage: node scripts/minify-css.mjs <in.css> <out.css>
import fs from 'node:fs';

const [input, output] = process.argv.slice(2);
const source = fs.readFileSync(input, 'utf8');
// Strings stay as they are; comments go; everything else is squeezed.
const parts = source.split(/("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\/\*[\s\S]*?\*\/)/);
const squeezed = parts
  .map((part) => {
    if (part.startsWith('/*')) return '';
    if (part.startsWith('"') || part.startsWith("'")) return part;
    return part.replace(/\s+/g, ' ').replace(/\s*([{};,>])\s*/g, '$1');
  })
  .join('')
  .replace(/;}/g, '}')
  .trim();
fs.writeFileSync(output, `${squeezed}\n`);
