'use strict';
/**
 * A token store in memory for the core's exact unit tests (refresher, manager): reads answer from a
 * list in turn (a value, an Error to throw, or `{ throws: anything }`; the last one again after), writes are recorded (the
 * next `failWrites` of them fail with STORE), and every call is counted.
 */
const assert = require('node:assert/strict');
const { NetatmoError } = require('../../dist/core/shared/errors');

function fakeTokenStore(reads, { accountId = 'acc1' } = {}) {
  const s = {
    reads: [...reads],
    /** How many reads were asked for. */
    readCount: 0,
    writes: [],
    locks: 0,
    removed: 0,
    failWrites: 0,
    /** Set to an Error: withLock rejects with it, without running its function. */
    lockError: undefined,
    async read(id) {
      assert.equal(id, accountId);
      s.readCount += 1;
      const next = s.reads.length > 1 ? s.reads.shift() : s.reads[0];
      if (next instanceof Error) throw next;
      if (next && Object.hasOwn(next, 'throws')) throw next.throws;
      return next === null || next === undefined ? null : structuredClone(next);
    },
    async write(id, account) {
      assert.equal(id, accountId);
      if (s.failWrites > 0) {
        s.failWrites -= 1;
        throw new NetatmoError('STORE', 'Cannot write', { params: { detail: 'EACCES' } });
      }
      s.writes.push(structuredClone(account));
    },
    async remove(id) {
      assert.equal(id, accountId);
      s.removed += 1;
    },
    async withLock(id, fn) {
      assert.equal(id, accountId);
      if (s.lockError) throw s.lockError;
      s.locks += 1;
      return fn();
    },
    async keepAside() {
      return undefined;
    },
    file: (id) => `/tokens/${id}.json`,
  };
  return s;
}

module.exports = { fakeTokenStore };
