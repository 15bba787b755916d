'use strict';
/** The retry arithmetic (src/core/retry-timing.ts) as plain functions: no timers, no network. */
const assert = require('node:assert/strict');

const { DEFAULT_RETRY_TIMING, backoffMs, retryDelayMs, parseRetryAfter } = require('../../../dist/core/shared/retry-timing');
const { parseTokenResponse } = require('../../../dist/core/token/oauth');

const T = { baseMs: 2_000, maxMs: 300_000, rateLimitMs: 60_000, maxRateLimitMs: 3_600_000 };
const LOW = () => 0;
const HIGH = () => 1 - Number.EPSILON;

describe('retry timing', () => {
  it('the defaults are the ones the manager documents: 2 s doubling to 5 min, 60 s after a bare 429, at most 1 h', () => {
    assert.deepEqual(DEFAULT_RETRY_TIMING, T);
  });

  it('backoff doubles from baseMs with each failure in a row and stops at maxMs', () => {
    const seq = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50, 5000].map((n) => backoffMs(n, T));
    assert.deepEqual(seq, [2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000, 300_000]);
    assert.equal(backoffMs(0, T), 2_000, 'failure 0 is treated as the first');
  });

  it('a transient failure waits the backoff give or take 25 %', () => {
    for (const n of [1, 4, 20]) {
      const b = backoffMs(n, T);
      assert.equal(retryDelayMs({ failures: n, rateLimited: false }, T, LOW), Math.round(b * 0.75));
      assert.equal(retryDelayMs({ failures: n, rateLimited: false }, T, HIGH), Math.round(b * 1.25));
      assert.equal(
        retryDelayMs({ failures: n, rateLimited: false }, T, () => 0.5),
        b,
      );
    }
  });

  it('a transient failure ignores a Retry-After (only a rate limit is asked for)', () => {
    assert.equal(
      retryDelayMs({ failures: 1, rateLimited: false, retryAfterMs: 120_000 }, T, () => 0.5),
      2_000,
    );
  });

  it('a rate limit waits as long as Netatmo asks, and jitter only adds (up to 25 %)', () => {
    assert.equal(retryDelayMs({ failures: 1, rateLimited: true, retryAfterMs: 120_000 }, T, LOW), 120_000);
    assert.equal(retryDelayMs({ failures: 1, rateLimited: true, retryAfterMs: 120_000 }, T, HIGH), 150_000);
  });

  it('a rate limit without Retry-After waits rateLimitMs; never less than the backoff; at most maxRateLimitMs', () => {
    assert.equal(retryDelayMs({ failures: 1, rateLimited: true }, T, LOW), 60_000);
    assert.equal(retryDelayMs({ failures: 1, rateLimited: true, retryAfterMs: 0 }, T, LOW), 2_000, 'Retry-After 0: the backoff');
    assert.equal(retryDelayMs({ failures: 9, rateLimited: true, retryAfterMs: 1_000 }, T, LOW), 300_000);
    assert.equal(retryDelayMs({ failures: 1, rateLimited: true, retryAfterMs: 3 * 86_400_000 }, T, LOW), 3_600_000);
    assert.equal(retryDelayMs({ failures: 1, rateLimited: true, retryAfterMs: 3 * 86_400_000 }, T, HIGH), 4_500_000);
  });

  it('parses Retry-After as seconds or as an HTTP date against the given clock', () => {
    const now = Date.UTC(2030, 5, 1, 12, 0, 0); // far from the real clock: the argument is what counts
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter('1.5', now), 1_500);
    assert.equal(parseRetryAfter(new Date(now + 90_000).toUTCString(), now), 90_000);
    assert.equal(parseRetryAfter(new Date(now - 90_000).toUTCString(), now), 0, 'a date in the past: no wait');
    for (const bad of [undefined, '', 'soon', 'Thu, 99 Foo']) assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
  });

  it("parseTokenResponse reads a Retry-After date with the client's clock, not the machine's", () => {
    const now = Date.UTC(2030, 5, 1, 12, 0, 0);
    const res = {
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': new Date(now + 45_000).toUTCString() },
      body: JSON.stringify({ error: { code: 26, message: 'User usage reached' } }),
    };
    let err;
    try {
      parseTokenResponse(res, now);
    } catch (e) {
      err = e;
    }
    assert.equal(err && err.code, 'RATE_LIMITED');
    assert.equal(err.retryAfterMs, 45_000);
  });
});
