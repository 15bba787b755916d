'use strict';
/** When a cached access token is handed out (src/core/token/freshness.ts): pure rules, no timers. */
const assert = require('node:assert/strict');

const { freshness, refreshAt } = require('../../../dist/core/token/freshness');

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const token = (ttl) => ({ access_token: 'at', refresh_token: 'rt', obtained_at: T0, expires_at: T0 + ttl, scope: [] });

describe('freshness of a cached token', () => {
  it('is fresh until the margin, due (handed out, refreshed behind) until the last 10 s, then stale', () => {
    const t = token(180 * MIN);
    assert.equal(refreshAt(t, 5 * MIN), T0 + 175 * MIN);
    assert.equal(freshness(t, T0 + 175 * MIN - 1, 5 * MIN), 'fresh');
    assert.equal(freshness(t, T0 + 175 * MIN, 5 * MIN), 'due');
    assert.equal(freshness(t, T0 + 180 * MIN - 10_001, 5 * MIN), 'due');
    assert.equal(freshness(t, T0 + 180 * MIN - 10_000, 5 * MIN), 'stale');
  });

  it('keeps a quarter of a short lifetime: a 20 s token is stale in its last 5 s', () => {
    const t = token(20_000);
    assert.equal(freshness(t, T0 + 14_999, 5 * MIN), 'due');
    assert.equal(freshness(t, T0 + 15_000, 5 * MIN), 'stale');
  });
});
