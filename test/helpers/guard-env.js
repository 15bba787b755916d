'use strict';
/**
 * A fresh simulator, virtual clock and temp folder for each test of a mocha block, as in
 * core.test.js: `const env = useCoreEnv();` inside `describe`.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startSimulator } = require('../simulator');
const { NetatmoError } = require('../../dist/core/errors');
const { OAuthClient } = require('../../dist/core/oauth');
const { TokenStore } = require('../../dist/core/store');
const { TokenManager } = require('../../dist/core/manager');

const CLIENT_ID = 'core-env-client';
const CLIENT_SECRET = 'Cl1ent-S3cret-of-core-env';
const ACCOUNT = 'acc1';
const TTL = 10800;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const MIN = 60_000;

/** Lets pending I/O callbacks run (no timer involved). */
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Resolves with `check()` once it is truthy; fails after `ms` of real time. */
async function until(check, what, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

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

function useCoreEnv() {
  const env = {};
  beforeEach(async () => {
    env.now = T0;
    env.sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET }, now: () => env.now, ttlSeconds: TTL });
    env.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-core-env-'));
    env.managers = [];
  });
  afterEach(async () => {
    await Promise.all(env.managers.map((m) => m.stop(1000)));
    await env.sim.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
  });
  env.client = () => new OAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, apiBase: env.sim.url, clock: () => env.now });
  env.store = (opts = {}) => new TokenStore({ dir: env.dir, ...opts });
  env.manager = (opts = {}) => {
    const m = new TokenManager({
      accountId: ACCOUNT,
      store: opts.store || env.store(),
      client: env.client(),
      clock: () => env.now,
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
  return env;
}

module.exports = { useCoreEnv, until, tick, rejectsWith, CLIENT_ID, CLIENT_SECRET, ACCOUNT, TTL, T0, MIN };
