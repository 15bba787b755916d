'use strict';
/** src/core/shared/errors.ts value by value: the fields of an error, asNetatmoError, scrubError at any depth. */
const assert = require('node:assert/strict');

const { NetatmoError, asNetatmoError, scrubError } = require('../../../dist/core/shared/errors');

const scrub = (s) => s.replaceAll('tok', '***');
const fields = (e) => ({
  name: e.name,
  code: e.code,
  message: e.message,
  oauthError: e.oauthError,
  status: e.status,
  retryAfterMs: e.retryAfterMs,
  uncertain: e.uncertain,
  reason: e.reason,
  params: e.params,
  cause: e.cause,
});

describe('errors, exactly', () => {
  it('an error carries each detail given, and only those', () => {
    const e = new NetatmoError('RATE_LIMITED', 'API limit', {
      oauthError: 'o',
      status: 429,
      retryAfterMs: 5000,
      uncertain: true,
      apiError: { code: 26, message: 'User usage reached' },
      reason: 'r',
      params: { seconds: 5 },
    });
    assert.deepEqual(fields(e), {
      name: 'NetatmoError',
      code: 'RATE_LIMITED',
      message: 'API limit',
      oauthError: 'o',
      status: 429,
      retryAfterMs: 5000,
      uncertain: true,
      reason: 'r',
      params: { seconds: 5 },
      cause: { code: 26, message: 'User usage reached' },
    });
    assert.equal(e.retryable, true);
    assert.deepEqual(JSON.parse(JSON.stringify(e)), { code: 'RATE_LIMITED', message: 'API limit', oauthError: 'o' });
    const bare = new NetatmoError('API_ERROR', 'm', { uncertain: 1 });
    assert.deepEqual(fields(bare), {
      name: 'NetatmoError',
      code: 'API_ERROR',
      message: 'm',
      oauthError: undefined,
      status: undefined,
      retryAfterMs: undefined,
      uncertain: false,
      reason: undefined,
      params: undefined,
      cause: undefined,
    });
    assert.equal('cause' in bare, false);
    assert.equal(bare.retryable, false);
  });

  it('asNetatmoError: a system code is named (40 characters at most), a bug is INTERNAL named by its class', () => {
    const same = new NetatmoError('SERVER', 'x');
    assert.equal(asNetatmoError(same), same);
    const sys = asNetatmoError(Object.assign(new Error('secret path'), { code: 'EACCES' }), 'NETWORK');
    assert.deepEqual(fields(sys), {
      ...fields(new NetatmoError('NETWORK', 'Unexpected failure (EACCES)')),
      reason: 'unexpected-detail',
      params: { detail: 'EACCES' },
    });
    assert.equal(asNetatmoError({ code: 'E'.repeat(50) }).message, `Unexpected failure (${'E'.repeat(40)})`);
    assert.equal(asNetatmoError({ code: 'X' }).code, 'STORE', 'the default fallback');
    const bug = asNetatmoError(new TypeError('quotes a token'));
    assert.deepEqual(
      [bug.code, bug.message, bug.params, bug.reason],
      ['INTERNAL', 'Internal error (TypeError)', { name: 'TypeError' }, undefined],
    );
    for (const [name, shown] of [
      ['RangeError', 'RangeError'],
      ['xTypeError', 'Error'],
      ['Type Error', 'Error'],
      ['TypeError!', 'Error'],
      ['', 'Error'],
      [`A${'b'.repeat(40)}`, `A${'b'.repeat(40)}`],
      [`A${'b'.repeat(41)}`, 'Error'],
    ]) {
      const err = new Error('m');
      err.name = name;
      assert.equal(asNetatmoError(err).params.name, shown, name);
    }
    for (const thrown of [undefined, null, 'text', 42, { code: 5 }]) {
      const e = asNetatmoError(thrown, 'TIMEOUT');
      assert.deepEqual([e.code, e.message, e.reason, e.params], ['TIMEOUT', 'Unexpected failure', 'unexpected', undefined], String(thrown));
    }
  });

  it('scrubError: nothing to remove gives the same error back', () => {
    const e = new NetatmoError('API_ERROR', 'm', { oauthError: 'o', params: { a: 'b', n: 1 }, apiError: { code: 2, message: 'c' } });
    assert.equal(scrubError(e, scrub), e);
    const plain = new NetatmoError('SERVER', 'm');
    assert.equal(scrubError(plain, scrub), plain);
  });

  it('scrubError: a secret in any one text gives a new error, every other detail kept', () => {
    const details = {
      oauthError: 'invalid_grant',
      status: 400,
      retryAfterMs: 7,
      uncertain: true,
      apiError: { code: 21, message: 'm' },
      reason: 'why',
      params: { file: 'f', n: 3 },
    };
    const base = new NetatmoError('OAUTH_ERROR', 'message', details);
    const cases = [
      [{ message: 'a tok b' }, { message: 'a *** b' }],
      [{ oauthError: 'tok' }, { oauthError: '***' }],
      [{ params: { file: 'tok', n: 3 } }, { params: { file: '***', n: 3 } }],
      [{ apiError: { code: 21, message: 'tok' } }, { cause: { code: 21, message: '***' } }],
    ];
    for (const [given, scrubbed] of cases) {
      const e = new NetatmoError('OAUTH_ERROR', given.message ?? 'message', { ...details, ...given });
      const out = scrubError(e, scrub);
      assert.notEqual(out, e);
      assert.ok(out instanceof NetatmoError);
      assert.deepEqual(fields(out), { ...fields(base), ...scrubbed }, JSON.stringify(given));
      assert.equal(out.stack.includes('tok'), false);
    }
  });

  it('scrubError: the cause is scrubbed at any depth up to 8 levels, deeper is dropped; other values kept', () => {
    const deep = (n) => (n === 0 ? 'tok' : { v: deep(n - 1) });
    const deepList = (n) => (n === 0 ? 'tok' : [deepList(n - 1)]);
    const cause = {
      code: 3,
      message: 'tok',
      list: ['tok', 1, null, true, ['tok']],
      obj: { t: 'tok', u: undefined },
      d7: deep(7),
      d8: deep(8),
      l7: deepList(7),
      l8: deepList(8),
    };
    const e = new NetatmoError('API_ERROR', 'm', { apiError: cause });
    const out = scrubError(e, scrub);
    assert.deepEqual(out.cause, {
      code: 3,
      message: '***',
      list: ['***', 1, null, true, ['***']],
      obj: { t: '***', u: undefined },
      d7: { v: { v: { v: { v: { v: { v: { v: '***' } } } } } } },
      d8: { v: { v: { v: { v: { v: { v: { v: undefined } } } } } } },
      l7: [[[[[[['***']]]]]]],
      l8: [[[[[[[undefined]]]]]]],
    });
    assert.equal(e.cause.message, 'tok', 'the original is left as it was');
  });
});
