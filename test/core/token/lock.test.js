'use strict';
/**
 * withFileLock (src/core/lock.ts), exactly: the options it gives proper-lockfile, the error it
 * turns a refusal into, and the release. proper-lockfile's `lock` is replaced for each test by a
 * recorder (lock.ts reads it at each call); the real one is tested in core-details.test.js.
 */
const assert = require('node:assert/strict');
const lockfile = require('proper-lockfile');
const { withFileLock } = require('../../../dist/core/token/lock');

describe('core: withFileLock, what it asks of proper-lockfile', () => {
  const realLock = lockfile.lock;
  let calls;
  let released;
  /** `lock` answers with `outcome`: a release function, or a rejection. */
  function fakeLock(outcome = 'ok') {
    lockfile.lock = async (file, options) => {
      calls.push({ file, options });
      if (outcome !== 'ok') throw outcome;
      return async () => {
        released += 1;
        if (released > 1) throw new Error('released twice');
      };
    };
  }
  beforeEach(() => {
    calls = [];
    released = 0;
  });
  afterEach(() => {
    lockfile.lock = realLock;
  });

  const without = (options, ...keys) => Object.fromEntries(Object.entries(options).filter(([k]) => !keys.includes(k)));

  it('by default: stale after 10 s, kept fresh every 5 s, retried every 50 to 200 ms for 60 s', async () => {
    fakeLock();
    assert.equal(await withFileLock('/x/a.json', async () => 'value'), 'value');
    assert.equal(calls.length, 1);
    assert.equal(calls[0].file, '/x/a.json');
    assert.deepEqual(without(calls[0].options, 'onCompromised'), {
      realpath: false,
      stale: 10_000,
      update: 5000,
      retries: { retries: 300, factor: 1, minTimeout: 50, maxTimeout: 200, randomize: true },
    });
    assert.equal(calls[0].options.onCompromised(new Error('compromised')), undefined, 'a compromised lock throws nothing');
    assert.equal(released, 1);
  });

  it('staleMs and waitMs given: stale as given, refreshed at half of it (never under 1 s), retries to cover the wait', async () => {
    fakeLock();
    await withFileLock('/x/b.json', async () => undefined, { staleMs: 4000, waitMs: 1000 });
    await withFileLock('/x/b.json', async () => undefined, { staleMs: 1500, waitMs: 250 });
    await withFileLock('/x/b.json', async () => undefined, { staleMs: 3001 });
    assert.deepEqual(
      calls.map((c) => [c.options.stale, c.options.update, c.options.retries.retries]),
      [
        [4000, 2000, 5],
        [1500, 1000, 2],
        [3001, 1500, 300],
      ],
    );
  });

  it('a refusal becomes STORE "locked" naming the file and the reason; fn does not run', async () => {
    let ran = false;
    for (const [thrown, detail] of [
      [Object.assign(new Error('Lock file is already being held'), { code: 'ELOCKED' }), 'ELOCKED'],
      [new Error('no code'), 'error'],
    ]) {
      fakeLock(thrown);
      const e = await withFileLock('/x/c.json', async () => (ran = true)).then(
        () => assert.fail('resolved'),
        (err) => err,
      );
      assert.equal(e.name, 'NetatmoError');
      assert.deepEqual(
        [e.code, e.message, e.reason, e.params],
        ['STORE', `/x/c.json is locked by another process (${detail})`, 'locked', { file: '/x/c.json', detail }],
      );
    }
    assert.equal(ran, false);
    assert.equal(released, 0);
  });

  it('fn failing: its error comes out as it is, and the lock is released', async () => {
    fakeLock();
    const boom = new Error('boom');
    await assert.rejects(
      withFileLock('/x/d.json', async () => {
        assert.equal(released, 0, 'held while fn runs');
        throw boom;
      }),
      (err) => err === boom,
    );
    assert.equal(released, 1);
  });

  it('a release that fails (the lock was taken over) is not an error of fn', async () => {
    lockfile.lock = async () => async () => {
      throw Object.assign(new Error('not locked'), { code: 'ERELEASED' });
    };
    assert.equal(await withFileLock('/x/e.json', async () => 'kept'), 'kept');
  });
});
