'use strict';
/**
 * 12. History: the netatmo-api node asks getmeasure in pages (output: points for a chart), against
 *     the simulator with Netatmo's per-user limits (50 per 10 s, 500 per hour; the node keeps 45 and
 *     450). For each history: points, requests made against the theoretical minimum (points / 1024,
 *     rounded up), wall time, the most requests in any 10 s window, and 429s answered. One budget for
 *     all histories, as for one account (about 110 requests in all, below the hour's 450). The
 *     simulator answers at once: against Netatmo add its latency per request.
 */
const { WORLD_IDS: ID } = require('../../test/simulator/simulator.js');
const { fmt } = require('../lib/report');
const { flow, seed, withRuntime } = require('../lib/runtime');

const DAY = 86400;
/** A past day boundary: whole days hold a known number of points. */
const END = Math.floor(Date.now() / 1000 / DAY) * DAY - DAY;

const CASES = [
  { name: '1 year at 30min, 1 type', days: 365, scale: '30min', type: 'Temperature' },
  { name: '1 year at 30min, 2 types', days: 365, scale: '30min', type: 'Temperature,Humidity' },
  { name: '1 year at 30min, 44 of 45 turns spent', days: 365, scale: '30min', type: 'Temperature', spend: 44 },
  { name: '1 year at 1hour', days: 365, scale: '1hour', type: 'Temperature' },
  { name: '5 years at 1day', days: 5 * 365, scale: '1day', type: 'Temperature' },
  { name: '7 days at 30min (last: "7d")', days: 7, scale: '30min', type: 'Temperature' },
];

const nodes = (sim) => [
  flow.tab('bench history'),
  flow.account('acc', sim),
  { id: 'api', type: 'netatmo-api', z: 'tab', account: 'acc', endpoint: 'getmeasure', output: 'chart', maxWait: 300, wires: [['sink']] },
  flow.sink('sink'),
  ...flow.catchAll(),
];

/** Sends `payload` into the api node; resolves with the sink's message, rejects on the catch node's. */
function ask(node, payload) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no answer within 5 minutes')), 300_000);
    node('sink').onMessage = (msg) => (clearTimeout(t), resolve(msg));
    node('sinkErr').onMessage = (msg) => (clearTimeout(t), reject(new Error(`${msg.error?.code}: ${msg.error?.message}`)));
    node('api').receive({ payload });
  });
}

async function one(node, sim, c) {
  sim.resetStats();
  const device = { device_id: ID.station, module_id: ID.outdoor };
  for (let i = 0; i < (c.spend ?? 0); i++) await ask(node, { ...device, scale: '1day', type: 'Temperature', limit: 1 });
  const before = sim.apiLog.length;
  const t0 = Date.now();
  const msg = await ask(node, { ...device, scale: c.scale, type: c.type, date_begin: END - c.days * DAY, date_end: END });
  const ms = Date.now() - t0;
  const points = msg.payload.length / c.type.split(',').length;
  return {
    case: c.name,
    points,
    requests: sim.apiLog.length - before,
    minimum: Math.ceil(points / 1024),
    ms,
    max_in_10s: sim.maxApiInWindow(10_000),
    sim_429: sim.deviceStats.api429,
  };
}

function run() {
  return withRuntime(
    {
      sim: { devices: true },
      nodes,
      logLevel: 'error',
      userDirPrefix: 'netatmo-bench-history-',
      seedFirst: (store, sim) => seed(store, 'acc', sim, { obtainedAt: Date.now() }),
    },
    async ({ node }, sim) => {
      const history = [];
      for (const c of CASES) history.push(await one(node, sim, c));
      return { history };
    },
  );
}

const rows = (h) =>
  h.history.map((r, i) => [
    i ? '' : '12 history',
    r.case,
    `${fmt(r.points)} points: ${r.requests} requests (minimum ${r.minimum}), ${(r.ms / 1000).toFixed(2)} s, most in 10 s ${r.max_in_10s}, 429s ${r.sim_429}`,
    '',
    '',
  ]);

const summary = (h) => ({ history: h.history });

module.exports = { order: 12, run, rows, summary };
