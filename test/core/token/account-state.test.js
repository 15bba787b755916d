'use strict';
/** The one account state (src/core/token/account-state.ts): derived live and stored, shown by one table. */
const assert = require('node:assert/strict');

const { liveState, storedState, fileStatus, displayOf, needsUser, reauthReason } = require('../../../dist/core/token/account-state');
const { NetatmoError } = require('../../../dist/core/shared/errors');

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const tokens = { access_token: 'at-1', refresh_token: 'rt-1', expires_at: T0 + 10_800_000, obtained_at: T0, scope: ['read_station'] };
const invalid = { code: 'invalid_grant', message: 'refused rt-1', at: T0 };
const same = (t) => t;

describe('the account state', () => {
  it('is worked out live from what the manager knows, the refusal first and then a refresh under way', () => {
    const live = (f) => liveState({ refreshing: false, redact: same, ...f }).status;
    assert.equal(live({}), 'unauthorized');
    assert.equal(live({ tokens }), 'ok');
    assert.equal(live({ tokens, refreshing: true }), 'refreshing');
    assert.equal(live({ tokens, invalid, refreshing: true }), 'reauthorize');
    assert.equal(live({ tokens, lastError: new NetatmoError('NETWORK', 'down'), retryAt: T0 }), 'retrying');
    assert.equal(live({ tokens, lastError: new NetatmoError('STORE', 'disk') }), 'error');
    assert.equal(live({ lastError: new NetatmoError('NOT_AUTHORIZED', 'no login') }), 'unauthorized');
  });

  it('passes the refusal through the redaction and names its reason', () => {
    const s = liveState({ tokens, invalid, refreshing: false, redact: (t) => t.replace('rt-1', 'rt-…') });
    assert.deepEqual(s.error, { code: 'REAUTHORIZE', message: 'refused rt-…', reason: 'grant' });
    assert.equal(s.authorized, false);
    assert.equal(s.last_refresh, T0);
  });

  it('is worked out from the token file alone, as the admin route and the CLI read it', () => {
    assert.deepEqual(storedState(null), { status: 'unauthorized', authorized: false });
    assert.deepEqual(storedState({ tokens }), {
      status: 'ok',
      authorized: true,
      expires_at: tokens.expires_at,
      scope: ['read_station'],
      last_refresh: T0,
    });
    assert.equal(storedState({ tokens, invalid }).status, 'reauthorize');
    assert.equal(fileStatus(storedState({ tokens }), true), 'expired');
    assert.equal(fileStatus(storedState({ tokens, invalid }), true), 'reauthorize');
    assert.equal(fileStatus(storedState({ tokens }), false), 'ok');
  });

  it('is shown by one table: fill, shape and catalogue key for the nodes, a heading and a tone for the dialog', () => {
    const show = (state) => {
      const d = displayOf(state);
      return `${d.fill} ${d.shape} ${d.key} ${d.heading} ${d.tone}`;
    };
    assert.equal(show({ status: 'ok', authorized: true }), 'green dot ok authorized ok');
    assert.equal(show({ status: 'refreshing', authorized: true }), 'blue dot refreshing authorized ok');
    assert.equal(show({ status: 'retrying', authorized: true }), 'yellow ring retrying authorized warn');
    assert.equal(show({ status: 'retrying', authorized: false, error: { code: 'NETWORK' } }), 'yellow ring retrying error bad');
    assert.equal(show({ status: 'error', authorized: true }), 'red dot error authorized warn');
    assert.equal(show({ status: 'error', authorized: false }), 'red dot error unauthorized none');
    assert.equal(show({ status: 'reauthorize', authorized: false }), 'red ring reauthorize reauthorize bad');
    assert.equal(show({ status: 'reauthorize', authorized: false, error: { code: 'NETWORK' } }), 'red ring reauthorize reauthorize bad');
    assert.equal(
      show({ status: 'unauthorized', authorized: false, error: { code: 'NOT_AUTHORIZED' } }),
      'grey ring unauthorized unauthorized none',
    );
    assert.equal(show({ status: 'unauthorized', authorized: false, error: { code: 'STORE_CORRUPT' } }), 'grey ring unauthorized error bad');
    assert.equal(show({ status: 'nonsense', authorized: false }), 'grey ring unauthorized unauthorized none');
  });

  it('says when the account waits for the user rather than for Netatmo', () => {
    assert.equal(needsUser({ status: 'reauthorize' }), true);
    assert.equal(needsUser({ status: 'unauthorized' }), true);
    assert.equal(needsUser({ status: 'retrying' }), false);
  });

  it('names a stored refusal by its reason, or (older files) by its OAuth error', () => {
    assert.equal(reauthReason({ code: 'invalid_client' }), 'client');
    assert.equal(reauthReason({ code: 'invalid_grant' }), 'grant');
    assert.equal(reauthReason({ code: 'invalid_client', reason: 'lost' }), 'lost');
  });

  it('lists every field of a live state: a failure with its reason and params, the last refresh, the retry', () => {
    const e = new NetatmoError('STORE', 'disk at-1 full', { reason: 'unwritable', params: { file: 'f' } });
    const s = liveState({
      tokens,
      lastRefresh: T0 + 5,
      lastError: e,
      retryAt: T0 + 9,
      refreshing: false,
      redact: (t) => t.replace('at-1', 'at…'),
    });
    assert.deepEqual(s, {
      status: 'retrying',
      authorized: true,
      expires_at: tokens.expires_at,
      scope: ['read_station'],
      last_refresh: T0 + 5,
      retry_at: T0 + 9,
      error: { code: 'STORE', message: 'disk at… full', reason: 'unwritable', params: { file: 'f' } },
    });
    assert.deepEqual(liveState({ refreshing: true, redact: same }), {
      status: 'unauthorized',
      authorized: false,
      expires_at: undefined,
      scope: undefined,
      last_refresh: undefined,
      retry_at: undefined,
      error: undefined,
    });
  });
});
