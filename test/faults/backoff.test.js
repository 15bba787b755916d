'use strict';
/**
 * How often the core asks Netatmo while something is wrong, over long stretches of simulated time
 * (the clock of the manager and the simulator is a variable moved by the test; a caller asks for a
 * token every second): bounded exponential backoff with jitter, Retry-After honoured and never cut
 * short by the jitter, a sane default without Retry-After, and at most one token request per
 * throttle window while re-authorization is needed.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startFaultSimulator, CLIENT_ID, CLIENT_SECRET } = require('../helpers/fault-sim');
const { TokenStore } = require('../../dist/core/token/store');
const { TokenManager } = require('../../dist/core/token/manager');
const { OAuthClient } = require('../../dist/core/token/oauth');

const SEC = 1000;
const MIN = 60 * SEC;

describe('faults: backoff and throttling over simulated time', function () {
  this.timeout(30000);
  let sim;
  let dir;
  let now;
  const managers = [];

  beforeEach(async () => {
    now = Date.UTC(2026, 0, 1);
    sim = await startFaultSimulator({ now: () => now });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-backoff-'));
  });
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.stop();
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function expiredManager(opts = {}) {
    const store = new TokenStore({ dir });
    const t = sim.login('read_station', now);
    await store.write('acc1', { tokens: { ...t, expires_at: now - 1 } });
    const m = new TokenManager({
      accountId: 'acc1',
      store,
      clock: () => now,
      autoRefresh: false,
      client: new OAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, apiBase: sim.url, clock: () => now }),
      ...opts,
    });
    managers.push(m);
    await m.start();
    return m;
  }

  /**
   * A caller asking every `stepMs` for `totalMs`; returns the times of the token requests Netatmo saw.
   * Every failure the caller gets must have one of the codes in `fails` (a refusal of another kind fails the test).
   */
  async function drive(m, totalMs, fails, stepMs = SEC) {
    const seen = [];
    const from = sim.stats.tokenRequests;
    for (let t = 0; t < totalMs; t += stepMs) {
      const before = sim.stats.tokenRequests;
      await m.getToken().catch((err) => assert.ok(fails.includes(err.code), `${err.code}: ${err.message}`));
      if (sim.stats.tokenRequests > before) seen.push(now);
      now += stepMs;
    }
    assert.equal(sim.stats.tokenRequests - from, seen.length);
    return seen;
  }

  /** The code `p` rejects with, checked. */
  async function failsWith(p, code) {
    const err = await p.then(
      () => assert.fail(`expected ${code}, got a token`),
      (e) => e,
    );
    assert.equal(err.code, code, err.message);
    return err;
  }

  it('500 for an hour: exponential backoff from retryBaseMs, capped at retryMaxMs (+25% jitter), same refresh token', async () => {
    sim.injectFault('http500', { count: 10000 });
    const m = await expiredManager({ retryBaseMs: 2 * SEC, retryMaxMs: 5 * MIN });
    const rt = (await new TokenStore({ dir }).read('acc1')).tokens.refresh_token;
    const seen = await drive(m, 60 * MIN, ['SERVER']);
    const gaps = seen.slice(1).map((t, i) => t - seen[i]);
    // 2, 4, 8 … 256 s, then 5 min: at least 8 doublings and 9 capped gaps in an hour.
    assert.ok(seen.length >= 15, `${seen.length} requests in an hour: retries stopped`);
    console.log(
      `      [backoff] 500s for 60 min: ${seen.length} requests, gaps ${gaps
        .slice(0, 10)
        .map((g) => g / SEC)
        .join(', ')} … ${gaps[gaps.length - 1] / SEC} s`,
    );
    assert.ok(seen.length <= 22, `${seen.length} requests in an hour`);
    assert.ok(
      gaps.every((g) => g <= 5 * MIN * 1.25 + SEC),
      'bounded by retryMaxMs',
    );
    assert.ok(
      gaps.slice(0, 6).every((g, i) => g >= 2 * SEC * 2 ** i * 0.75 - SEC),
      `doubling: ${gaps.slice(0, 6)}`,
    );
    assert.equal(sim.rec.faults.length, seen.length);
    assert.equal(m.state.status, 'retrying');
    sim.clearFaults();
    now = m.state.retry_at;
    await m.getToken();
    assert.equal(sim.rec.refreshes[sim.rec.refreshes.length - 1].rt, rt, 'the stored refresh token was kept throughout');
    assert.equal(m.state.status, 'ok');
  });

  it('429 with Retry-After, 50 in a row: never retried earlier than asked (jitter only adds), growing only after many', async () => {
    const m = await expiredManager({ retryBaseMs: 100 });
    for (let i = 0; i < 50; i++) {
      sim.injectFault('http429', { retryAfter: 30 });
      const before = sim.stats.tokenRequests;
      await failsWith(m.getToken(), 'RATE_LIMITED');
      assert.equal(sim.stats.tokenRequests, before + 1, 'one request per due time');
      const wait = m.state.retry_at - now;
      assert.ok(wait >= 30 * SEC, `wait ${wait} < Retry-After`);
      // As asked at first; after many 429s in a row the exponential backoff takes over (bounded).
      assert.ok(wait <= Math.max(30 * SEC, Math.min(5 * MIN, 100 * 2 ** i)) * 1.25, `wait ${wait} at ${i}`);
      assert.equal(m.state.error.code, 'RATE_LIMITED');
      now = m.state.retry_at;
    }
  });

  it('429 without Retry-After (and code 26): waits the default minute or more, growing; a huge Retry-After is capped at an hour', async () => {
    sim.injectFault('http429', { count: 3 });
    const m = await expiredManager({ retryBaseMs: 100, retryMaxMs: 5 * MIN });
    const seen = await drive(m, 10 * MIN, ['RATE_LIMITED']);
    const gaps = seen.slice(1).map((t, i) => t - seen[i]);
    assert.equal(seen.length, 4, `three 429s, then the refresh: ${seen.length} requests`);
    assert.ok(
      gaps.slice(0, 3).every((g) => g >= MIN),
      `gaps ${gaps}`,
    );
    assert.equal(m.state.status, 'ok');
    sim.injectFault('http429', { retryAfter: 7 * 24 * 3600 });
    now += 4 * 3600 * SEC; // token due again
    await failsWith(m.getToken(), 'RATE_LIMITED');
    const wait = m.state.retry_at - now;
    assert.ok(wait >= 60 * MIN && wait <= 75 * MIN, `capped wait ${wait / MIN} min`);
  });

  it('invalid_grant: one token request per throttle window over 30 minutes of messages every second', async () => {
    const m = await expiredManager({ reauthThrottleMs: 5 * MIN });
    sim.injectFault('invalid_grant', { count: 1000 });
    const seen = await drive(m, 30 * MIN, ['REAUTHORIZE']);
    console.log(`      [backoff] re-authorization needed for 30 min, a message every second: ${seen.length} token requests`);
    assert.ok(seen.length >= 6 && seen.length <= 7, `${seen.length} requests: one per 5 minutes`);
    const gaps = seen.slice(1).map((t, i) => t - seen[i]);
    assert.ok(
      gaps.every((g) => g >= 5 * MIN),
      `gaps ${gaps}`,
    );
    assert.equal(m.state.status, 'reauthorize');
  });
});
