'use strict';
/** `netatmoTokens` of settings.js as the nodes read it (nodeRedSettings): seconds, old ms keys still read. */
const assert = require('node:assert/strict');

const { nodeRedSettings } = require('../../../dist/nodes/runtime');

const read = (netatmoTokens) => nodeRedSettings({ settings: { netatmoTokens } });

describe('settings: netatmoTokens', () => {
  it('every duration in seconds, turned into what the code uses', () => {
    assert.deepEqual(
      read({
        apiBase: 'http://127.0.0.1:9',
        marginSeconds: 120,
        timeoutSeconds: 5,
        reauthThrottleSeconds: 600,
        retryBaseSeconds: 0.5,
        retryMaxSeconds: 30,
        lockStaleSeconds: 4,
        apiLimits: [{ limit: 5, seconds: 1 }],
        dir: ' /data/storage/netatmo-tokens ',
        trustedProxies: ['127.0.0.1'],
      }),
      {
        apiBase: 'http://127.0.0.1:9',
        marginSeconds: 120,
        timeoutSeconds: 5,
        reauthThrottleSeconds: 600,
        retryBaseMs: 500,
        retryMaxMs: 30_000,
        lockStaleMs: 4_000,
        apiLimits: [{ limit: 5, seconds: 1 }], // checked by the rate budget (rate-budget.ts)
        dir: '/data/storage/netatmo-tokens',
        trustedProxies: ['127.0.0.1'],
      },
    );
  });

  it('the older millisecond keys are still read; the seconds key wins when both are set', () => {
    const s = read({ retryBaseMs: 100, retryMaxMs: 1000, lockStaleMs: 2000 });
    assert.equal(s.retryBaseMs, 100);
    assert.equal(s.retryMaxMs, 1000);
    assert.equal(s.lockStaleMs, 2000);
    assert.equal(read({ retryBaseMs: 100, retryBaseSeconds: 3 }).retryBaseMs, 3000);
  });

  it('values that are not finite numbers >= 0 are ignored, so the defaults apply', () => {
    const s = read({
      marginSeconds: '300',
      timeoutSeconds: -1,
      retryBaseSeconds: NaN,
      retryMaxMs: Infinity,
      lockStaleSeconds: null,
      apiBase: 42,
    });
    for (const [k, v] of Object.entries(s)) assert.equal(v, undefined, k);
    assert.deepEqual(
      Object.values(read(undefined)).filter((v) => v !== undefined),
      [],
    );
    assert.deepEqual(
      Object.values(read('fast')).filter((v) => v !== undefined),
      [],
    );
  });
});

describe('settings: the one conversion to ms', () => {
  const { durationsMs } = require('../../../dist/core/shared/settings');

  it('seconds become ms once for every client and the manager; a timeout of 0 keeps the default', () => {
    const s = read({ marginSeconds: 120, timeoutSeconds: 5, reauthThrottleSeconds: 30, retryBaseSeconds: 2, retryMaxMs: 9000 });
    assert.deepEqual(durationsMs(s), { timeoutMs: 5000, marginMs: 120_000, reauthThrottleMs: 30_000, retryBaseMs: 2000, retryMaxMs: 9000 });
    assert.deepEqual(durationsMs(read({ timeoutSeconds: 0, marginSeconds: 0 })), {
      timeoutMs: undefined,
      marginMs: 0,
      reauthThrottleMs: undefined,
      retryBaseMs: undefined,
      retryMaxMs: undefined,
    });
  });
});

describe('settings: credential secrets, in Node-RED order (nodes and command line alike)', () => {
  const { credentialSecrets } = require('../../../dist/core/shared/settings');

  it('the encrypting secret first, the generated one kept for decrypting older files (table)', () => {
    const rows = [
      // [settings.js credentialSecret, generated, secret, secrets, from]
      ['mine', 'gen', 'mine', ['mine', 'gen'], 'settings.js credentialSecret'],
      ['mine', undefined, 'mine', ['mine', undefined], 'settings.js credentialSecret'],
      ['gen', 'gen', 'gen', ['gen'], 'settings.js credentialSecret'],
      [false, 'gen', undefined, [undefined, 'gen'], 'settings.js credentialSecret: false'],
      [undefined, 'gen', 'gen', ['gen'], '.config.runtime.json _credentialSecret'],
      ['', 'gen', 'gen', ['gen'], '.config.runtime.json _credentialSecret'],
      [undefined, '', undefined, [undefined], 'none'],
      [42, undefined, undefined, [undefined], 'none'],
    ];
    for (const [user, generated, secret, secrets, from] of rows) {
      const got = credentialSecrets(user, generated);
      const what = `${JSON.stringify(user)} / ${JSON.stringify(generated)}`;
      assert.equal(got.secret, secret, what);
      assert.deepEqual(got.secrets, secrets, what);
      assert.equal(got.from, from, what);
    }
  });
});

