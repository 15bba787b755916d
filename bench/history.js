#!/usr/bin/env node
'use strict';
/**
 * History figures of the netatmo-api node (getmeasure in pages) in a real, embedded Node-RED 4 runtime
 * against the simulator (test/simulator.js, test/sim-measure.js) with Netatmo's per-user limits
 * (50 per 10 s, 500 per hour; the node keeps 45 and 450):
 *
 *   npm run build && node bench/history.js        (npm run bench:history)
 *
 * For each case: points, requests made against the theoretical minimum (points / 1024, rounded up),
 * wall time, the most requests in any 10 s window, and 429s answered. The simulator answers at once:
 * against Netatmo add its latency per request. Prints a table, then one JSON line with every figure.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const { TokenStore } = require(path.join(REPO, 'dist', 'core', 'token', 'store.js'));
const { startSimulator, WORLD_IDS: ID } = require(path.join(REPO, 'test', 'simulator', 'simulator.js'));
const RED = require('node-red');

const CLIENT_ID = 'bench-client-id';
const CLIENT_SECRET = 'bench-client-secret-0123456789';
const DAY = 86400;
/** A past day boundary: whole days hold a known number of points. */
const END = Math.floor(Date.now() / 1000 / DAY) * DAY - DAY;

const CASES = [
  { name: '1 year at 30min, 1 type', days: 365, scale: '30min', step: 1800, type: 'Temperature' },
  { name: '1 year at 30min, 2 types', days: 365, scale: '30min', step: 1800, type: 'Temperature,Humidity' },
  { name: '1 year at 30min, 44 of 45 turns spent', days: 365, scale: '30min', step: 1800, type: 'Temperature', spend: 44 },
  { name: '1 year at 1hour', days: 365, scale: '1hour', step: 3600, type: 'Temperature' },
  { name: '5 years at 1day', days: 5 * 365, scale: '1day', step: DAY, type: 'Temperature' },
  { name: '7 days at 30min (last: "7d")', days: 7, scale: '30min', step: 1800, type: 'Temperature' },
];

function once(id) {
  const n = RED.nodes.getNode(id);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no answer within 5 minutes')), 300_000);
    n.onMessage = (msg) => (clearTimeout(t), resolve(msg));
    RED.nodes.getNode('sinkErr').onMessage = (msg) => (clearTimeout(t), reject(new Error(`${msg.error?.code}: ${msg.error?.message}`)));
  });
}

async function run(sim, c) {
  sim.resetStats();
  const api = RED.nodes.getNode('api');
  if (c.spend) {
    for (let i = 0; i < c.spend; i++) {
      const got = once('sink');
      api.receive({ payload: { device_id: ID.station, module_id: ID.outdoor, scale: '1day', type: 'Temperature', limit: 1 } });
      await got;
    }
  }
  const before = sim.apiLog.length;
  const t0 = Date.now();
  const got = once('sink');
  api.receive({
    payload: { device_id: ID.station, module_id: ID.outdoor, scale: c.scale, type: c.type, date_begin: END - c.days * DAY, date_end: END },
  });
  const msg = await got;
  const ms = Date.now() - t0;
  const points = msg.payload.length / c.type.split(',').length;
  const requests = sim.apiLog.length - before;
  return {
    case: c.name,
    points,
    requests,
    minimum: Math.ceil(points / 1024),
    ms,
    max_in_10s: sim.maxApiInWindow(10_000),
    sim_429: sim.deviceStats.api429,
  };
}

async function main() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-bench-history-'));
  const sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET }, devices: true });
  const tokens = sim.issueTokenSet({ clientId: CLIENT_ID, scope: 'read_station' });
  await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') }).write('acc', { tokens });
  const nodes = [
    { id: 'tab', type: 'tab', label: 'bench history' },
    { id: 'acc', type: 'netatmo-account', name: 'h', scope: 'read_station', redirectUri: 'http://127.0.0.1/cb', apiBase: sim.url },
    { id: 'api', type: 'netatmo-api', z: 'tab', account: 'acc', endpoint: 'getmeasure', output: 'chart', maxWait: 300, wires: [['sink']] },
    { id: 'sink', type: 'bench-sink', z: 'tab', wires: [] },
    { id: 'catchAll', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['sinkErr']] },
    { id: 'sinkErr', type: 'bench-sink', z: 'tab', wires: [] },
  ];
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(nodes));
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify({ acc: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } }));
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    nodesDir: [REPO, path.join(__dirname, 'nodes')],
    logging: { console: { level: process.env.BENCH_LOG || 'error', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    netatmoTokens: { apiBase: sim.url },
  });
  const rows = [];
  try {
    const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
    await RED.start();
    await started;
    // One budget for all cases, as for one account (about 110 requests in all, below the hour's 450).
    for (const c of CASES) rows.push(await run(sim, c));
  } finally {
    await RED.stop().catch(() => undefined);
    await sim.close();
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  console.log('case | points | requests | minimum (points/1024) | time | most in 10 s | 429s');
  console.log('--- | --- | --- | --- | --- | --- | ---');
  for (const r of rows) {
    console.log(`${r.case} | ${r.points} | ${r.requests} | ${r.minimum} | ${(r.ms / 1000).toFixed(2)} s | ${r.max_in_10s} | ${r.sim_429}`);
  }
  console.log(JSON.stringify({ history: rows }));
}

main().then(
  () => setTimeout(() => process.exit(0), 300).unref(),
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  },
);
