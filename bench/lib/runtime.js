'use strict';
/**
 * The one runtime set-up of the bench: Node-RED embedded through the tests' start-up helper
 * (test/helpers/nodered.js: `node-red` 4 unless NODE_RED_MODULE says otherwise, admin API off) in a fresh user directory, with our package and the
 * bench's sink node, on flows and logins given by the case; simulators on 127.0.0.1 (nothing talks
 * to api.netatmo.com). Node-RED starts once per process: each case runs in a process of its own.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { withTimeout } = require('./measure');
const { startEmbedded, prepareUserDir } = require('../../test/helpers/nodered');

const REPO = path.resolve(__dirname, '..', '..');
const DIST = path.join(REPO, 'dist');
const QUICK = process.argv.includes('--quick'); // smoke run: same cases, smaller counts
const CLIENT_ID = 'bench-client-id';
const CLIENT_SECRET = 'bench-client-secret-0123456789';
const HOUR = 3_600_000;

function requireDist(rel) {
  return require(path.join(DIST, rel));
}

function startSimulator(opts) {
  const { startSimulator: start } = require(path.join(REPO, 'test', 'simulator', 'simulator.js'));
  return start({ clients: { [CLIENT_ID]: CLIENT_SECRET }, ...opts });
}

/** Writes a login for `accountId`, as if the user had authorized against `sim`. */
async function seed(store, accountId, sim, { obtainedAt, expiresAt }) {
  const issued = sim.issueTokens({ clientId: CLIENT_ID, scope: 'read_station' });
  const tokens = {
    access_token: issued.access_token,
    refresh_token: issued.refresh_token,
    scope: issued.scope,
    obtained_at: obtainedAt,
    expires_at: expiresAt ?? obtainedAt + issued.expires_in * 1000,
  };
  await store.write(accountId, { tokens });
  return tokens;
}

// ------------------------------------------------------------------ flow builders

const flow = {
  tab: (label = 'bench') => ({ id: 'tab', type: 'tab', label }),
  account: (id, sim) => ({
    id,
    type: 'netatmo-account',
    name: `account ${id}`,
    scope: 'read_station',
    redirectUri: 'http://127.0.0.1/callback',
    apiBase: sim.url,
  }),
  token: (id, account, sink) => ({ id, type: 'netatmo-token', z: 'tab', name: `token ${id}`, account, interval: 0, wires: [[sink]] }),
  sink: (id) => ({ id, type: 'bench-sink', z: 'tab', name: `sink ${id}`, wires: [] }),
  /** acc<x>, tok<x> -> sink<x>, and the catch node, on one tab. */
  tokenToSink: (x, sim) => [
    flow.tab(),
    flow.account(`acc${x}`, sim),
    flow.token(`tok${x}`, `acc${x}`, `sink${x}`),
    flow.sink(`sink${x}`),
    ...flow.catchAll(),
  ],
  /** A failed message never reaches a sink: show why instead of waiting for a timeout. */
  catchAll: () => [
    { id: 'catchAll', type: 'catch', z: 'tab', name: 'errors', scope: null, uncaught: false, wires: [['sinkErr']] },
    { id: 'sinkErr', type: 'bench-sink', z: 'tab', name: 'sink sinkErr', wires: [] },
  ],
};

/**
 * Starts Node-RED on `nodes` (every netatmo-account among them gets the bench's login, and must
 * point at 127.0.0.1); `seedFirst(store)` writes stored logins before the runtime starts;
 * `netatmoTokens` is the package's settings. Resolves when the flows run. `errors` collects what
 * reached the catch node (code or source, and message).
 */
async function startRuntime({ nodes, netatmoTokens, seedFirst, logLevel = 'warn', userDirPrefix = 'netatmo-bench-' }) {
  if (!fs.existsSync(path.join(DIST, 'core', 'token', 'store.js')) || !fs.existsSync(path.join(DIST, 'nodes', 'netatmo-token.js'))) {
    throw new Error('bench: dist/ is missing; build first: npx tsc -p .');
  }
  const { TokenStore } = requireDist('core/token/store.js');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), userDirPrefix));
  const store = new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') });
  const credentials = {};
  for (const n of nodes) if (n.type === 'netatmo-account') credentials[n.id] = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
  prepareUserDir(userDir, { flows: nodes, credentials, install: false });
  if (seedFirst) await seedFirst(store);
  const red = await withTimeout(
    startEmbedded({
      userDir,
      logLevel: process.env.BENCH_LOG || logLevel,
      // our package from this checkout, as installed, and the bench's sink node
      settings: { nodesDir: [REPO, path.join(__dirname, '..', 'nodes')], netatmoTokens },
    }),
    30_000,
    'flows start',
  );
  const { RED } = red;
  const node = (id) => {
    const n = RED.nodes.getNode(id);
    if (!n) throw new Error(`bench: node ${id} is not running (did our package load? see the warnings above)`);
    return n;
  };
  const errors = [];
  const stop = async () => {
    await red.stop().catch((err) => console.error('bench: RED.stop failed:', err));
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  try {
    if (nodes.some((n) => n.id === 'sinkErr'))
      node('sinkErr').onMessage = (msg) => errors.push(`${msg.error?.code ?? msg.error?.source?.id}: ${msg.error?.message}`);
    for (const n of nodes.filter((x) => x.type === 'netatmo-account')) {
      if (!String(node(n.id).apiBase).startsWith('http://127.0.0.1:')) throw new Error(`bench: ${n.id} would call ${node(n.id).apiBase}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { RED, node, store, errors, stop };
}

/**
 * A case's whole life: its simulator (options `sim`), a runtime on `nodes(sim)` with the package's
 * settings pointing at it (plus `settings`), `seedFirst(store, sim)` before the start; then
 * `fn(rt, sim)` measures, and both are stopped. The figures carry the number of messages that
 * reached the catch node (`errors`) and the first three.
 */
async function withRuntime({ sim: simOptions = {}, nodes, settings = {}, seedFirst, logLevel, userDirPrefix }, fn) {
  const sim = await startSimulator(simOptions);
  let rt;
  try {
    rt = await startRuntime({
      nodes: nodes(sim),
      netatmoTokens: { apiBase: sim.url, timeoutSeconds: 10, ...settings },
      seedFirst: seedFirst && ((store) => seedFirst(store, sim)),
      logLevel,
      userDirPrefix,
    });
    const R = await fn(rt, sim);
    R.errors = rt.errors.length;
    if (rt.errors.length) R.first_errors = rt.errors.slice(0, 3);
    return R;
  } finally {
    if (rt) await rt.stop();
    await sim.close();
  }
}

module.exports = { QUICK, CLIENT_ID, CLIENT_SECRET, HOUR, flow, seed, withRuntime };
