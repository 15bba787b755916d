'use strict';
/**
 * The README's per-file mutation table, from Stryker's JSON report (reports/mutation/mutation.json):
 *   node test/helpers/mutation-table.js [report.json]
 * Score as Stryker counts it: (killed + timed out) / (killed + timed out + survived + not covered);
 * mutants disabled in the code with a reason (`// Stryker disable`) are "ignored" and counted apart.
 */
const fs = require('node:fs');
const path = require('node:path');

const file = process.argv[2] || path.join(__dirname, '..', '..', 'reports', 'mutation', 'mutation.json');
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const KINDS = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'Ignored'];

function count(mutants) {
  const c = Object.fromEntries(KINDS.map((k) => [k, 0]));
  for (const m of mutants) if (m.status in c) c[m.status] += 1;
  const valid = c.Killed + c.Timeout + c.Survived + c.NoCoverage;
  return { ...c, valid, score: valid ? (100 * (c.Killed + c.Timeout)) / valid : 100 };
}

const pct = (x) => `${x.toFixed(1)} %`;
const rows = Object.entries(report.files)
  .map(([name, f]) => [name.replace(/^src\/core\//, ''), count(f.mutants)])
  .sort((a, b) => a[0].localeCompare(b[0]));
const all = count(Object.values(report.files).flatMap((f) => f.mutants));
const lines = [
  '| file | mutants | killed | timed out | survived | not covered | disabled | score |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    ([n, c]) => `| ${n} | ${c.valid} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${c.Ignored} | ${pct(c.score)} |`,
  ),
  `| **all ${rows.length} files** | **${all.valid}** | ${all.Killed} | ${all.Timeout} | ${all.Survived} | ${all.NoCoverage} | ${all.Ignored} | **${pct(all.score)}** |`,
];
console.log(lines.join('\n'));
const lowest = rows.reduce((a, b) => (b[1].score < a[1].score ? b : a));
const disabledShare = (100 * all.Ignored) / (all.valid + all.Ignored);
console.log(
  `\nlowest file: ${lowest[0]} ${pct(lowest[1].score)}; disabled: ${all.Ignored} of ${all.valid + all.Ignored} (${pct(disabledShare)})`,
);
