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
