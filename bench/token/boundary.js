'use strict';
/**
 * 4. Boundary: a steady stream (one message per 1 ms timer tick) while a 3 s token is refreshed
 *    every 1.5 s (the margin is capped at half the lifetime). Each message is put in one of three
 *    classes by wrapping, on this one account, the manager methods the token node calls (fresh,
 *    getToken) and the one getToken uses to wait (refresh):
 *      fresh:  fresh() returned the token: sent synchronously;
 *      cached: fresh() said no, getToken() answered with the cached token (a microtask later);
 *      waited: getToken() answered with the refresh in flight: the message waited for the
 *              token request (boundary_waits).
 */
const { QUICK, flow, seed, withRuntime } = require('../lib/runtime');
const { now, oneMessage, round, usSince, withTimeout } = require('../lib/measure');
const { pass } = require('../lib/report');

const P = {
  ttlS: 3, // margin cap = TTL / 2 = 1.5 s: a refresh every 1.5 s
  ms: QUICK ? 3_500 : 8_000,
  periodMs: 1, // one message per timer tick
  waitMs: 1, // a message slower than this through the token node counts as having waited
};
const TARGET = { boundary: 0 };

/** Marks, for each message sent, whether fresh() missed and whether getToken() waited for the refresh. */
function watch(mgr) {
  const seen = { missed: false, waited: false };
  let refreshing;
  const wrap = (name, around) => {
    const orig = mgr[name];
    mgr[name] = function (...args) {
      return around(orig.apply(this, args));
    };
  };
  wrap('fresh', (t) => {
    if (!t) seen.missed = true;
    return t;
  });
  wrap('refresh', (p) => (refreshing = p));
  wrap('getToken', (p) => {
    if (p === refreshing) seen.waited = true;
    return p;
  });
  seen.unwrap = () => {
    delete mgr.fresh; // back to the prototype's methods
    delete mgr.refresh;
    delete mgr.getToken;
  };
  return seen;
}

async function stream(tokB, sinkB, seen) {
  const sentAt = [];
  const kind = []; // 0 fresh, 1 cached, 2 waited
  const count = [0, 0, 0];
  const slow = [0, 0, 0];
  const maxUs = [0, 0, 0];
  let got = 0;
  let sending = true;
  let finish;
  const done = new Promise((resolve) => {
    finish = resolve;
  });
  sinkB.onMessage = (msg) => {
    const i = msg.payload;
    const us = usSince(sentAt[i]);
    const k = kind[i];
    if (us > P.waitMs * 1000) slow[k]++;
    if (us > maxUs[k]) maxUs[k] = us;
    if (++got === sentAt.length && !sending) finish();
  };
  const tEnd = Date.now() + P.ms;
  const timer = setInterval(() => {
    if (Date.now() >= tEnd) {
      clearInterval(timer);
      sending = false;
      if (got === sentAt.length) finish();
      return;
    }
    const i = sentAt.length;
    seen.missed = false;
    seen.waited = false;
    sentAt.push(now());
    tokB.receive({ payload: i });
    const k = seen.waited ? 2 : seen.missed ? 1 : 0;
    kind.push(k);
    count[k]++;
  }, P.periodMs);
  await withTimeout(done, P.ms + 30_000, 'boundary');
  sinkB.onMessage = null;
  return { messages: sentAt.length, count, slow, maxMs: maxUs.map((x) => round(x / 1000, 2)) };
}

async function run() {
  const nodes = (sim) => flow.tokenToSink('B', sim);
  return withRuntime({ sim: { ttlSeconds: P.ttlS }, nodes }, async (rt, sim) => {
    await seed(rt.store, 'accB', sim, { obtainedAt: Date.now() }); // 3 s token
    const tokB = rt.node('tokB');
    const sinkB = rt.node('sinkB');
    // The first message loads the stored token (store read, no request); not counted.
    await withTimeout(oneMessage(tokB, sinkB), 10_000, 'boundary warm-up');
    const seen = watch(rt.node('accB').manager);
    sim.resetStats();
    const s = await stream(tokB, sinkB, seen);
    seen.unwrap();
    return {
      boundary_messages: s.messages,
      boundary_refreshes: sim.stats.refreshRequests,
      boundary_waits: s.count[2],
      boundary: { count: s.count, slow: s.slow, maxMs: s.maxMs },
    };
  });
}

const served = (R, k) => `${R.boundary.count[k]} / ${R.boundary.slow[k]} / ${R.boundary.maxMs[k]}`;

const rows = (R) => [
  ['4 boundary', `msgs sent (1 per ${P.periodMs} ms tick, ${P.ms / 1000} s, TTL ${P.ttlS} s)`, R.boundary_messages, '', ''],
  ['', 'refreshes during the run', R.boundary_refreshes, '', ''],
  ['', 'msgs served by fresh() / slow / max ms', served(R, 0), '', ''],
  ['', 'msgs served cached by getToken() / slow / max ms', served(R, 1), '', ''],
  ['', 'msgs that waited for the token request / slow / max ms', served(R, 2), '', ''],
  ['', `(slow: > ${P.waitMs} ms from receive() to the sink)`, '', '', ''],
  ['', 'boundary waits', R.boundary_waits, `= ${TARGET.boundary}`, pass(R.boundary_waits === TARGET.boundary)],
];

const summary = (R) => ({ boundary_waits: R.boundary_waits });

module.exports = { order: 4, run, rows, summary };
