'use strict';
/**
 * The fixture of the core's unit tests: for each test of a mocha block, a Netatmo simulator on
 * 127.0.0.1, a temporary token folder and a clock `env.now` shared by the simulator, the client and
 * the manager. `const env = useCoreEnv();` inside `describe`.
 *
 * Options: `virtualTimers` (the managers wait with `env.timers`, which fire only when a test calls
 * `env.timers.advance(ms)`); `stopWaitMs` (how long `afterEach` lets a manager finish a refresh under
 * way before the folder goes; `null`: do not wait).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startSimulator } = require('../simulator/simulator');
const { NetatmoError } = require('../../dist/core/shared/errors');
const { OAuthClient } = require('../../dist/core/token/oauth');
const { TokenStore } = require('../../dist/core/token/store');
const { TokenManager } = require('../../dist/core/token/manager');
const { findSecrets } = require('./secrets');
const { until } = require('./until');

const CLIENT_ID = 'core-test-client';
const CLIENT_SECRET = 'Cl1ent-S3cret-for-core-tests';
const ACCOUNT = 'acc1';
const TTL = 10800;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const MIN = 60_000;

/** Lets pending I/O callbacks run (no timer involved). */
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Resolves to the NetatmoError `p` rejects with, after checking its code. */
async function rejectsWith(p, code) {
  let err;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected a rejection with ${code}, got a value`);
  assert.ok(err instanceof NetatmoError, `expected a NetatmoError, got ${err && err.stack}`);
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
  return err;
}

/** Timers on the virtual clock of `env`: `advance(ms)` moves the clock and fires what is due, in order. */
function virtualTimers(env) {
  let seq = 0;
  const pending = new Map(); // id -> { at, fn }
  return {
    setTimeout(fn, ms) {
      const id = ++seq;
      pending.set(id, { at: env.now + Math.max(0, ms), fn, id });
      return id;
    },
    clearTimeout(id) {
      pending.delete(id);
    },
    pending: () => pending.size,
    /** Moves the clock by `ms`, firing each timer due on the way at its own time. */
    advance(ms) {
      const end = env.now + ms;
      for (;;) {
        const due = [...pending.values()].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (!due) break;
        pending.delete(due.id);
        env.now = Math.max(env.now, due.at);
        due.fn();
      }
      env.now = end;
    },
  };
}

function useCoreEnv({ virtualTimers: virtual = false, stopWaitMs = 1000 } = {}) {
  const env = {};
  beforeEach(async () => {
    env.now = T0;
    env.sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET }, now: () => env.now, ttlSeconds: TTL });
    env.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-core-test-'));
    env.timers = virtualTimers(env);
    env.managers = [];
    env.extraDirs = [];
  });
  afterEach(async () => {
    const stopping = env.managers.map((m) => m.stop(stopWaitMs ?? undefined));
    if (stopWaitMs !== null) await Promise.all(stopping);
    await env.sim.close();
    for (const d of [env.dir, ...env.extraDirs]) fs.rmSync(d, { recursive: true, force: true });
  });
  env.client = (opts = {}) =>
    new OAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, apiBase: env.sim.url, clock: () => env.now, ...opts });
  env.store = (opts = {}) => new TokenStore({ dir: env.dir, ...opts });
  env.manager = (opts = {}) => {
    const m = new TokenManager({
      accountId: ACCOUNT,
      store: opts.store || env.store(),
      client: env.client(),
      clock: () => env.now,
      ...(virtual ? { timers: env.timers } : {}),
      autoRefresh: false,
      ...opts,
    });
    env.managers.push(m);
    return m;
  };
  /** A login the simulator knows, as a TokenSet obtained at `now`. */
  env.login = (scope = 'read_station') => env.sim.issueTokenSet({ clientId: CLIENT_ID, scope, now: env.now });
  env.storedLogin = async (store = env.store()) => {
    const tokens = env.login();
    await store.write(ACCOUNT, { tokens });
    return tokens;
  };
  /** What another process holding the same refresh token gets from Netatmo, as a TokenSet. */
  env.rotateElsewhere = (refreshToken) => {
    const reply = env.sim.refresh({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: refreshToken });
    assert.equal(reply.status, 200, reply.body);
    const r = JSON.parse(reply.body);
    return {
      access_token: r.access_token,
      refresh_token: r.refresh_token,
      scope: r.scope,
      obtained_at: env.now,
      expires_at: env.now + r.expires_in * 1000,
    };
  };
  env.file = () => path.join(env.dir, `${ACCOUNT}.json`);
  env.onDisk = () => JSON.parse(fs.readFileSync(env.file(), 'utf8')).account;
  env.secrets = () => [CLIENT_SECRET, ...env.sim.issuedSecrets()];
  /** Whole, URL-encoded or in part (12 characters in a row): see helpers/secrets.js. */
  env.assertNoSecret = (text, what) => {
    assert.deepEqual(findSecrets(String(text), env.secrets()), [], `${what} contains a secret`);
  };
  env.apiStatus = async (accessToken) =>
    (await fetch(`${env.sim.url}/api/homesdata`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;
  return env;
}

module.exports = { useCoreEnv, until, tick, rejectsWith, CLIENT_ID, CLIENT_SECRET, ACCOUNT, TTL, T0, MIN };
