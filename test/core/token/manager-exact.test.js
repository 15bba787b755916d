'use strict';
/**
 * The token manager (src/core/token/manager.ts) against a store and a client faked in memory, on
 * manual timers and a fixed clock: its exact log lines, the timers it sets, the waits of getToken,
 * what a refused access token starts, an authorization whose pair cannot be stored.
 */
const assert = require('node:assert/strict');
const { NetatmoError } = require('../../../dist/core/shared/errors');
const { redact } = require('../../../dist/core/shared/redact');
const { TokenManager } = require('../../../dist/core/token/manager');
const { fakeTokenStore } = require('../../helpers/fake-token-store');
const { manualTimers } = require('../../helpers/manual-timers');

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const pair = (n, { expiresIn = HOUR, scope = ['read_station'] } = {}) => ({
  access_token: `access${n}xxxxxx`,
  refresh_token: `refresh${n}xxxxx`,
  scope,
  obtained_at: NOW - 2 * HOUR,
  expires_at: NOW + expiresIn,
});

/** The client's answers to refresh, in turn: a TokenSet, or an Error to throw. */
function setup(reads, { answers = [], client = true, ...opts } = {}) {
  const store = fakeTokenStore(reads);
  const lines = [];
  const logger = {};
  for (const level of ['debug', 'info', 'warn', 'error']) logger[level] = (m) => lines.push([level, m]);
  const sent = [];
  const fake = {
    async refresh(rt) {
      sent.push(rt);
      const a = answers.shift();
      if (a instanceof Error) throw a;
      if (!a) throw new Error('no answer prepared');
      return a;
    },
    async exchangeCode(code) {
      sent.push(code);
      return answers.shift();
    },
    redact: (t) => t,
  };
  const timers = manualTimers();
  const env = { now: NOW };
  const m = new TokenManager({
    accountId: 'acc1',
    store,
    client: client ? fake : undefined,
    clock: () => env.now,
    timers,
    logger,
    autoRefresh: false,
    ...opts,
  });
  const said = (...levels) => lines.filter(([l]) => levels.includes(l));
  return { m, store, lines, said, sent, timers, env };
}

