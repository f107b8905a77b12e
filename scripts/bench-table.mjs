#!/usr/bin/env node
/**
 * Writes the README's benchmark table from bench/results/latest.json (`npm run bench:table`, run
 * after `npm run bench`): the rows between <!-- bench:start --> and <!-- bench:end --> are
 * replaced, nothing else changes. Exits 1 when the file or the markers are missing.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const results = JSON.parse(fs.readFileSync(path.join(root, 'bench', 'results', 'latest.json'), 'utf8'));
if (!Array.isArray(results.rows)) {
  console.error('bench/results/latest.json has no rows: run npm run bench first');
  process.exit(1);
}
const num = (v) => (typeof v === 'number' ? (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toFixed(v < 1 ? 4 : 2))) : (v ?? ''));
const m = results.machine ?? {};
const lines = [
  `Measured ${m.date ?? ''} on ${m.nproc ?? '?'} cores (${m.cpu ?? '?'}), ${m.memGiB ?? '?'} GiB, Node ${m.node ?? '?'}; written by \`npm run bench:table\` from \`bench/results/latest.json\`.`,
  '',
  '| phase | value | reference (same run) | ratio | goal |',
  '|---|---|---|---|---|',
  ...results.rows.map((r) => `| ${r.phase} | ${num(r.value)} ${r.unit} | ${typeof r.reference === 'number' ? `${num(r.reference)} ${r.unit === 'jobs/s' ? 'jobs/s' : r.unit}` : (r.reference ?? '')} | ${r.ratio === null ? '' : num(r.ratio)} | ${r.goal} |`),
];
const readme = path.join(root, 'README.md');
const text = fs.readFileSync(readme, 'utf8');
const start = text.indexOf('<!-- bench:start -->');
const end = text.indexOf('<!-- bench:end -->');
if (start < 0 || end < start) {
  console.error('README.md has no <!-- bench:start --> ... <!-- bench:end --> section');
  process.exit(1);
}
fs.writeFileSync(readme, `${text.slice(0, start)}<!-- bench:start -->\n${lines.join('\n')}\n${text.slice(end)}`);
console.log(`README.md: ${results.rows.length} benchmark rows written`);
