'use strict';
/**
 * Real Node-RED processes for the fault suite (on top of ./nodered.js): a flow that asks for
 * a token every `injectMs` and calls the simulator's API with it, node status and Catch output turned
 * into log lines (`STATUS {...}`, `CAUGHT {...}`), debug logging with NA_DEBUG=1, and the token store
 * of the userDir readable from the test (same credential secret).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed } = require('./nodered');
const { TokenStore } = require('../../dist/core/token/store');
const { CLIENT_ID, CLIENT_SECRET } = require('./fault-sim');

const CREDENTIAL_SECRET = 'fault-suite-credential-secret-7d1f';

/**
 * The flow: inject (every injectMs) -> netatmo-token x tokenNodes -> http request to the simulator's API.
 * A status node and a catch node on the token nodes log through function nodes (node.warn).
 */
function tokenFlow({ apiBase, accountId = 'acc1', tokenNodes = 1, injectMs = 100, api = true, account = {} }) {
  const tab = { id: 'tab1', type: 'tab', label: 'fault suite' };
  const acc = {
    id: accountId,
    type: 'netatmo-account',
    name: 'home',
    scope: 'read_station',
    redirectUri: 'http://localhost:1880/',
    apiBase,
    ...account,
  };
  const tokens = Array.from({ length: tokenNodes }, (_, i) => ({
    id: `tok${i + 1}`,
    type: 'netatmo-token',
    z: tab.id,
    name: `token ${i + 1}`,
    account: accountId,
    interval: 0,
    wires: [api ? ['api'] : []],
  }));
  const nodes = [
    tab,
    acc,
    {
      id: 'tick',
      type: 'inject',
      z: tab.id,
      name: 'tick',
      props: [{ p: 'payload' }],
      payload: '',
      payloadType: 'date',
      repeat: String(injectMs / 1000),
      once: true,
      onceDelay: 0.1,
      wires: [tokens.map((t) => t.id)],
    },
    ...tokens,
    { id: 'st', type: 'status', z: tab.id, name: 'status', scope: tokens.map((t) => t.id), wires: [['stlog']] },
    {
      id: 'stlog',
      type: 'function',
      z: tab.id,
      name: 'statuslog',
      outputs: 0,
      func: "node.warn('STATUS ' + JSON.stringify({ node: msg.status.source.id, fill: msg.status.fill, shape: msg.status.shape, text: msg.status.text }));",
      wires: [],
    },
    { id: 'ca', type: 'catch', z: tab.id, name: 'catch', scope: tokens.map((t) => t.id), uncaught: false, wires: [['calog']] },
    {
      id: 'calog',
      type: 'function',
      z: tab.id,
      name: 'catchlog',
      outputs: 0,
      // The whole error as the debug sidebar would show it (stack included), on one line.
      func: "node.warn('CAUGHT ' + JSON.stringify({ node: msg.error.source && msg.error.source.id, code: msg.error.code, message: msg.error.message, stack: msg.error.stack }));",
      wires: [],
    },
  ];
  if (api) {
    nodes.push({
      id: 'api',
      type: 'http request',
      z: tab.id,
      name: 'api',
      method: 'GET',
      ret: 'txt',
      paytoqs: 'ignore',
      url: `${apiBase}/api/homesdata`,
      tls: '',
      persist: false,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      wires: [[]],
    });
  }
  // Nodes without x/y are taken for config nodes by the runtime.
  nodes.forEach((n, i) => {
    if (n.z) Object.assign(n, { x: 100 + 150 * (i % 5), y: 60 + 60 * Math.floor(i / 5) });
  });
  return nodes;
}

/** Settings for a Node-RED of the suite: debug logging, our knobs, a known credential secret. */
function faultSettings(sim, netatmoTokens = {}, extra = {}) {
  return {
    credentialSecret: CREDENTIAL_SECRET,
    logging: { console: { level: 'debug', metrics: false, audit: false } },
    netatmoTokens: { apiBase: sim.url, lockStaleMs: 2000, retryBaseMs: 100, retryMaxMs: 1000, timeoutSeconds: 2, ...netatmoTokens },
    ...extra,
  };
}

function newUserDir(prefix = 'nr-fault-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts Node-RED on `userDir` with `flows` and the account's credentials (clear text in
 * flows_cred.json: Node-RED encrypts them on the next deploy). NA_DEBUG=1 unless told otherwise.
 */
async function startFaultRed({ userDir, sim, flows, settings, accountIds = ['acc1'], env = {}, timeoutMs }) {
  fs.mkdirSync(userDir, { recursive: true });
  if (flows) {
    const creds = {};
    for (const id of accountIds) creds[id] = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
    fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(creds));
  }
  const red = await startNodeRed({
    userDir,
    keepUserDir: true,
    flows,
    settings: settings || faultSettings(sim),
    env: { NA_DEBUG: '1', ...env },
    timeoutMs,
  });
  track(red.process);
  return red;
}

/** Child processes of the suite still running: a failed test must not leave one behind (mocha would not exit). */
const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
async function killAll() {
  const waits = [];
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      waits.push(new Promise((r) => child.once('exit', r)));
      child.kill('SIGKILL');
    }
  }
  await Promise.all(waits);
}

/** The token store of a userDir, as the nodes see it. */
function storeOf(userDir, secret = CREDENTIAL_SECRET) {
  return new TokenStore({ dir: path.join(userDir, 'netatmo-tokens'), secret, lockStaleMs: 2000 });
}

/** `STATUS {...}` lines of a Node-RED's output, parsed. */
function statuses(red, from = 0) {
  return parsed(red.logs.slice(from), 'STATUS ');
}

/** `CAUGHT {...}` lines, parsed. */
function caught(red, from = 0) {
  return parsed(red.logs.slice(from), 'CAUGHT ');
}

function parsed(lines, tag) {
  const out = [];
  for (const line of lines) {
    const i = line.indexOf(tag);
    if (i < 0) continue;
    try {
      out.push(JSON.parse(line.slice(i + tag.length)));
    } catch {
      // a line cut by the kill
    }
  }
  return out;
}

/** Resolves when `test` holds, checking every `everyMs`; rejects after `timeoutMs` with `what`. */
async function waitFor(test, { timeoutMs = 10000, everyMs = 50, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await test();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = {
  tokenFlow,
  faultSettings,
  newUserDir,
  startFaultRed,
  storeOf,
  statuses,
  caught,
  waitFor,
  sleep,
  track,
  killAll,
  CREDENTIAL_SECRET,
};
