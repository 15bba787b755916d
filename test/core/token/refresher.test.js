'use strict';
/**
 * One refresh as the manager runs it (src/core/token/refresher.ts), against a store and a client
 * faked in memory: which read happens without the lock, what is written, what is logged and thrown.
 */
const assert = require('node:assert/strict');
const { NetatmoError } = require('../../../dist/core/shared/errors');
const { Redactor } = require('../../../dist/core/shared/redact');
const { LoginMemory } = require('../../../dist/core/token/login-memory');
const { Refresher } = require('../../../dist/core/token/refresher');
const { ThrottledReauthorization } = require('../../../dist/core/token/refusals');
const { fakeTokenStore: fakeStore } = require('../../helpers/fake-token-store');

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const FILE = '/tokens/acc1.json';

const pair = (n, { expired = false } = {}) => ({
  access_token: `access${n}xxxxxx`,
  refresh_token: `refresh${n}xxxxx`,
  scope: ['read_station'],
  obtained_at: NOW - 2 * HOUR,
  expires_at: expired ? NOW - 1000 : NOW + HOUR,
});

function setup(reads, { refresh } = {}) {
  const store = fakeStore(reads);
  const lines = [];
  const log = {};
  for (const level of ['debug', 'info', 'warn', 'error']) log[level] = (m) => lines.push([level, m]);
  const sent = [];
  const client = {
    async refresh(rt) {
      sent.push(rt);
      if (!refresh) throw new Error('no refresh expected');
      return refresh(rt);
    },
  };
  const memory = new LoginMemory();
  const refresher = new Refresher({
    accountId: 'acc1',
    store,
    client,
    clock: () => NOW,
    marginMs: 5 * 60_000,
    reauthThrottleMs: 5 * 60_000,
    memory,
    redactor: new Redactor(),
    log,
    toError: (err) => (err instanceof NetatmoError ? err : new NetatmoError('INTERNAL', String(err))),
  });
  const warns = () => lines.filter(([l]) => l === 'warn' || l === 'info' || l === 'error');
  return { store, memory, refresher, sent, lines, warns };
}

async function rejection(p) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

