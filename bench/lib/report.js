'use strict';
/** The bench's table: one row per figure ([case, figure, value, target, PASS/MISS]). */
const os = require('node:os');

const pass = (ok) => (ok ? 'PASS' : 'MISS');
const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n));

/** A case whose process failed: one row saying so. */
const failedRows = (label, R) => (R && R.error ? [[label, 'FAILED', String(R.error).slice(0, 120), '', '']] : []);

function printTable(rows, { nodeRed, quick, seconds }) {
  const head = ['case', 'figure', 'value', 'target', ''];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((c, i) => String(c).padEnd(w[i]))
      .join('  ')
      .trimEnd();
  console.log(
    `\nnetatmo-token bench: Node-RED ${nodeRed}, Node ${process.version}, ${os.cpus().length} CPU(s)${quick ? ', --quick' : ''}, ${seconds} s`,
  );
  console.log(line(head));
  console.log(
    w
      .map((n) => '-'.repeat(n))
      .join('  ')
      .trimEnd(),
  );
  for (const r of rows) console.log(line(r));
}

module.exports = { pass, fmt, failedRows, printTable };
