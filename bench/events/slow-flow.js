'use strict';
/**
 * 11. The 200 while the flow is slow: the event node's flow takes 2 s per event (async); events at a
 *     steady 100/s for 5 s; p50 / p99 / max of the answer's time, target p99 < 50 ms. Then the same
 *     pace on a flow that takes no time: the machine's own noise.
 */
const { median, pct, round } = require('../lib/measure');
const { failedRows, pass } = require('../lib/report');
const { paced, onWebhooks } = require('./_webhook');

const sorted = (xs) => Float64Array.from(xs).sort();

function run() {
  return onWebhooks(async ({ fast, slow }) => {
    const times = await paced(slow);
    const base = await paced(fast);
    return {
      slow_flow_p50_ms: round(median(times), 2),
      slow_flow_p99_ms: round(pct(sorted(times), 99), 2),
      slow_flow_max_ms: round(Math.max(...times), 2),
      fast_flow_p50_ms: round(median(base), 2),
      fast_flow_p99_ms: round(pct(sorted(base), 99), 2),
    };
  });
}

const rows = (e) => [
  [
    '11 events slow flow',
    'the 200 while the flow takes 2 s per event, 100 events/s for 5 s',
    `p50 ${e.slow_flow_p50_ms} ms, p99 ${e.slow_flow_p99_ms} ms, max ${e.slow_flow_max_ms} ms`,
    'p99 < 50 ms',
    pass(e.slow_flow_p99_ms < 50),
  ],
  [
    '',
    "the same pace on a flow that takes no time (the machine's noise)",
    `p50 ${e.fast_flow_p50_ms} ms, p99 ${e.fast_flow_p99_ms} ms`,
    '',
    '',
  ],
  ...failedRows('', e),
];

const summary = (e) => ({ events: { slow_flow: e } });

module.exports = { order: 11, run, rows, summary };