describe('core: one refresh (refresher.ts)', () => {
  it('a file set aside or of another secret is said at once, without the lock; other read failures go on under the lock', async () => {
    const corrupt = new NetatmoError('STORE_CORRUPT', 'damaged, set aside');
    let t = setup([corrupt]);
    assert.equal(await rejection(t.refresher.run(false)), corrupt);
    assert.equal(t.store.locks, 0);
    assert.equal(t.memory.login.storeProblem, corrupt);

    const secret = new NetatmoError('STORE', 'another secret', { reason: 'secret' });
    t = setup([secret]);
    assert.equal(await rejection(t.refresher.run(false)), secret);
    assert.equal(t.store.locks, 0);
    assert.equal(t.memory.login.storeProblem, undefined);

    const eio = new NetatmoError('STORE', 'Cannot read (EIO)', { reason: 'io' });
    t = setup([eio, { tokens: pair(1) }]);
    assert.deepEqual(await t.refresher.run(false), pair(1));
    assert.equal(t.store.locks, 1, 'read again under the lock');
    assert.deepEqual(t.sent, []);
  });

  it('a throttled re-authorization met under the lock is answered without a token request', async () => {
    const invalid = { code: 'invalid_grant', message: 'Refused: re-authorize', at: NOW - 1000, reason: 'grant' };
    const t = setup([new NetatmoError('STORE', 'busy'), { tokens: pair(1, { expired: true }), invalid }]);
    const e = await rejection(t.refresher.run(false));
    assert.ok(e instanceof ThrottledReauthorization, e.stack);
    assert.equal(e.message, 'Refused: re-authorize');
    assert.deepEqual(t.sent, []);
    assert.deepEqual(t.store.writes, []);
    assert.equal(t.store.locks, 1);
  });

  it('a failure that did not rotate clears the pending mark it set, and only that one', async () => {
    const down = () => {
      throw new NetatmoError('NETWORK', 'Netatmo unreachable');
    };
    let t = setup([{ tokens: pair(1, { expired: true }) }], { refresh: down });
    await rejection(t.refresher.run(false));
    assert.deepEqual(t.store.writes, [{ tokens: pair(1, { expired: true }), pending: NOW }, { tokens: pair(1, { expired: true }) }]);
    // Marked by an earlier refresh whose answer was lost: the mark stays.
    t = setup([{ tokens: pair(1, { expired: true }), pending: NOW - 5000 }], { refresh: down });
    await rejection(t.refresher.run(false));
    assert.deepEqual(t.store.writes, [{ tokens: pair(1, { expired: true }), pending: NOW - 5000 }]);
  });

  it('a refused refresh token that another process replaced meanwhile: its newer pair is used, with a warning', async () => {
    const refused = () => {
      throw new NetatmoError('INVALID_GRANT', 'invalid_grant', { oauthError: 'invalid_grant', status: 400 });
    };
    const t = setup([{ tokens: pair(1, { expired: true }) }, { tokens: pair(1, { expired: true }) }, { tokens: pair(2) }], {
      refresh: refused,
    });
    assert.deepEqual(await t.refresher.run(false), pair(2));
    assert.deepEqual(t.warns(), [
      ['warn', 'Netatmo refused a refresh token that another process had already replaced; using the newer one'],
    ]);
    assert.deepEqual(t.memory.login.tokens, pair(2));
  });

  it('a refused refresh token: lost when the refresh was pending or uncertain, else the grant is gone', async () => {
    const refused = () => {
      throw new NetatmoError('INVALID_GRANT', 'invalid_grant', { oauthError: 'invalid_grant', status: 400 });
    };
    const cases = [
      [{ pending: NOW - 5000 }, false, 'lost'],
      [{}, true, 'lost'],
      [{}, false, 'grant'],
    ];
    for (const [extra, uncertain, reason] of cases) {
      const t = setup([{ tokens: pair(1, { expired: true }), ...extra }], { refresh: refused });
      if (uncertain) t.memory.refreshUncertain();
      const e = await rejection(t.refresher.run(false));
      assert.equal(e.code, 'REAUTHORIZE');
      assert.equal(e.reason, reason, JSON.stringify(extra) + uncertain);
      assert.equal(t.memory.login.invalid.reason, reason);
      assert.deepEqual(t.store.writes.at(-1).invalid.reason, reason);
    }
  });

  it('tokens kept in memory are stored when the file still holds the pair they replace', async () => {
    const t = setup([{ tokens: pair(1, { expired: true }) }]);
    t.memory.keepUnsaved({ tokens: pair(2), from: pair(1).refresh_token });
    assert.deepEqual(await t.refresher.run(false), pair(2));
    assert.deepEqual(t.store.writes, [{ tokens: pair(2) }]);
    assert.deepEqual(t.warns(), [['info', `The new tokens kept in memory are now stored in ${FILE}`]]);
    assert.equal(t.memory.login.unsaved, undefined);
    assert.deepEqual(t.sent, []);
  });

  it('tokens kept in memory are stored when no file is there, or when the file already holds them', async () => {
    for (const onDisk of [null, { tokens: pair(2) }]) {
      const t = setup([onDisk]);
      t.memory.keepUnsaved({ tokens: pair(2), from: pair(1).refresh_token });
      assert.deepEqual(await t.refresher.run(false), pair(2));
      assert.deepEqual(t.store.writes, [{ tokens: pair(2) }], JSON.stringify(onDisk));
      assert.deepEqual(t.warns(), [['info', `The new tokens kept in memory are now stored in ${FILE}`]]);
    }
  });

  it('tokens kept in memory give way to a newer login on disk', async () => {
    const t = setup([{ tokens: pair(3) }]);
    t.memory.keepUnsaved({ tokens: pair(2), from: pair(1).refresh_token });
    assert.deepEqual(await t.refresher.run(false), pair(3));
    assert.deepEqual(t.store.writes, []);
    assert.equal(t.memory.login.unsaved, undefined);
  });

  it('readStore: a file read ends a store problem; only a file set aside starts one', async () => {
    const problem = new NetatmoError('STORE_CORRUPT', 'old problem');
    let t = setup([{ tokens: pair(1) }]);
    t.memory.storeRead(problem);
    assert.deepEqual(await t.refresher.readStore(), { tokens: pair(1) });
    assert.equal(t.memory.login.storeProblem, undefined);

    t = setup([null]);
    t.memory.storeRead(problem);
    assert.equal(await t.refresher.readStore(), null);
    assert.equal(t.memory.login.storeProblem, problem, 'no file: the problem is still said');

    for (const err of [new NetatmoError('STORE', 'EACCES'), Object.assign(new Error('odd'), { code: 'STORE_CORRUPT' })]) {
      t = setup([err]);
      assert.equal(await rejection(t.refresher.readStore()), err);
      assert.equal(t.memory.login.storeProblem, undefined, err.message);
    }
    const corrupt = new NetatmoError('STORE_CORRUPT', 'set aside');
    t = setup([corrupt]);
    assert.equal(await rejection(t.refresher.readStore()), corrupt);
    assert.equal(t.memory.login.storeProblem, corrupt);
  });
});
