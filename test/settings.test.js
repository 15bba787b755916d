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
      }),
      {
        apiBase: 'http://127.0.0.1:9',
        marginSeconds: 120,
        timeoutSeconds: 5,
        reauthThrottleSeconds: 600,
        retryBaseMs: 500,
        retryMaxMs: 30_000,
        lockStaleMs: 4_000,
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
