'use strict';
/** Shared set-up for tests that run our nodes in node-red-node-test-helper. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { TokenStore } = require('../../dist/core/token/store');

/** The Node-RED under test (NODE_RED_MODULE=node-red-5 for 5), chosen by the one start-up helper. */
const { NODE_RED_MODULE, redModule, coreNode } = require('./nodered');
helper.init(redModule());

const accountNode = require('../../nodes/netatmo-account.js');
const tokenNode = require('../../nodes/netatmo-token.js');

/**
 * The helper's runtime answers RED._(key) with the key itself. Node-RED translates with the node's
 * catalog in nodes/locales; give our nodes that catalog, so tests see the texts users see.
 */
const catalog = (name) => require(`../../nodes/locales/en-US/${name}.json`);
/** Like Node-RED, each node set sees only its own catalog: a key used from the wrong file stays a bare key. */
const withCatalog = (nodeModule, name) => {
  const messages = catalog(name);
  const translate = (key, subs = {}) => {
    const v = key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), messages);
    if (typeof v !== 'string') return key;
    return v.replace(/__([a-zA-Z0-9_]+)__/g, (m, n) => (n in subs ? String(subs[n]) : m));
  };
  return function (RED) {
    // The helper hands one RED to every module: give each its own `_` on a view of it.
    const own = Object.create(RED);
    own._ = translate;
    return nodeModule(own);
  };
};
const NODES = [withCatalog(accountNode, 'netatmo-account'), withCatalog(tokenNode, 'netatmo-token')];
/** The same, with the netatmo-api node. */
const API_NODES = [...NODES, withCatalog(require('../../nodes/netatmo-api.js'), 'netatmo-api')];
/** The same, with the netatmo-event node. */
const EVENT_NODES = [...NODES, withCatalog(require('../../nodes/netatmo-event.js'), 'netatmo-event')];

const CLIENT_ID = 'test-client-id';
const CLIENT_SECRET = 'test-client-secret-0123456789';

function tmpDir(prefix = 'netatmo-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Points the helper's runtime at a fresh userDir (and optional netatmoTokens settings). */
function useUserDir(userDir, netatmoTokens = {}) {
  helper.settings({ userDir, netatmoTokens, credentialSecret: false });
  return userDir;
}

/** Puts a login for `accountId` in the store, as if the user had authorized. Returns the TokenSet. */
async function seedTokens(userDir, accountId, sim, { scope = 'read_station', now = Date.now(), expiresInMs } = {}) {
  const tokens = sim.issueTokenSet({ clientId: CLIENT_ID, scope, now });
  if (expiresInMs !== undefined) tokens.expires_at = now + expiresInMs;
  await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') }).write(accountId, { tokens });
  return tokens;
}

function readStored(userDir, accountId) {
  return new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') }).read(accountId);
}

function account(sim, extra = {}) {
  return {
    id: 'acc1',
    type: 'netatmo-account',
    name: 'home',
    scope: 'read_station',
    redirectUri: 'http://localhost/',
    apiBase: sim.url,
    ...extra,
  };
}

function credentials(id = 'acc1') {
  return { [id]: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } };
}

/** Resolves with the next `count` messages a helper node receives. */
function collect(node, count) {
  return new Promise((resolve) => {
    const got = [];
    node.on('input', (msg) => {
      got.push(msg);
      if (got.length === count) resolve(got);
    });
  });
}

/** Resolves with the first status (already shown, or to come) of `node` that `test` accepts. */
function statusWhere(node, test) {
  const seen = node.status
    .getCalls()
    .map((c) => c.args[0])
    .find(test);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const on = (call) => {
      if (test(call.args[0])) {
        node.removeListener('call:status', on);
        resolve(call.args[0]);
      }
    };
    node.on('call:status', on);
  });
}

/**
 * The fixture of a block of node tests: one simulator for the block (`sim` options), and for each test a
 * fresh userDir, the simulator's counters and faults reset, the helper's HTTP server started; after each,
 * the flows unloaded, the server stopped and the userDir removed. `each` runs in every beforeEach
 * (e.g. clearing the authorize states). `const env = useRuntime();` then `env.sim`, `env.userDir`.
 */
function useRuntime({ sim: simOptions = {}, prefix, each } = {}) {
  const { startSimulator } = require('../simulator/simulator');
  const env = {};
  before(async () => {
    env.sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET }, ...simOptions });
  });
  after(() => env.sim.close());
  beforeEach((done) => {
    env.userDir = useUserDir(tmpDir(prefix));
    env.sim.resetStats();
    env.sim.clearFaults();
    if (each) each(env);
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    if (each) each(env);
    fs.rmSync(env.userDir, { recursive: true, force: true });
  });
  return env;
}

/** Active timers of this process, to show none are left behind. */
function activeTimeouts() {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/**
 * account acc1 (`scope`) -> netatmo-api `api` (fields over the defaults) -> helper `out`, and a catch node
 * of the tab -> helper `caught`; `extra` nodes after them.
 */
function apiFlow(sim, { scope, api = {}, extra = [] }) {
  return [
    account(sim, { scope }),
    {
      id: 'api',
      z: 'f1',
      type: 'netatmo-api',
      account: 'acc1',
      endpoint: 'homesdata',
      method: 'auto',
      params: '',
      maxWait: 30,
      wires: [['out']],
      ...api,
    },
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'c1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
    ...extra,
  ];
}

module.exports = {
  NODE_RED_MODULE,
  coreNode,
  helper,
  NODES,
  API_NODES,
  EVENT_NODES,
  CLIENT_ID,
  CLIENT_SECRET,
  tmpDir,
  useUserDir,
  seedTokens,
  readStored,
  account,
  apiFlow,
  credentials,
  collect,
  statusWhere,
  activeTimeouts,
  useRuntime,
};
