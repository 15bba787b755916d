'use strict';
/** Checks of refused input (INVALID_INPUT errors of src/core/validate.ts and src/core/token/paste.ts). */
const assert = require('node:assert/strict');

/** The INVALID_INPUT error `fn` throws; its message must match `message`. */
function refuses(fn, message) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'expected a refusal');
  assert.equal(err.code, 'INVALID_INPUT', err.message);
  assert.match(err.message, message);
  return err;
}

/** [code, reason, params] of the error `fn` throws (the key of its translation and what fills it). */
function reasonOf(fn) {
  try {
    fn();
  } catch (e) {
    return [e.code, e.reason, e.params];
  }
  assert.fail('expected a refusal');
}

/** Each row [fn, reason, params?]: fn throws INVALID_INPUT with that reason (and those params). */
function refusalsAre(rows) {
  for (const [fn, reason, params] of rows) {
    const [code, got, gotParams] = reasonOf(fn);
    assert.equal(code, 'INVALID_INPUT', reason);
    assert.equal(got, reason);
    if (params) assert.deepEqual(gotParams, params, reason);
  }
}

module.exports = { refuses, refusalsAre };
