'use strict';
/**
 * The fixture of the manager's unit tests: a Netatmo simulator on 127.0.0.1, a temporary token
 * folder, and virtual time. The clock of the simulator, the client and the manager is `env.now`;
 * the manager's timers are `env.timers`, which fire only when a test calls `env.advance(ms)`.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startSimulator } = require('../simulator');
const { OAuthClient } = require('../../dist/core/oauth');
const { TokenStore } = require('../../dist/core/store');
const { TokenManager } = require('../../dist/core/manager');

const CLIENT_ID = 'manager-test-client';
const CLIENT_SECRET = 'Cl1ent-S3cret-for-manager-tests';
const ACCOUNT = 'acc1';
const TTL = 10800;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

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

/** Resolves when `cond()` is true; fails after `ms` of real time (the condition, not a sleep, decides). */
async function until(cond, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function useCoreEnv() {
  const env = {};
  beforeEach(async () => {
    env.now = T0;
    env.sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET }, now: () => env.now, ttlSeconds: TTL });
    env.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-manager-test-'));
    env.timers = virtualTimers(env);
    env.managers = [];
  });
  afterEach(async () => {
    for (const m of env.managers) await m.stop(0);
    await env.sim.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
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
      timers: env.timers,
      autoRefresh: false,
      ...opts,
    });
    env.managers.push(m);
    return m;
  };
  /** A login the simulator knows, stored as our TokenSet obtained at `now`. */
  env.storedLogin = async (store = env.store()) => {
    const tokens = env.sim.issueTokenSet({ clientId: CLIENT_ID, scope: 'read_station', now: env.now });
    await store.write(ACCOUNT, { tokens });
    return tokens;
  };
  env.apiStatus = async (accessToken) =>
    (await fetch(`${env.sim.url}/api/homesdata`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;
  return env;
}

module.exports = { useCoreEnv, until, ACCOUNT, CLIENT_ID, CLIENT_SECRET, T0, TTL };