async function rejection(p) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('core: the token manager, exactly (manager.ts)', () => {
  const random = Math.random;
  beforeEach(() => {
    Math.random = () => 0.5; // no jitter: a retry comes after exactly the backoff
  });
  afterEach(() => {
    Math.random = random;
  });

  it('stop during a refresh says it waits for it, and the refresh is stored', async () => {
    const t = setup([{ tokens: pair(1, { expiresIn: -1000 }) }], { answers: [pair(2)] });
    await t.m.start();
    const refreshing = t.m.refresh();
    await t.m.stop();
    assert.deepEqual(await refreshing, pair(2));
    assert.ok(t.lines.some(([l, m]) => l === 'debug' && m === 'stop: waiting for the refresh under way to be stored'));
    assert.deepEqual(t.store.writes.at(-1), { tokens: pair(2) });
  });

  it('getToken waits for a retry due at its deadline (not one after it); no finite wait means none', async () => {
    const down = () => new NetatmoError('NETWORK', 'Netatmo unreachable');
    let t = setup([{ tokens: pair(1, { expiresIn: -1000 }) }], { answers: [down(), pair(2)], retryBaseMs: 1000 });
    await t.m.start();
    const got = t.m.getToken({ maxWaitMs: 1000 });
    for (let i = 0; i < 20 && t.timers.pending.size === 0; i++) await tick();
    assert.deepEqual(
      [...t.timers.pending.values()].map((x) => x.ms),
      [1000],
    );
    t.env.now += 1000;
    t.timers.fireAll();
    assert.deepEqual(await got, pair(2));
    assert.deepEqual(t.sent, [pair(1).refresh_token, pair(1).refresh_token]);

    for (const maxWaitMs of [999, undefined, NaN, Infinity, -5]) {
      t = setup([{ tokens: pair(1, { expiresIn: -1000 }) }], { answers: [down(), pair(2)], retryBaseMs: 1000 });
      await t.m.start();
      const e = await rejection(t.m.getToken(maxWaitMs === undefined ? undefined : { maxWaitMs }));
      assert.equal(e.code, 'NETWORK', String(maxWaitMs));
      assert.equal(t.timers.pending.size, 0, String(maxWaitMs));
    }
  });

  it('a refused access token: one warning per token; its replacement refused too says when it tries again', async () => {
    for (const [baseMs, shown] of [
      [2_500, '2.5'],
      [12_345, '12'],
    ]) {
      const t = setup([{ tokens: pair(1) }], { answers: [pair(2)], retryBaseMs: baseMs });
      await t.m.start();
      t.m.rejectAccessToken(pair(1).access_token);
      t.m.rejectAccessToken(pair(1).access_token); // the same again: nothing new
      assert.deepEqual(await t.m.getToken(), pair(2));
      t.m.rejectAccessToken(pair(2).access_token);
      assert.deepEqual(t.said('warn', 'error', 'info'), [
        [
          'warn',
          `Netatmo refused the access token ${redact(pair(1).access_token)} before its expiry (${new Date(pair(1).expires_at).toISOString()}); getting a new one`,
        ],
        [
          'warn',
          `Netatmo refused the freshly refreshed access token too: the account tries again later (${redact(pair(2).access_token)}); next refresh in ${shown} s`,
        ],
      ]);
      assert.equal(t.sent.length, 1);
      assert.equal(t.m.state.status, 'retrying');
    }
  });

  it('a refused access token starts no refresh while re-authorization is needed', async () => {
    const invalid = { code: 'invalid_grant', message: 'Refused', at: NOW - 1000 };
    const t = setup([{ tokens: pair(1), invalid }]);
    await t.m.start();
    const reads = t.store.readCount;
    t.m.rejectAccessToken(pair(1).access_token);
    await tick();
    assert.equal(t.store.readCount, reads, 'no refresh started');
    assert.deepEqual(t.sent, []);
    assert.equal(t.store.locks, 0);
  });

  it('forget removes the file even when the lock cannot be taken', async () => {
    const t = setup([{ tokens: pair(1) }]);
    await t.m.start();
    t.store.lockError = new NetatmoError('TIMEOUT', 'lock busy');
    await t.m.forget();
    assert.equal(t.store.removed, 1);
    assert.equal(t.m.state.authorized, false);
  });

  it('an outdated file: upgraded when the store can, its failure a warning, no upgrade at all no error', async () => {
    let t = setup([{ tokens: pair(1) }]);
    t.store.isOutdated = () => true;
    await t.m.start();
    assert.deepEqual(t.said('warn', 'error', 'info'), []);
    assert.equal(t.m.state.status, 'ok');

    t = setup([{ tokens: pair(1) }]);
    t.store.isOutdated = () => true;
    t.store.upgrade = async () => {
      throw new NetatmoError('STORE', 'Cannot rewrite the token file');
    };
    await t.m.start();
    assert.deepEqual(t.said('warn', 'error', 'info'), [['warn', 'Cannot rewrite the token file']]);

    t = setup([{ tokens: pair(1) }]);
    t.store.isOutdated = () => true;
    t.store.upgrade = async () => true;
    await t.m.start();
    assert.deepEqual(t.said('warn', 'error', 'info'), [
      ['info', "The token file /tokens/acc1.json is now encrypted with Node-RED's current credential secret"],
    ]);
  });

  it('the same failure again is logged once; another code or another text is logged anew', async () => {
    const corrupt = (msg) => new NetatmoError('STORE_CORRUPT', msg);
    const secret = (msg) => new NetatmoError('STORE', msg, { reason: 'secret' });
    const t = setup([null, corrupt('m1'), corrupt('m1'), corrupt('m2'), secret('m2'), secret('m2')]);
    await t.m.start();
    for (let i = 0; i < 5; i++) await rejection(t.m.refresh());
    assert.deepEqual(t.said('warn', 'error', 'info'), [
      ['error', 'm1'],
      ['error', 'm2'],
      ['error', 'm2'],
    ]);
    assert.deepEqual(
      t.lines.filter(([l, m]) => l === 'debug' && / again$/.test(m)),
      [
        ['debug', 'refresh: STORE_CORRUPT again'],
        ['debug', 'refresh: STORE again'],
      ],
    );
  });

  it('a bug is logged with its stack; a NetatmoError or a thrown value is not', async () => {
    let t = setup([{ tokens: pair(1, { expiresIn: -1000 }) }], { answers: [new TypeError('bad thing')] });
    await t.m.start();
    assert.equal((await rejection(t.m.refresh())).code, 'INTERNAL');
    const internal = t.said('error').filter(([, m]) => m.startsWith('Internal error, please report it: TypeError: bad thing\n'));
    assert.equal(internal.length, 1);

    const odd = new NetatmoError('INTERNAL', 'Internal error (X)', { reason: 'secret' });
    t = setup([null, odd, { throws: 'a thrown string' }]);
    await t.m.start();
    await rejection(t.m.refresh());
    await rejection(t.m.refresh());
    assert.deepEqual(
      t.said('error').map(([, m]) => m),
      ['Internal error (X)', 'Unexpected failure'],
    );
    // A system error (a code, not a bug): said by its code, no stack.
    t = setup([null, Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })]);
    await t.m.start();
    await rejection(t.m.refresh());
    assert.deepEqual(
      t.said('error').map(([, m]) => m),
      ['Unexpected failure (EACCES)'],
    );
  });

  it('an authorization whose pair cannot be stored keeps it, and stores it at the next refresh', async () => {
    for (const before of [{ tokens: pair(1, { expiresIn: -1000 }) }, null]) {
      const t = setup([before], { answers: [pair(2, { scope: [] })] });
      await t.m.start();
      t.store.failWrites = 1;
      const e = await rejection(t.m.authorizeWithCode('code1234', 'http://localhost/cb', 'read_station'));
      assert.deepEqual([e.code, e.message], ['STORE', 'Cannot write']);
      t.store.failWrites = 0;
      assert.deepEqual(await t.m.refresh(), pair(2, { scope: [] }));
      assert.deepEqual(t.store.writes, [{ tokens: pair(2, { scope: [] }) }], JSON.stringify(before));
      assert.deepEqual(t.sent, ['code1234']);
    }
  });

  it('an authorization says its scopes, or (none)', async () => {
    for (const [scope, text] of [
      [['read_station', 'read_thermostat'], 'Authorized for scopes read_station read_thermostat'],
      [[], 'Authorized for scopes (none)'],
    ]) {
      const t = setup([null], { answers: [pair(2, { scope })] });
      await t.m.start();
      await t.m.authorizeWithCode('code1234', 'http://localhost/cb', 'read_station');
      assert.deepEqual(t.said('info'), [['info', text]]);
    }
  });

  it('an unreadable file is set aside before an authorization (and said where); a damaged one is not', async () => {
    const cases = [
      [new NetatmoError('STORE', 'EACCES'), '/tokens/acc1.json.unreadable', 1],
      [new NetatmoError('STORE', 'EACCES'), undefined, 1],
      [new NetatmoError('STORE_CORRUPT', 'set aside already'), '/x', 0],
    ];
    for (const [err, aside, calls] of cases) {
      const t = setup([null, err, null], { answers: [pair(2)] });
      await t.m.start();
      let asked = 0;
      t.store.keepAside = async () => {
        asked += 1;
        return aside;
      };
      await t.m.authorizeWithCode('code1234', 'http://localhost/cb', 'read_station');
      assert.equal(asked, calls, err.code);
      assert.deepEqual(t.said('warn'), aside && calls ? [['warn', `The unreadable token file was kept as ${aside}`]] : []);
    }
  });

  it('the refresh timer: ahead of expiry, capped at 2^31-1 ms, none without a usable login', async () => {
    const delays = async (reads, more = {}) => {
      const t = setup(reads, { autoRefresh: true, ...more });
      if (more.check) t.store.check = more.check;
      await t.m.start();
      const ms = [...t.timers.pending.values()].map((x) => x.ms);
      await t.m.stop();
      return ms;
    };
    assert.deepEqual(await delays([{ tokens: pair(1) }]), [HOUR - 5 * 60_000]);
    assert.deepEqual(await delays([{ tokens: pair(1, { expiresIn: 100 * DAY }) }]), [2 ** 31 - 1]);
    assert.deepEqual(await delays([null]), []);
    assert.deepEqual(await delays([{ tokens: pair(1), invalid: { code: 'invalid_grant', message: 'm', at: NOW } }]), []);
    const unwritable = async () => {
      throw new NetatmoError('STORE', 'The token folder cannot be written', { reason: 'unwritable' });
    };
    assert.deepEqual(await delays([{ tokens: pair(1) }], { check: unwritable }), []);
  });

  it('start says what it found, in one debug line', async () => {
    const invalid = { code: 'invalid_grant', message: 'm', at: NOW };
    let t = setup([{ tokens: pair(1), invalid, pending: NOW - 5 }]);
    await t.m.start();
    const iso = new Date(pair(1).expires_at).toISOString();
    assert.deepEqual(
      t.lines.filter(([, m]) => m.startsWith('start:')),
      [
        [
          'debug',
          `start: stored refresh token refr…, access token acce… valid until ${iso} (refused: invalid_grant) (a refresh was interrupted)`,
        ],
      ],
    );
    t = setup([{ tokens: pair(1) }]);
    await t.m.start();
    assert.deepEqual(
      t.lines.filter(([, m]) => m.startsWith('start:')),
      [['debug', `start: stored refresh token refr…, access token acce… valid until ${iso}`]],
    );
    t = setup([null]);
    await t.m.start();
    assert.deepEqual(
      t.lines.filter(([, m]) => m.startsWith('start:')),
      [['debug', 'start: no token file /tokens/acc1.json']],
    );
  });

  it('only a client refused before the start gets its one request despite the throttle', async () => {
    const refusedClient = { code: 'invalid_client', message: 'No client', at: NOW - 1000 };
    // Refused as a client by another process after the start: throttled, no request.
    let t = setup([{ tokens: pair(1, { expiresIn: -1000 }) }, { tokens: pair(1, { expiresIn: -1000 }), invalid: refusedClient }]);
    await t.m.start();
    assert.equal((await rejection(t.m.getToken())).code, 'REAUTHORIZE');
    assert.deepEqual(t.sent, []);
    // Refused before the start (then redeployed): one request.
    t = setup([{ tokens: pair(1, { expiresIn: -1000 }), invalid: refusedClient }], { answers: [pair(2)] });
    await t.m.start();
    assert.deepEqual(await t.m.getToken(), pair(2));
    assert.deepEqual(t.sent, [pair(1).refresh_token]);
  });

  it('no file: nothing to upgrade, even when the store says outdated', async () => {
    const t = setup([null]);
    t.store.isOutdated = () => true;
    let asked = 0;
    t.store.upgrade = async () => {
      asked += 1;
      return true;
    };
    await t.m.start();
    assert.equal(asked, 0);
    assert.deepEqual(t.said('info', 'warn', 'error'), []);
  });

  it('a state event only when the state changes', async () => {
    const t = setup([null]);
    const events = [];
    t.m.on('state', (s) => events.push(s.status));
    await t.m.start();
    await t.m.forget();
    assert.deepEqual(events, []);
    const u = setup([{ tokens: pair(1) }]);
    u.m.on('state', (s) => events.push(s.status));
    await u.m.start();
    u.m.acceptAccessToken(pair(1).access_token);
    assert.deepEqual(events, ['ok']);
  });

  it('no wait asked: a retry due at once is not waited for', async () => {
    const t = setup([{ tokens: pair(1, { expiresIn: -1000 }) }], {
      answers: [new NetatmoError('NETWORK', 'down'), pair(2)],
      retryBaseMs: 0,
    });
    await t.m.start();
    assert.equal((await rejection(t.m.getToken())).code, 'NETWORK');
  });

  it('no refresh timer before the start nor after the stop', async () => {
    const t = setup([{ tokens: pair(1, { expiresIn: -1000 }) }], { answers: [pair(2), pair(3)], autoRefresh: true });
    await t.m.refresh();
    assert.equal(t.timers.pending.size, 0, 'not started');
    await t.m.start();
    assert.equal(t.timers.pending.size, 1);
    await t.m.stop();
    assert.equal(t.timers.pending.size, 0);
    await t.m.refresh({ force: true });
    assert.equal(t.timers.pending.size, 0, 'stopped');
  });
});
