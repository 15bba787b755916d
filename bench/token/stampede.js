'use strict';
/**
 * 3. Stampede: the flows restart (as after a deploy or a Node-RED restart) on a stored token that
 *    expired a minute ago, and 1,000 messages arrive at once. Two timings:
 *    a) at once after the restart: the account has not even read its file yet;
 *    b) just after the account loaded the expired token, before its own refresh timer fired.
 */
const { HOUR, flow, seed, withRuntime } = require('../lib/runtime');
const { now, round, usSince, withTimeout } = require('../lib/measure');
const { pass } = require('../lib/report');

const P = { messages: 1_000 };
const TARGET = { stampede: 1 };

async function burst({ RED, node, store, errors }, sim, variant) {
  await RED.nodes.stopFlows();
  await seed(store, 'accS', sim, { obtainedAt: Date.now() - 3 * HOUR - 60_000, expiresAt: Date.now() - 60_000 });
  sim.resetStats();
  await RED.nodes.startFlows();
  const tokS = node('tokS');
  const sinkS = node('sinkS');
  const mgr = node('accS').manager;
  if (variant === 'b' && mgr.state.expires_at === undefined) {
    // The account emits `state` when it has read the file; burst right after that
    // (a microtask later, when its start-up code has run to its end).
    await withTimeout(new Promise((resolve) => mgr.once('state', () => queueMicrotask(resolve))), 10_000, 'stampede load');
  }
  const st = mgr.state;
  const stateAtBurst =
    st.expires_at === undefined ? 'not loaded yet' : st.expires_at < Date.now() ? `expired, ${st.status}` : 'FRESH: case invalid';
  const sentAt = new Array(P.messages);
  let got = 0;
  let maxUs = 0;
  const all = new Promise((resolve) => {
    sinkS.onMessage = (msg) => {
      const us = usSince(sentAt[msg.payload]);
      if (us > maxUs) maxUs = us;
      if (++got === P.messages) resolve();
    };
  });
  for (let i = 0; i < P.messages; i++) {
    sentAt[i] = now();
    tokS.receive({ payload: i });
  }
  await withTimeout(all, 30_000, `stampede ${variant} (${got}/${P.messages} served; errors: ${errors.slice(0, 3).join(' | ')})`);
  sinkS.onMessage = null;
  return { state: stateAtBurst, requests: sim.stats.tokenRequests, maxMs: round(maxUs / 1000, 2) };
}

async function run() {
  // accS gets its tokens when the case starts: no refresh timer runs before.
  const nodes = (sim) => flow.tokenToSink('S', sim);
  return withRuntime({ nodes }, async (rt, sim) => {
    const stampede = [await burst(rt, sim, 'a'), await burst(rt, sim, 'b')];
    return {
      stampede,
      stampede_token_requests: Math.max(...stampede.map((x) => x.requests)),
      stampede_max_wait_ms: Math.max(...stampede.map((x) => x.maxMs)),
    };
  });
}

const rows = (R) => [
  ...R.stampede.flatMap((x, i) => [
    [i ? '' : '3 stampede', `${'ab'[i]}) state when ${P.messages} msgs arrived`, x.state, '', ''],
    ['', `${'ab'[i]}) token requests / slowest wait (ms)`, `${x.requests} / ${x.maxMs}`, '', ''],
  ]),
  [
    '',
    'token requests (worst of a, b)',
    R.stampede_token_requests,
    `= ${TARGET.stampede}`,
    pass(R.stampede_token_requests === TARGET.stampede),
  ],
  ['', 'slowest message wait (ms, worst of a, b)', R.stampede_max_wait_ms, '', ''],
];

const summary = (R) => ({ stampede_token_requests: R.stampede_token_requests, stampede_max_wait_ms: R.stampede_max_wait_ms });

module.exports = { order: 3, run, rows, summary };
