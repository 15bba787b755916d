'use strict';
/** The one way the core waits (src/core/shared/timing.ts): on injectable timers, ended by a stop signal. */
const assert = require('node:assert/strict');

const { sleep } = require('../../../dist/core/shared/timing');
const { manualTimers } = require('../../helpers/manual-timers');

const settled = (p) => {
  const state = { done: false };
  p.then(
    () => (state.done = 'resolved'),
    (e) => (state.done = e),
  );
  return state;
};

describe('timing: sleep', () => {
  it('waits on the timers it is given, for the time it is asked', async () => {
    const timers = manualTimers();
    const state = settled(sleep(1234, { timers }));
    await new Promise(setImmediate);
    assert.equal(state.done, false, 'not before the timer fires');
    assert.deepEqual(
      [...timers.pending.values()].map((t) => t.ms),
      [1234],
    );
    timers.fireAll();
    await new Promise(setImmediate);
    assert.equal(state.done, 'resolved');
  });

  it('a stop signal ends the wait at once with TIMEOUT (reason stopped) and clears its timer', async () => {
    const timers = manualTimers();
    const stop = new AbortController();
    const state = settled(sleep(60_000, { timers, signal: stop.signal }));
    stop.abort();
    await new Promise(setImmediate);
    assert.equal(state.done.code, 'TIMEOUT');
    assert.equal(state.done.reason, 'stopped');
    assert.equal(timers.pending.size, 0, 'the timer is cleared');
  });

  it('a signal already stopped rejects without starting a timer', async () => {
    const timers = manualTimers();
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(sleep(10, { timers, signal: stop.signal }), { code: 'TIMEOUT', reason: 'stopped' });
    assert.equal(timers.pending.size, 0);
  });
});

describe('timing: sleep and stoppedError, exactly', () => {
  const { getEventListeners } = require('node:events');
  const { stoppedError } = require('../../../dist/core/shared/timing');

  it('a wait that ended leaves no listener on the signal; a later stop clears nothing and rejects nothing', async () => {
    const timers = manualTimers();
    const cleared = [];
    const counting = { ...timers, setTimeout: timers.setTimeout, clearTimeout: (id) => (cleared.push(id), timers.clearTimeout(id)) };
    const stop = new AbortController();
    const state = settled(sleep(10, { timers: counting, signal: stop.signal }));
    assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
    timers.fireAll();
    await Promise.resolve();
    assert.equal(state.done, 'resolved');
    assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
    stop.abort();
    assert.deepEqual(cleared, []);
  });

  it('a stop removes its own listener (once)', async () => {
    const stop = new AbortController();
    const state = settled(sleep(10, { timers: manualTimers(), signal: stop.signal }));
    stop.abort();
    await Promise.resolve();
    assert.equal(state.done.code, 'TIMEOUT');
    assert.equal(getEventListeners(stop.signal, 'abort').length, 0);
  });

  it('stoppedError: TIMEOUT, reason stopped, its English text', () => {
    const e = stoppedError();
    assert.deepEqual(
      [e.code, e.reason, e.message],
      ['TIMEOUT', 'stopped', 'The node was stopped (redeploy or shutdown) while the message waited'],
    );
  });
});
