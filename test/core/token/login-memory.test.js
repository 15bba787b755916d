'use strict';
/** The manager's memory of its login (src/core/token/login-memory.ts): each named transition, exact. */
const assert = require('node:assert/strict');
const { NetatmoError } = require('../../../dist/core/shared/errors');
const { LoginMemory } = require('../../../dist/core/token/login-memory');

const tokens = (access, refresh = `r-${access}`) => ({ access_token: access, refresh_token: refresh, expires_at: 1000, scope: [] });
const plain = (o) => JSON.parse(JSON.stringify(o));

describe('core: the login memory (login-memory.ts)', () => {
  it('adoptLogin replaces the whole login; without tokens it forgets it', () => {
    const m = new LoginMemory();
    assert.deepEqual(m.login, {});
    m.refreshUncertain();
    m.allowClientRetry(true);
    m.adoptLogin(tokens('a'), 7);
    assert.deepEqual(m.login, { tokens: tokens('a'), lastRefresh: 7 });
    m.adoptLogin();
    assert.deepEqual(m.login, {});
  });

  it('adoptStored, loseStored, storeRead: the store problem stays until read away', () => {
    const m = new LoginMemory();
    const invalid = { code: 'invalid_grant', message: 'm', at: 1 };
    m.adoptStored({ tokens: tokens('a'), invalid });
    assert.deepEqual(m.login, { tokens: tokens('a'), invalid });
    const problem = new NetatmoError('STORE_CORRUPT', 'damaged');
    m.loseStored(problem);
    assert.equal(m.login.tokens, undefined);
    assert.equal(m.login.invalid, undefined);
    assert.equal(m.login.storeProblem, problem);
    m.loseStored(); // no new problem: the old one is still said
    assert.equal(m.login.storeProblem, problem);
    m.storeRead(undefined);
    assert.equal(m.login.storeProblem, undefined);
    const other = new NetatmoError('STORE_CORRUPT', 'again');
    m.storeRead(other);
    assert.equal(m.login.storeProblem, other);
  });

  it('refused, allowClientRetry, refreshUncertain, keepUnsaved set their field', () => {
    const m = new LoginMemory();
    const invalid = { code: 'invalid_client', message: 'm', at: 1 };
    m.refused(invalid);
    assert.equal(m.login.invalid, invalid);
    m.allowClientRetry(true);
    assert.equal(m.login.clientRetry, true);
    m.allowClientRetry(false);
    assert.equal(m.login.clientRetry, false);
    assert.equal(m.login.uncertain, undefined);
    m.refreshUncertain();
    assert.equal(m.login.uncertain, true);
    const kept = { tokens: tokens('b'), from: 'r-a' };
    m.keepUnsaved(kept);
    assert.equal(m.login.unsaved, kept);
    m.keepUnsaved(undefined);
    assert.equal(m.login.unsaved, undefined);
  });

  it('refuseAccessToken: a first refusal, the same token again, then its replacement refused too', () => {
    const m = new LoginMemory();
    assert.deepEqual(m.refuseAccessToken('a1'), { again: false, count: 0 });
    assert.equal(m.login.refusedAccessToken, 'a1');
    assert.deepEqual(m.refuseAccessToken('a1'), { again: false, count: 0 });
    assert.deepEqual(m.refuseAccessToken('a2'), { again: true, count: 1 });
    assert.equal(m.login.refusedAccessToken, 'a2');
    assert.deepEqual(m.refuseAccessToken('a3'), { again: true, count: 2 });
    assert.deepEqual(m.refuseAccessToken('a3'), { again: false, count: 0 }, 'the same token again starts a new episode');
    assert.deepEqual(m.refuseAccessToken('a4'), { again: true, count: 1 });
  });

  it('acceptAccessToken ends the episode only for the current access token', () => {
    const m = new LoginMemory();
    m.acceptAccessToken('a1'); // no login, no episode: nothing happens
    assert.deepEqual(m.login, {});
    m.adoptLogin(tokens('a2'), 1);
    m.refuseAccessToken('a1');
    m.acceptAccessToken('a1'); // not the current token: the episode goes on
    assert.deepEqual(m.refuseAccessToken('a2'), { again: true, count: 1 });
    m.adoptLogin(tokens('a3'), 2);
    m.acceptAccessToken('a3');
    assert.deepEqual(m.refuseAccessToken('a3'), { again: false, count: 0 });
    // Without tokens, no access token is current.
    m.adoptLogin();
    m.acceptAccessToken('a3');
    assert.deepEqual(m.refuseAccessToken('a4'), { again: true, count: 1 });
  });

  it('the backoff: failed, refreshFailed (growing), backingOff (strictly before retryAt), clearBackoff', () => {
    const m = new LoginMemory();
    assert.deepEqual(plain(m.backoff), { failures: 0 });
    assert.equal(m.backingOff(0), false);
    const e1 = new NetatmoError('NETWORK', 'down');
    const seen = [];
    const delay = (n) => {
      seen.push(n);
      return n * 100;
    };
    assert.equal(m.refreshFailed(e1, 1000, delay), 1100);
    assert.equal(m.refreshFailed(e1, 2000, delay), 2200);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(m.backoff.failures, 2);
    assert.equal(m.backoff.lastError, e1);
    assert.equal(m.backingOff(2199), true);
    assert.equal(m.backingOff(2200), false);
    const e2 = new NetatmoError('CONFIG', 'no');
    m.failed(e2, 5000);
    assert.deepEqual({ ...m.backoff }, { failures: 2, lastError: e2, retryAt: 5000 });
    m.failed(e2);
    assert.equal(m.backoff.retryAt, undefined);
    assert.equal(m.backingOff(0), false);
    m.clearBackoff();
    assert.deepEqual(plain(m.backoff), { failures: 0 });
  });
});
