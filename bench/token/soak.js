'use strict';
/** 6. Soak: heap growth over 1,000,000 messages through token -> sink (forced GC before and after). */
const { QUICK } = require('../lib/runtime');
const { heapMb, round, throughput, withTimeout } = require('../lib/measure');
const { fmt, pass } = require('../lib/report');
const { onHotPath } = require('./_hot-path');

const P = { messages: QUICK ? 100_000 : 1_000_000, window: 100 };
const TARGET = { soakMb: 5 };

async function run() {
  return onHotPath(async ({ node }) => {
    const heap0 = heapMb();
    const rate = await withTimeout(throughput(node('tokH'), node('sinkT'), P.messages, P.window), 120_000, 'soak');
    const heap1 = heapMb();
    return { soak_msgs_per_s: Math.round(rate), soak_heap_start_mb: round(heap0, 2), soak_heap_mb: round(heap1 - heap0, 2) };
  });
}

const rows = (R) => [
  ['6 soak', `${fmt(P.messages)} msgs through token -> sink (msg/s)`, fmt(R.soak_msgs_per_s), '', ''],
  ['', 'heap after GC: end - start (MB)', R.soak_heap_mb, `< ${TARGET.soakMb}`, pass(R.soak_heap_mb < TARGET.soakMb)],
];

const summary = (R) => ({ soak_heap_mb: R.soak_heap_mb });

module.exports = { order: 6, run, rows, summary };
