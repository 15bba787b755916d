'use strict';
/** `netatmoTokens` of settings.js as the nodes read it (nodeRedSettings): seconds, old ms keys still read. */
const assert = require('node:assert/strict');

const { nodeRedSettings } = require('../dist/nodes/runtime');

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

describe('settings: credential secrets, in Node-RED order (nodes and command line alike)', () => {
  const { credentialSecrets } = require('../dist/core/settings');

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
