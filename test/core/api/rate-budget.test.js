'use strict';
/** The rate budget's waits run on the timers it is given (src/core/api/rate-budget.ts), like every wait of the core. */
const assert = require('node:assert/strict');

const { RateBudget } = require('../../../dist/core/api/rate-budget');
const { manualTimers } = require('../../helpers/manual-timers');

/**
 * A wait that never ends fails the test within 2 s: Stryker turns mocha's timeout off, and a mutant that
 * keeps a wait from ending would cost its own timeout (3 s and a new test runner) instead.
 */
const HUNG_MS = 2000;

describe('rate budget: waits on injectable timers', function () {
  this.timeout(HUNG_MS);
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

describe('rate budget: the arithmetic of turns on a virtual clock', function () {
  this.timeout(HUNG_MS);
  const { NETATMO_USER_LIMITS } = require('../../../dist/core/api/rate-budget');
  let now;
  const budget = (opts = {}) => new RateBudget({ limits: [{ limit: 10, windowMs: 1000 }], clock: () => now, ...opts });
  beforeEach(() => (now = 1_000_000));

  it("Netatmo's per-user limits, 10 % kept in reserve by default; the reserve stays within 0 and half", () => {
    assert.deepEqual(NETATMO_USER_LIMITS, [
      { limit: 50, windowMs: 10_000 },
      { limit: 500, windowMs: 3_600_000 },
    ]);
    assert.deepEqual(new RateBudget().windows, [
      { limit: 45, windowMs: 10_000 },
      { limit: 450, windowMs: 3_600_000 },
    ]);
    const limits = (margin, limit = 10) => new RateBudget({ limits: [{ limit, windowMs: 1 }], margin }).windows[0].limit;
    assert.equal(limits(0), 10);
    assert.equal(limits(-1), 10, 'no negative reserve');
    assert.equal(limits(0.9), 5, 'at most half');
    assert.equal(limits(0.5), 5);
    assert.equal(limits(0.15), 8, 'rounded down');
    assert.equal(limits(0.5, 1), 1, 'at least one a window');
  });

  it('keeps 10 % in reserve: 9 of 10 go at once, the 10th waits for an answer and a window after it', () => {
    const b = budget();
    const releases = [];
    for (let i = 0; i < 9; i++) {
      assert.equal(b.delay(), 0, `request ${i + 1}`);
      releases.push(b.take());
    }
    assert.equal(b.delay(), Infinity, 'all in flight: the next turn comes with an answer');
    now += 200;
    releases[0]();
    assert.equal(b.delay(), 1000, 'a window after that answer');
    now += 999;
    assert.equal(b.delay(), 1);
    now += 1;
    assert.equal(b.delay(), 0);
  });

  it('a request counts until a whole window after its answer, however long it was in flight; a second release changes nothing', () => {
    const b = budget({ limits: [{ limit: 2, windowMs: 1000 }], margin: 0 });
    const a = b.take();
    b.take();
    now += 5000;
    assert.equal(b.delay(), Infinity, 'both still in flight');
    a();
    assert.equal(b.delay(), 1000, 'a window after the answer, not after the request');
    now += 500;
    a();
    assert.equal(b.delay(), 500, 'the first answer counts');
  });

  it('with several requests over the limit, the turn comes when enough of them have left, earliest first', () => {
    const b = budget({ limits: [{ limit: 2, windowMs: 1000 }], margin: 0 });
    const [a, c, d] = [b.take(), b.take(), b.take()];
    d();
    now += 100;
    a();
    now += 100;
    c();
    // Three counted, the limit is 2: two must leave, at 1000 and 1100 after the first answer.
    assert.equal(b.delay(), 900);
    const e = b.take();
    assert.equal(b.delay(), 1000, 'one in flight: three must leave now');
    const f = b.take();
    assert.equal(b.delay(), Infinity, 'two in flight: more must leave than have answered');
    e();
    f();
  });

  it('every window counts: the longest keeps requests that the shortest has let go', () => {
    const b = budget({
      limits: [
        { limit: 2, windowMs: 1000 },
        { limit: 3, windowMs: 5000 },
      ],
      margin: 0,
    });
    for (let i = 0; i < 3; i++) b.take()();
    now += 2000;
    assert.equal(b.delay(), 3000, 'the 5 s window holds three');
    now += 3000;
    assert.equal(b.delay(), 0);
  });

  it('a 429 pauses every call for Retry-After (capped), or the default; never less than a pause already asked', () => {
    const b = budget({ defaultPauseMs: 60_000, maxPauseMs: 120_000 });
    b.pause(5000);
    assert.equal(b.delay(), 5000);
    assert.equal(b.pausedFor(), 5000);
    b.pause(1000);
    assert.equal(b.pausedFor(), 5000, 'the longer pause stays');
    b.pause(10 * 3_600_000);
    assert.equal(b.pausedFor(), 120_000);
    now += 120_000;
    assert.equal(b.pausedFor(), 0);
    b.pause();
    assert.equal(b.pausedFor(), 60_000);
    now += 60_001;
    assert.equal(b.pausedFor(), 0, 'never below 0');
    b.pause(-5000);
    assert.equal(b.pausedFor(), 0, 'a negative Retry-After is no pause');
    const plain = new RateBudget({ clock: () => now });
    plain.pause();
    assert.equal(plain.pausedFor(), 60_000, 'a minute by default');
    plain.pause(2 * 3_600_000);
    assert.equal(plain.pausedFor(), 3_600_000, 'an hour at most by default');
  });

  it("reads the limits from settings in seconds (or windowMs, seconds first); anything malformed gives Netatmo's", () => {
    const { parseRateLimits } = require('../../../dist/core/api/rate-budget');
    assert.deepEqual(
      parseRateLimits([
        { limit: 50, seconds: 1 },
        { limit: '500', windowMs: 10000 },
        { limit: 1, seconds: '2', windowMs: 5 },
      ]),
      [
        { limit: 50, windowMs: 1000 },
        { limit: 500, windowMs: 10000 },
        { limit: 1, windowMs: 2000 },
      ],
    );
    assert.deepEqual(parseRateLimits([{ limit: 1, windowMs: 1 }]), [{ limit: 1, windowMs: 1 }]);
    for (const bad of [
      undefined,
      [],
      'x',
      [null],
      [{ limit: 0, seconds: 1 }],
      [{ limit: 0.5, seconds: 1 }],
      [{ limit: 5 }],
      [{ limit: 5, windowMs: 0.5 }],
      [{ limit: Infinity, seconds: 1 }],
      [{ limit: 5, seconds: Infinity }],
      [{ limit: 'x', seconds: 1 }],
      [{ limit: 5, seconds: 1 }, null],
    ]) {
      assert.equal(parseRateLimits(bad), NETATMO_USER_LIMITS, JSON.stringify(bad));
    }
  });

  it("a user's key: a hash of the part of the token before |, the same for every token of that user", () => {
    const { netatmoUserKey } = require('../../../dist/core/api/rate-budget');
    const { createHash } = require('node:crypto');
    const user = '5c810f1e4a1b2c3d4e5f6a7b';
    const key = netatmoUserKey(`${user}|0123456789abcdef0123456789abcdef`);
    assert.equal(key, createHash('sha256').update(user).digest('hex').slice(0, 32));
    assert.equal(netatmoUserKey(`${user}|ffffffffffffffffffffffffffffffff`), key);
    assert.notEqual(netatmoUserKey(`5c810f1e4a1b2c3d4e5f6a7c|0123456789abcdef0123456789abcdef`), key);
    assert.equal(netatmoUserKey(`${'a'.repeat(64)}|x`).length, 32, 'an id of 64 characters');
    for (const t of ['no-bar', '|starts-with-bar', `${'a'.repeat(65)}|x`, '']) assert.equal(netatmoUserKey(t), undefined, t);
  });
});

describe('rate budget: the queue of calls waiting for a turn', function () {
  this.timeout(HUNG_MS);
  const setUp = (limits = [{ limit: 1, windowMs: 1000 }], opts = {}) => {
    const env = { now: 0, timers: manualTimers() };
    env.budget = new RateBudget({ limits, margin: 0, clock: () => env.now, timers: env.timers, ...opts });
    return env;
  };
  const settled = () => new Promise(setImmediate);
  const timerMs = (env) => [...env.timers.pending.values()].map((t) => t.ms).sort((a, b) => a - b);
  const PAUSED = 'Netatmo asked this account to pause (rate limit) for longer than the message may wait';
  const BUDGET = "This account's request budget (Netatmo's per-user limits) has no turn within the time the message may wait";

  it('a turn at once: no wait told, no timer, the request counted', async () => {
    const env = setUp();
    let told = 0;
    const release = await env.budget.acquire(0, { onWait: () => told++ });
    assert.equal(told, 0);
    assert.equal(env.timers.pending.size, 0);
    assert.equal(env.budget.delay(), Infinity, 'in flight');
    release();
    assert.equal(env.budget.delay(), 1000);
  });

  it('calls wait first come first served, told once each, each let go when a turn frees', async () => {
    const env = setUp();
    (await env.budget.acquire(0))();
    const order = [];
    let told = 0;
    const calls = [1, 2, 3].map((i) => env.budget.acquire(60_000, { onWait: () => told++ }).then((r) => (order.push(i), r)));
    assert.equal(env.budget.waiting, 3);
    assert.equal(told, 3);
    env.now = 1000;
    env.timers.fireUpTo(1000);
    const first = await calls[0];
    await settled();
    assert.deepEqual(order, [1]);
    assert.equal(env.budget.waiting, 2);
    assert.deepEqual(timerMs(env), [60_000, 60_000], 'no turn timer while the first is in flight');
    first();
    assert.deepEqual(timerMs(env), [1000, 60_000, 60_000], 'the answer sets the next turn');
    env.now = 2000;
    env.timers.fireUpTo(1000);
    (await calls[1])();
    env.now = 3000;
    env.timers.fireUpTo(1000);
    (await calls[2])();
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(env.budget.waiting, 0);
    assert.deepEqual(timerMs(env), [], 'deadlines cleared, and no turn timer for nobody');
  });

  it('a new call queues behind those waiting, even when the clock says a turn is free', async () => {
    const env = setUp();
    (await env.budget.acquire(0))();
    let a;
    let b;
    env.budget.acquire(60_000).then((r) => (a = r));
    env.now = 1000; // the turn timer has not fired yet
    env.budget.acquire(60_000).then((r) => (b = r));
    await settled();
    assert.equal(typeof a, 'function', 'the first in line got the turn');
    assert.equal(b, undefined);
    assert.equal(env.budget.waiting, 1);
  });

  it('refused at once when the pause or the queue already outlasts the wait; equal is still worth waiting', async () => {
    const env = setUp();
    (await env.budget.acquire(0))();
    // One answered request: the next turn in 1000 ms.
    await assert.rejects(env.budget.acquire(999), { code: 'RATE_LIMITED', reason: 'budget', message: BUDGET });
    env.budget.acquire(1000);
    env.budget.acquire(2000);
    assert.equal(env.budget.waiting, 2);
    // One counted and two waiting: the fourth request at most one a window, two windows from now.
    await assert.rejects(env.budget.acquire(1999), { code: 'RATE_LIMITED', reason: 'budget' });
    env.budget.acquire(2000);
    assert.equal(env.budget.waiting, 3);
    env.budget.pause(5000);
    await assert.rejects(env.budget.acquire(4999), { code: 'RATE_LIMITED', reason: 'paused', message: PAUSED });
    env.budget.acquire(5000);
    assert.equal(env.budget.waiting, 4);
  });

  it('the queue counts several a window: with 2 a window, six requests need two windows more', async () => {
    const env = setUp([{ limit: 2, windowMs: 1000 }]);
    (await env.budget.acquire(0))();
    (await env.budget.acquire(0))();
    for (let i = 0; i < 5; i++) env.budget.acquire(60_000);
    assert.equal(env.budget.waiting, 5);
    // Two counted, five waiting, this one: eight requests, two a window.
    await assert.rejects(env.budget.acquire(1999), { code: 'RATE_LIMITED', reason: 'budget' });
    env.budget.acquire(2000);
    assert.equal(env.budget.waiting, 6);
  });

  it('requests in flight count in the queue too, answers older than a window no more', async () => {
    const env = setUp();
    for (let i = 0; i < 3; i++) env.budget.take();
    // Three in flight, one a window: a fourth request, two windows after the first answers.
    await assert.rejects(env.budget.acquire(1999), { code: 'RATE_LIMITED', reason: 'budget' });
    const two = setUp([
      { limit: 1, windowMs: 1000 },
      { limit: 100, windowMs: 10_000 },
    ]);
    two.budget.take()();
    two.now = 1000; // a whole short window later: that answer is counted by the long window only
    two.budget.pause(100);
    two.budget.acquire(60_000);
    two.budget.acquire(60_000);
    assert.equal(two.budget.waiting, 2);
    // Two waiting and this one, one a window: its turn a window after the next.
    await assert.rejects(two.budget.acquire(999), { code: 'RATE_LIMITED', reason: 'budget' });
    two.budget.acquire(1000);
    assert.equal(two.budget.waiting, 3);
  });

  it('forgets answers older than the longest window as it counts turns, never a request in flight', () => {
    const env = setUp([
      { limit: 5, windowMs: 1000 },
      { limit: 50, windowMs: 5000 },
    ]);
    const inFlight = env.budget.take();
    env.budget.take()();
    env.now = 100;
    env.budget.take()();
    assert.equal(env.budget.remembered, 3);
    env.now = 5000;
    env.budget.delay();
    assert.equal(env.budget.remembered, 2, 'the answer of 0 is a whole long window old');
    env.now = 5099;
    env.budget.delay();
    assert.equal(env.budget.remembered, 2);
    env.now = 5100;
    env.budget.delay();
    assert.equal(env.budget.remembered, 1, 'only the request in flight');
    env.now = 1e9;
    env.budget.delay();
    assert.equal(env.budget.remembered, 1);
    inFlight();
  });

  it('a request in flight gives no date for the next turn: the call waits rather than being refused', async () => {
    const env = setUp();
    await env.budget.acquire(0);
    let told = 0;
    env.budget.acquire(10, { onWait: () => told++ });
    assert.equal(env.budget.waiting, 1);
    assert.equal(told, 1);
    assert.deepEqual(timerMs(env), [10], 'only its deadline');
  });

  it('a wait past its deadline fails RATE_LIMITED, paused or budget as the budget stands then, and leaves the queue', async () => {
    const env = setUp();
    (await env.budget.acquire(0))();
    const waiting = env.budget.acquire(1500);
    const deadline = [...env.timers.pending].find(([, t]) => t.ms === 1500);
    env.timers.pending.delete(deadline[0]);
    deadline[1].fn();
    await assert.rejects(waiting, { code: 'RATE_LIMITED', reason: 'budget', message: BUDGET });
    assert.equal(env.budget.waiting, 0);
    assert.equal(env.timers.pending.size, 0, 'nobody waits: no turn timer');
    env.budget.pause(1000);
    const paused = env.budget.acquire(1500);
    const [id, t] = [...env.timers.pending].find(([, x]) => x.ms === 1500);
    env.timers.pending.delete(id);
    t.fn();
    await assert.rejects(paused, { code: 'RATE_LIMITED', reason: 'paused' });
  });

  it('a stop ends the wait at once and takes the call out of the queue; a stopped signal does not queue', async () => {
    const env = setUp();
    (await env.budget.acquire(0))();
    const stop = new AbortController();
    const waiting = env.budget.acquire(60_000, { signal: stop.signal });
    assert.equal(env.budget.waiting, 1);
    stop.abort();
    await assert.rejects(waiting, { code: 'TIMEOUT', reason: 'stopped' });
    assert.equal(env.budget.waiting, 0);
    assert.equal(env.timers.pending.size, 0);
    let told = 0;
    await assert.rejects(env.budget.acquire(60_000, { signal: stop.signal, onWait: () => told++ }), { code: 'TIMEOUT', reason: 'stopped' });
    assert.equal(told, 0);
    assert.equal(env.budget.waiting, 0);
    assert.equal(env.timers.pending.size, 0);
  });

  it('a call let go no longer listens to its stop signal', async () => {
    const { getEventListeners } = require('node:events');
    const env = setUp();
    (await env.budget.acquire(0))();
    const stop = new AbortController();
    const waiting = env.budget.acquire(60_000, { signal: stop.signal });
    assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
    env.now = 1000;
    env.timers.fireUpTo(1000);
    const release = await waiting;
    assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
    const late = new AbortController();
    const timedOut = env.budget.acquire(5000, { signal: late.signal });
    env.timers.fireUpTo(5000);
    await assert.rejects(timedOut, { code: 'RATE_LIMITED' });
    assert.equal(getEventListeners(late.signal, 'abort').length, 0, 'nor one whose wait ended');
    stop.abort();
    release();
    assert.equal(env.budget.waiting, 0);
    assert.equal(env.budget.delay(), 1000);
  });

  it('a pause pushes the next turn out; a turn further than timers can wait is slept on in steps', async () => {
    const env = setUp();
    (await env.budget.acquire(0))();
    env.budget.acquire(60_000);
    assert.deepEqual(timerMs(env), [1000, 60_000]);
    env.budget.pause(30_000);
    assert.deepEqual(timerMs(env), [30_000, 60_000]);
    const far = setUp([{ limit: 1, windowMs: 2 ** 32 }]);
    (await far.budget.acquire(0))();
    far.budget.acquire(2 ** 33);
    assert.deepEqual(timerMs(far), [2 ** 31 - 1, 2 ** 33]);
  });
});
