'use strict';
/**
 * TokenManager against the simulator on virtual time (see helpers/core-env.js): an access token
 * refused by Netatmo's API before its expiry, and callers that wait through the manager's retries.
 */
const assert = require('node:assert/strict');

const { NetatmoError } = require('../../../dist/core/shared/errors');
const { useCoreEnv, until, ACCOUNT, TTL } = require('../../helpers/core-env');

/** The NetatmoError `p` rejects with, after checking its code. */
async function rejectsWith(p, code) {
  const err = await p.then(
    (v) => assert.fail(`expected a rejection with ${code}, got ${JSON.stringify(v)}`),
    (e) => e,
  );
  assert.ok(err instanceof NetatmoError, `expected a NetatmoError, got ${err && err.stack}`);
  assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
  return err;
}

/** Whether `p` has settled once pending I/O callbacks ran (no time passes on the virtual clock). */
async function settled(p) {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('manager: an access token refused by the API before its expiry', () => {
  const env = useCoreEnv({ virtualTimers: true, stopWaitMs: 0 });

  it('is not handed out any more; 100 callers then share one refresh and all get the new token', async () => {
    const old = await env.storedLogin();
    const m = env.manager();
    await m.start();
    assert.equal(m.fresh().access_token, old.access_token);
    assert.equal(m.state.status, 'ok');

    m.rejectAccessToken(old.access_token);
    assert.equal(m.fresh(), undefined, 'the synchronous path still hands out the refused token');
    assert.notEqual(m.state.status, 'ok', 'the account still says the refused token is valid');

    const all = await Promise.all(Array.from({ length: 100 }, () => m.getToken()));
    assert.equal(env.sim.stats.tokenRequests, 1, 'one token request for 100 callers');
    const fresh = all[0];
    assert.notEqual(fresh.access_token, old.access_token);
    for (const t of all) assert.equal(t.access_token, fresh.access_token);
    assert.equal(await env.apiStatus(fresh.access_token), 200);
    assert.equal((await env.store().read(ACCOUNT)).tokens.refresh_token, fresh.refresh_token, 'stored before use');
    assert.equal(m.fresh().access_token, fresh.access_token);
    assert.equal(m.state.status, 'ok');
  });

  it('is not adopted again from the token file, where it still looks fresh', async () => {
    const old = await env.storedLogin();
    const m = env.manager();
    await m.start();
    m.rejectAccessToken(old.access_token);
    const t = await m.getToken();
    assert.notEqual(t.access_token, old.access_token);
    assert.equal(env.sim.stats.refreshRequests, 1);
  });

  it('a token already replaced, or refused twice, is not dropped again: no second refresh', async () => {
    const old = await env.storedLogin();
    const m = env.manager();
    await m.start();
    m.rejectAccessToken(old.access_token);
    m.rejectAccessToken(old.access_token);
    const next = await m.getToken();
    assert.equal(env.sim.stats.tokenRequests, 1);

    m.rejectAccessToken(old.access_token); // a late 403 for the token already replaced
    m.rejectAccessToken('not-a-token-we-know');
    assert.equal(m.fresh().access_token, next.access_token);
    assert.equal((await m.getToken()).access_token, next.access_token);
    assert.equal(m.state.status, 'ok');
    assert.equal(env.sim.stats.tokenRequests, 1, 'a stale or unknown token caused a request');
  });

  it('when the refresh itself is refused (invalid_grant), the account needs re-authorization', async () => {
    const old = await env.storedLogin();
    const m = env.manager();
    await m.start();
    env.sim.injectFault('invalid_grant');
    m.rejectAccessToken(old.access_token);
    await rejectsWith(m.getToken(), 'REAUTHORIZE');
    assert.equal(m.state.status, 'reauthorize');
    assert.equal(m.fresh(), undefined);
    assert.equal(env.sim.stats.tokenRequests, 1);
  });

  it('during a backoff, waits for the scheduled retry instead of sending another request', async () => {
    const old = await env.storedLogin();
    const m = env.manager();
    await m.start();
    env.now += (TTL - 60) * 1000; // due for refresh, still handed out
    env.sim.injectFault('http503');
    await rejectsWith(m.refresh(), 'SERVER');
    assert.equal(m.state.status, 'retrying');
    m.rejectAccessToken(old.access_token);
    assert.equal(m.fresh(), undefined);
    await rejectsWith(m.getToken(), 'SERVER');
    assert.equal(env.sim.stats.tokenRequests, 1, 'the refusal jumped the backoff');
  });
});

describe('manager: the freshly refreshed token refused too (one refresh per refusal episode)', () => {
  const env = useCoreEnv({ virtualTimers: true, stopWaitMs: 0 });

  it('no refresh for later refusals; the account says so (API_ERROR), refreshes after a growing backoff, and a token accepted ends the episode', async () => {
    const old = await env.storedLogin();
    const m = env.manager({ autoRefresh: true }); // the retry after the backoff runs on its timer
    await m.start();
    m.rejectAccessToken(old.access_token);
    const second = await m.getToken();
    assert.equal(env.sim.stats.tokenRequests, 1);

    m.rejectAccessToken(second.access_token); // refused too
    assert.equal(m.state.status, 'retrying');
    assert.equal(m.state.error.code, 'API_ERROR');
    assert.match(m.state.error.message, /freshly refreshed access token too/);
    const err = await rejectsWith(m.getToken(), 'API_ERROR');
    assert.equal(err.reason, 'token-refused-again');
    assert.equal(env.sim.stats.tokenRequests, 1, 'a later batch refreshed again');
    const firstDelay = m.state.retry_at - env.now;

    env.timers.advance(firstDelay);
    await until(() => env.sim.stats.tokenRequests === 2 && m.state.status === 'ok', 'the refresh after the backoff');
    const third = m.fresh();
    m.rejectAccessToken(third.access_token); // and again: a longer wait
    assert.ok(m.state.retry_at - env.now > firstDelay * 1.2, `${m.state.retry_at - env.now} ms after ${firstDelay} ms`);
    env.timers.advance(m.state.retry_at - env.now);
    await until(() => env.sim.stats.tokenRequests === 3 && m.state.status === 'ok', 'the second refresh');

    m.acceptAccessToken(m.fresh().access_token); // the API took it: the episode is over
    m.rejectAccessToken(m.fresh().access_token); // a new refusal, later: one refresh at once
    await m.getToken();
    assert.equal(env.sim.stats.tokenRequests, 4);
  });
});

describe('manager: a caller may wait through transient failures (maxWaitMs)', () => {
  const env = useCoreEnv({ virtualTimers: true, stopWaitMs: 0 });

  /** A manager whose stored token has expired, so that the next caller needs a refresh. */
  async function expired() {
    await env.storedLogin();
    env.now += TTL * 1000 + 1;
    const m = env.manager();
    await m.start();
    return m;
  }

  it('one 503, then success: the waiting caller gets the token from the retry', async () => {
    const m = await expired();
    env.sim.injectFault('http503');
    const p = m.getToken({ maxWaitMs: 30_000 });
    await until(() => m.state.status === 'retrying', 'the first attempt to fail');
    assert.equal(await settled(p), false, 'the caller gave up at the first failure');
    env.timers.advance(m.state.retry_at - env.now);
    const t = await p;
    assert.equal(await env.apiStatus(t.access_token), 200);
    assert.equal(env.sim.stats.tokenRequests, 2);
    assert.equal(m.state.status, 'ok');
  });

  it('a caller arriving during the backoff waits for the same retry; both share it', async () => {
    const m = await expired();
    env.sim.injectFault('http503');
    await rejectsWith(m.getToken(), 'SERVER');
    const a = m.getToken({ maxWaitMs: 30_000 });
    const b = m.getToken({ maxWaitMs: 30_000 });
    assert.equal(await settled(a), false);
    env.timers.advance(m.state.retry_at - env.now);
    const [ta, tb] = await Promise.all([a, b]);
    assert.equal(ta.access_token, tb.access_token);
    assert.equal(env.sim.stats.tokenRequests, 2);
  });

  it('maxWaitMs 0 (the default) fails at once with the transient error', async () => {
    const m = await expired();
    env.sim.injectFault('http503', { count: 2 });
    const before = env.now;
    await rejectsWith(m.getToken({ maxWaitMs: 0 }), 'SERVER');
    await rejectsWith(m.getToken(), 'SERVER');
    for (const odd of [NaN, -5, Infinity]) await rejectsWith(m.getToken({ maxWaitMs: odd }), 'SERVER');
    assert.equal(env.now, before, 'time had to pass');
    assert.equal(env.sim.stats.tokenRequests, 1, 'the second caller did not wait for the backoff');
  });

  it('a retry later than maxWaitMs (429 with Retry-After 120) fails at once with the last error', async () => {
    const m = await expired();
    env.sim.injectFault('http429', { retryAfter: 120 });
    const before = env.now;
    await rejectsWith(m.getToken({ maxWaitMs: 30_000 }), 'RATE_LIMITED');
    assert.equal(env.now, before);
    assert.ok(m.state.retry_at >= before + 120_000);
  });

  it('several failures in a row: waits through each retry while they stay within maxWaitMs', async () => {
    const m = await expired();
    env.sim.injectFault('http503', { count: 2 });
    const p = m.getToken({ maxWaitMs: 60_000 });
    await until(() => m.state.status === 'retrying', 'the first failure');
    env.timers.advance(m.state.retry_at - env.now);
    await until(() => env.sim.stats.tokenRequests === 2 && m.state.status === 'retrying', 'the second failure');
    assert.equal(await settled(p), false);
    env.timers.advance(m.state.retry_at - env.now);
    await p;
    assert.equal(env.sim.stats.tokenRequests, 3);
  });

  it('a non-transient failure (invalid_grant) is not waited for', async () => {
    const m = await expired();
    env.sim.injectFault('invalid_grant');
    await rejectsWith(m.getToken({ maxWaitMs: 30_000 }), 'REAUTHORIZE');
    assert.equal(env.timers.pending(), 0, 'a caller is still waiting');
  });

  it('a new login while callers wait (the user authorized again) serves them at once, before the retry time', async () => {
    const { CLIENT_ID } = require('../../helpers/core-env');
    const m = await expired();
    env.sim.injectFault('http503');
    const p = m.getToken({ maxWaitMs: 30_000 });
    await until(() => m.state.status === 'retrying', 'the first failure');
    const redirectUri = 'http://localhost:1880/netatmo/callback';
    const code = env.sim.issueCode({ clientId: CLIENT_ID, redirectUri, scope: 'read_station' });
    const login = await m.authorizeWithCode(code, redirectUri, 'read_station');
    assert.equal(await settled(p), true, 'the caller still waits for the retry time, with a valid token there');
    assert.equal((await p).access_token, login.access_token);
    assert.equal(env.timers.pending(), 0);
  });

  it('stopping the manager ends the wait with the last error', async () => {
    const m = await expired();
    env.sim.injectFault('http503');
    const p = m.getToken({ maxWaitMs: 30_000 });
    await until(() => m.state.status === 'retrying', 'the first failure');
    await m.stop(0);
    await rejectsWith(p, 'SERVER');
    assert.equal(env.timers.pending(), 0);
  });
});

describe('manager: a programming error', () => {
  const env = useCoreEnv({ virtualTimers: true, stopWaitMs: 0 });

  it('reaches callers as INTERNAL (not STORE); the original is logged with its stack, tokens redacted', async () => {
    const { TokenStore } = require('../../../dist/core/token/store');
    const t = await env.storedLogin();
    /** A store with a bug: its second read throws a TypeError quoting the stored refresh token. */
    class BuggyStore extends TokenStore {
      async read(id) {
        this.reads = (this.reads || 0) + 1;
        if (this.reads > 1) throw new TypeError(`cannot read property 'x' of ${t.refresh_token}`);
        return super.read(id);
      }
    }
    const lines = [];
    const logger = { debug() {}, info() {}, warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    const m = env.manager({ store: new BuggyStore({ dir: env.dir }), logger });
    await m.start();
    env.now += TTL * 1000; // expired: the next caller refreshes, and meets the bug
    const err = await rejectsWith(m.getToken(), 'INTERNAL');
    assert.equal(err.message, 'Internal error (TypeError)');
    assert.equal(m.state.error.code, 'INTERNAL');
    const stack = lines.find((l) => l.includes('TypeError: cannot read property'));
    assert.ok(stack, `the original is not logged: ${lines.join('\n')}`);
    assert.ok(/\n\s+at /.test(stack), 'the stack is not logged');
    for (const l of lines) assert.ok(!l.includes(t.refresh_token), `a log line holds the refresh token: ${l}`);
    assert.ok(stack.includes(`${t.refresh_token.slice(0, 4)}…`));
  });

  it('asNetatmoError: a TypeError is INTERNAL, a system error keeps the fallback code', () => {
    const { asNetatmoError } = require('../../../dist/core/shared/errors');
    assert.equal(asNetatmoError(new TypeError('x is not a function')).code, 'INTERNAL');
    assert.equal(asNetatmoError(new RangeError('bad'), 'NETWORK').code, 'INTERNAL');
    assert.equal(asNetatmoError(Object.assign(new Error('denied'), { code: 'EACCES' })).code, 'STORE');
    assert.equal(asNetatmoError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'NETWORK').code, 'NETWORK');
    const named = Object.assign(new Error('x'), { name: 'secret-abcdef-123' });
    assert.equal(asNetatmoError(named).message, 'Internal error (Error)', 'an odd name is not repeated');
  });
});

describe('manager: what is logged once', () => {
  const env = useCoreEnv({ virtualTimers: true, stopWaitMs: 0 });

  it('a throttled re-authorization repeats what the account already shows: no error line, no request', async () => {
    const tokens = await env.storedLogin();
    const invalid = { code: 'invalid_grant', message: 'Netatmo refused the stored refresh token', at: env.now - 60_000 };
    await env.store().write(ACCOUNT, { tokens, invalid });
    const errors = [];
    const logger = { debug() {}, info() {}, warn: (m) => errors.push(m), error: (m) => errors.push(m) };
    const m = env.manager({ logger });
    await m.start(); // a restart: the refusal was logged when it happened
    assert.equal(m.state.status, 'reauthorize');
    for (let i = 0; i < 3; i++) await rejectsWith(m.getToken(), 'REAUTHORIZE');
    assert.deepEqual(errors, []);
    assert.equal(env.sim.stats.tokenRequests, 0);
  });
});
