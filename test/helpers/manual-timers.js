'use strict';

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map();
  let seq = 0;
  return {
    setTimeout(fn, ms) {
      pending.set(++seq, { fn, ms });
      return seq;
    },
    clearTimeout(id) {
      pending.delete(id);
    },
    pending,
    /** Fires the timers set for at most `ms`, oldest first. */
    fireUpTo(ms) {
      for (const [id, t] of [...pending]) {
        if (t.ms > ms || !pending.has(id)) continue;
        pending.delete(id);
        t.fn();
      }
    },
    fireAll() {
      for (const [id, t] of [...pending]) {
        pending.delete(id);
        t.fn();
      }
    },
  };
}

module.exports = { manualTimers };
