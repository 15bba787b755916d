'use strict';
/** The rate budget's waits run on the timers it is given (src/core/api/rate-budget.ts), like every wait of the core. */
const assert = require('node:assert/strict');

const { RateBudget } = require('../../../dist/core/api/rate-budget');
const { manualTimers } = require('../../helpers/manual-timers');

describe('rate budget: waits on injectable timers', () => {
  const setUp = () => {
    const env = { now: 0, timers: manualTimers() };
    env.budget = new RateBudget({ limits: [{ limit: 1, windowMs: 1000 }], margin: 0, clock: () => env.now, timers: env.timers });
    return env;
  };

  it('a call behind a spent window gets its turn when the injected timer fires, not before', async () => {
    const env = setUp();
    (await env.budget.acquire(60_000))();
    let turn;
    const waiting = env.budget.acquire(60_000).then((release) => (turn = release));
    await new Promise(setImmediate);
    assert.equal(turn, undefined);
    assert.deepEqual(
      [...env.timers.pending.values()].map((t) => t.ms).sort((a, b) => a - b),
      [1000, 60_000],
    );
    env.now = 1000;
    env.timers.fireUpTo(1000);
    await waiting;
    assert.equal(typeof turn, 'function');
    assert.equal(env.timers.pending.size, 0, 'its deadline timer is cleared');
  });

  it('the deadline is an injected timer too: when it fires, the call fails RATE_LIMITED (budget)', async () => {
    const env = setUp();
    (await env.budget.acquire(60_000))();
    const waiting = env.budget.acquire(5_000);
    await new Promise(setImmediate);
    env.now = 5_000;
    const deadline = [...env.timers.pending].find(([, t]) => t.ms === 5_000);
    env.timers.pending.delete(deadline[0]);
    deadline[1].fn();
    await assert.rejects(waiting, { code: 'RATE_LIMITED', reason: 'budget' });
  });

  it('a stopped node ends the wait with the one stopped error', async () => {
    const env = setUp();
    (await env.budget.acquire(60_000))();
    const stop = new AbortController();
    const waiting = env.budget.acquire(60_000, { signal: stop.signal });
    stop.abort();
    await assert.rejects(waiting, { code: 'TIMEOUT', reason: 'stopped' });
  });
});