describe('settings: the token folder (nodes and command line alike)', () => {
  const path = require('node:path');
  const { tokenFolder } = require('../../../dist/core/shared/settings');

  it('settings.js netatmoTokens.dir, else NETATMO_TOKENS_DIR, else <userDir>/netatmo-tokens; relative to the user directory (table)', () => {
    const rows = [
      // [settings.js dir, NETATMO_TOKENS_DIR, folder]
      [undefined, undefined, '/home/nr/.node-red/netatmo-tokens'],
      [undefined, '', '/home/nr/.node-red/netatmo-tokens'],
      [undefined, '  ', '/home/nr/.node-red/netatmo-tokens'],
      ['/data/storage/netatmo-tokens', undefined, '/data/storage/netatmo-tokens'],
      [undefined, '/data/storage/tokens', '/data/storage/tokens'],
      ['/from/settings', '/from/env', '/from/settings'],
      ['tokens', undefined, '/home/nr/.node-red/tokens'],
      [undefined, '../shared/tokens', '/home/nr/shared/tokens'],
    ];
    for (const [dir, env, folder] of rows) {
      const vars = env === undefined ? {} : { NETATMO_TOKENS_DIR: env };
      assert.equal(tokenFolder('/home/nr/.node-red', dir, vars), path.resolve(folder), `${dir} / ${env}`);
    }
  });

  it('what the nodes read from settings.js reaches the store', () => {
    const { storeFor } = require('../../../dist/nodes/runtime');
    const RED = { settings: { userDir: '/home/nr/.node-red', netatmoTokens: { dir: 'shared' }, get: () => undefined } };
    assert.equal(storeFor(RED).dir, path.resolve('/home/nr/.node-red/shared'));
    assert.equal(read({ dir: 42 }).dir, undefined);
    assert.equal(read({ dir: ' ' }).dir, undefined);
  });
});

describe('settings: readNetatmoSettings, exactly', () => {
  const { readNetatmoSettings, credentialSecrets } = require('../../../dist/core/shared/settings');
  const none = {
    apiBase: undefined,
    marginSeconds: undefined,
    timeoutSeconds: undefined,
    reauthThrottleSeconds: undefined,
    retryBaseMs: undefined,
    retryMaxMs: undefined,
    lockStaleMs: undefined,
    apiLimits: undefined,
    dir: undefined,
    trustedProxies: undefined,
  };

  it('only an object is read: a function, a string or a number count as nothing', () => {
    const fn = Object.assign(() => {}, { apiBase: 'http://x', marginSeconds: 5 });
    for (const raw of [fn, 'text', 42, true, null, undefined]) assert.deepEqual(readNetatmoSettings(raw), none, String(raw));
  });

  it('apiBase and dir trimmed; empty, blank or not a string is none; numbers as given, strings are not numbers', () => {
    assert.deepEqual(readNetatmoSettings({ apiBase: '  http://127.0.0.1:9  ', dir: ' d ', marginSeconds: '5', timeoutSeconds: 0 }), {
      ...none,
      apiBase: 'http://127.0.0.1:9',
      dir: 'd',
      timeoutSeconds: 0,
    });
    for (const v of ['', '   ', 5, {}]) assert.deepEqual(readNetatmoSettings({ apiBase: v, dir: v }), none, String(v));
  });

  it('trustedProxies: a list or a comma separated text; trimmed, lower case, IPv4-mapped addresses as IPv4', () => {
    const proxies = (v) => readNetatmoSettings({ trustedProxies: v }).trustedProxies;
    assert.deepEqual(proxies(' 127.0.0.1 , ::1,FE80::1 '), ['127.0.0.1', '::1', 'fe80::1']);
    assert.deepEqual(proxies([' 10.0.0.1 ', 5, null, '', '  ', '::FFFF:10.0.0.2']), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(proxies(['::ffff:1.2.3.4', '2001:db8::ffff:1.2.3.4', '::ffff:abcd', '::ffff:']), [
      '1.2.3.4',
      '2001:db8::ffff:1.2.3.4',
      '::ffff:abcd',
      '::ffff:',
    ]);
    const at64 = ` ${'a'.repeat(62)} `;
    assert.deepEqual(proxies([at64, 'b'.repeat(65)]), ['a'.repeat(62)], 'at most 64 characters as written');
    assert.equal(proxies(Array.from({ length: 70 }, (_, i) => `10.0.0.${i}`)).length, 64);
    for (const v of [undefined, '', ' , ', [], [1, 2], { a: '1.2.3.4' }, 5]) assert.equal(proxies(v), undefined, JSON.stringify(v));
  });

  it('a generated secret that is not a non-empty text is none', () => {
    for (const generated of [5, '', true, {}])
      assert.deepEqual(
        credentialSecrets(undefined, generated),
        { secret: undefined, secrets: [undefined], from: 'none' },
        String(generated),
      );
    assert.deepEqual(credentialSecrets('', 'g'), { secret: 'g', secrets: ['g'], from: '.config.runtime.json _credentialSecret' });
  });
});
