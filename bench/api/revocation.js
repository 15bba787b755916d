'use strict';
/** 9. Early revocation: the simulator revokes the access token, 100 calls at once: token requests, served. */
const { oneMessage, withTimeout } = require('../lib/measure');
const { failedRows, pass } = require('../lib/report');
const { onApiPath } = require('./_api-path');

const P = { calls: 100 };

async function run() {
  return onApiPath({}, async ({ node, errors }, sim) => {
    const api = node('api');
    const sink = node('sinkA');
    await withTimeout(oneMessage(api, sink), 10_000, 'revocation warm-up');
    sim.resetStats();
    sim.revokeAccessTokens();
    let served = 0;
    const all = new Promise((resolve) => {
      const check = () => served + errors.length === P.calls && resolve();
      sink.onMessage = () => (served++, check());
      node('sinkErr').onMessage = (msg) => (errors.push(`${msg.error?.code}: ${msg.error?.message}`), check());
    });
    const t0 = Date.now();
    for (let i = 0; i < P.calls; i++) api.receive({ payload: {}, seq: i });
    await withTimeout(all, 60_000, 'revocation');
    return {
      calls: P.calls,
      served,
      token_requests: sim.stats.tokenRequests,
      api_requests: sim.stats.apiRequests,
      ms: Date.now() - t0,
    };
  });
}

const rows = (v) => [
  ['9 revocation', `${v.calls} calls on a revoked token: served`, v.served, `= ${v.calls}`, pass(v.served === v.calls)],
  ['', 'token requests', v.token_requests, '= 1', pass(v.token_requests === 1)],
  ...failedRows('', v),
];

const summary = (v) => ({ api: { revocation: v } });

module.exports = { order: 9, run, rows, summary };
