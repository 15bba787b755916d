'use strict';
/** What a refresh does (src/core/refresh-decision.ts), as a table: no disk, no network. */
const assert = require('node:assert/strict');

const { decideRefresh, refreshMargin } = require('../../../dist/core/token/refresh-decision');

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const TTL = 3 * 60 * MIN;

/** A stored pair obtained at T0, valid 3 h; `invalid` when Netatmo refused it. */
const stored = ({ rt = 'rt-1', at = 'at-1', invalid } = {}) => ({
  tokens: { access_token: at, refresh_token: rt, scope: ['read_station'], obtained_at: T0, expires_at: T0 + TTL },
  ...(invalid ? { invalid } : {}),
});
const refused = (code, minutesAgo) => ({ code, message: 'Re-authorize', at: T0 + 60 * MIN - minutesAgo * MIN });

const base = { now: T0 + 60 * MIN, force: false, known: 'rt-1', marginMs: 5 * MIN, reauthThrottleMs: 5 * MIN, clientRetry: false };

// [what, situation (over `base`), expected action]
const rows = [
  ['nothing stored', { stored: null }, 'not authorized'],
  ['nothing stored, forced', { stored: null, force: true }, 'not authorized'],
  ['a fresh pair', { stored: stored() }, 'adopt'],
  ['a fresh pair rotated by another process', { stored: stored({ rt: 'rt-2' }) }, 'adopt'],
  ['a pair inside the margin (4 min left)', { stored: stored(), now: T0 + TTL - 4 * MIN }, 'request'],
  ['a pair at the margin exactly', { stored: stored(), now: T0 + TTL - 5 * MIN }, 'request'],
  ['an expired pair', { stored: stored(), now: T0 + TTL + 1 }, 'request'],
  ['a fresh pair whose access token the API refused', { stored: stored(), refusedAccessToken: 'at-1' }, 'request'],
  ['a fresh pair, another access token refused', { stored: stored(), refusedAccessToken: 'at-0' }, 'adopt'],
  ['forced, the pair we know', { stored: stored(), force: true }, 'request'],
  ['forced, a pair rotated by someone else', { stored: stored({ rt: 'rt-2' }), force: true }, 'adopt'],
  ['forced, nothing known before (first read)', { stored: stored(), force: true, known: undefined }, 'request'],
  ['refused 1 min ago (invalid_grant): throttled', { stored: stored({ invalid: refused('invalid_grant', 1) }) }, 'throttled'],
  ['refused 5 min ago: one new request', { stored: stored({ invalid: refused('invalid_grant', 5) }) }, 'request'],
  ['refused, throttle off (command line)', { stored: stored({ invalid: refused('invalid_grant', 0) }), reauthThrottleMs: 0 }, 'request'],
  ['refused although fresh: never adopted', { stored: stored({ invalid: refused('invalid_grant', 60) }), reauthThrottleMs: 0 }, 'request'],
  ['client refused 1 min ago: throttled', { stored: stored({ invalid: refused('invalid_client', 1) }) }, 'throttled'],
  ['client refused, redeployed since', { stored: stored({ invalid: refused('invalid_client', 1) }), clientRetry: true }, 'request'],
  [
    'grant refused, redeployed: still throttled',
    { stored: stored({ invalid: refused('invalid_grant', 1) }), clientRetry: true },
    'throttled',
  ],
  ['forced, refused 1 min ago: throttled', { stored: stored({ invalid: refused('invalid_grant', 1) }), force: true }, 'throttled'],
];

describe('refresh decision', () => {
  for (const [what, situation, action] of rows) {
    it(`${what}: ${action}`, () => {
      const s = { ...base, ...situation };
      const d = decideRefresh(s);
      assert.equal(d.action, action);
      if (action !== 'not authorized') assert.equal(d.stored, s.stored, 'the decision names the pair it is about');
      if (action === 'throttled') assert.equal(d.invalid, s.stored.invalid);
    });
  }

  it('the margin is at most half of a short lifetime', () => {
    const t = (ms) => ({ obtained_at: T0, expires_at: T0 + ms });
    assert.equal(refreshMargin(t(TTL), 5 * MIN), 5 * MIN);
    assert.equal(refreshMargin(t(4 * MIN), 5 * MIN), 2 * MIN);
    assert.equal(refreshMargin(t(0), 5 * MIN), 0);
    assert.equal(refreshMargin({ obtained_at: T0, expires_at: T0 - 1000 }, 5 * MIN), 0);
  });
});
