'use strict';
/**
 * 8. Burst: 600 messages at once into one api node; simulator limits 50 per 1 s and 500 per 10 s
 *    (Netatmo's 10 s and 1 h, scaled down), maxWait 3 s: served, refused at once, 429s seen, most
 *    requests in any 1 s window.
 */
const { round, withTimeout } = require('../lib/measure');
const { failedRows, pass } = require('../lib/report');
const { onApiPath } = require('./_api-path');

const P = {
  messages: 600,
  limits: [
    { limit: 50, windowMs: 1000 },
    { limit: 500, windowMs: 10_000 },
  ],
  maxWait: 3,
};

async function run() {
  return onApiPath({ limits: P.limits, maxWait: P.maxWait }, async ({ node, errors }, sim) => {
    const api = node('api');
    const sink = node('sinkA');
    sim.resetStats();
    let served = 0;
    const t0 = Date.now();
    const all = new Promise((resolve) => {
      const check = () => served + errors.length === P.messages && resolve();
      sink.onMessage = () => (served++, check());
      node('sinkErr').onMessage = (msg) => (errors.push(`${msg.error?.code}`), check());
    });
    for (let i = 0; i < P.messages; i++) api.receive({ payload: {}, seq: i });
    await withTimeout(all, 60_000, 'api burst');
    const limited = errors.filter((e) => e === 'RATE_LIMITED').length;
    const max = sim.maxApiInWindow(P.limits[0].windowMs);
    const out = {
      messages: P.messages,
      served,
      rate_limited: limited,
      other_errors: errors.length - limited,
      sim_429: sim.deviceStats.api429,
      max_per_window: max,
      window_ms: P.limits[0].windowMs,
      limit: P.limits[0].limit,
      max_over_limit: round(max / P.limits[0].limit, 2),
      seconds: round((Date.now() - t0) / 1000, 2),
    };
    errors.length = 0; // refusals are this case's expected outcome, not errors
    return out;
  });
}

const rows = (b) => [
  [
    '8 api burst',
    `${b.messages} msgs at once: served / RATE_LIMITED / other errors`,
    `${b.served} / ${b.rate_limited} / ${b.other_errors}`,
    '',
    '',
  ],
  [
    '',
    `most requests in any ${b.window_ms} ms (limit ${b.limit})`,
    `${b.max_per_window} (${b.max_over_limit})`,
    '<= 1',
    pass(b.max_over_limit <= 1),
  ],
  ['', '429 answered by the simulator', b.sim_429, '= 0', pass(b.sim_429 === 0)],
  ...failedRows('', b),
];

const summary = (b) => ({ api: { burst: b } });

module.exports = { order: 8, run, rows, summary };
