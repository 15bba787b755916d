'use strict';
/**
 * The second half of an API call (src/core/api/answer.ts): Netatmo's answer turned into a result or a
 * typed error, as a plain function. The answers are the shapes Netatmo really sends (the simulator's SHAPES).
 */
const assert = require('node:assert/strict');
const vm = require('node:vm');

const { parseApiResponse, isPlainObject, isTokenRefused, isConcurrencyLimit } = require('../../../dist/core/api/answer');
const { NetatmoError } = require('../../../dist/core/shared/errors');
const { SHAPES } = require('../../simulator/simulator');

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const TOKEN = '0123456789abcdef01234567|0123456789abcdef0123456789abcdef';
/** Calls as prepareCall (client.ts) makes them; written out, so that nothing runs while the file loads. */
const callOf = (endpoint, scopes, write = false) => ({
  endpoint,
  path: endpoint.startsWith('/') ? endpoint : `/api/${endpoint}`,
  method: write ? 'POST' : 'GET',
  encoding: write ? 'form' : 'query',
  params: {},
  scopes,
  write,
});
const HOME_READ = ['read_station', 'read_thermostat', 'read_camera'];
const homestatus = callOf('homestatus', HOME_READ);
const setpoint = callOf('setroomthermpoint', ['write_thermostat'], true);
const measure = callOf('getmeasure', ['read_station', 'read_thermostat', 'read_homecoach']);

/** An answer as the HTTP plumbing hands it over: header names in lower case. */
const res = (status, body, headers = {}) => ({ status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
/** A SHAPES answer, its headers folded as the plumbing folds them. */
const shaped = (s) => ({
  status: s.status,
  headers: Object.fromEntries(Object.entries(s.headers || {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
  body: s.body,
});

function refusal(r, call = homestatus, granted = undefined, token = TOKEN) {
  try {
    parseApiResponse(r, call, token, NOW, granted);
  } catch (e) {
    assert.ok(e instanceof NetatmoError, String(e));
    return {
      code: e.code,
      message: e.message,
      status: e.status,
      reason: e.reason,
      params: e.params,
      cause: e.cause,
      retryAfterMs: e.retryAfterMs,
      uncertain: e.uncertain,
    };
  }
  assert.fail('did not throw');
}

describe('api answer: a plain object of any realm', () => {
  it('takes objects of this realm, of a sandbox, and without prototype', () => {
    assert.equal(isPlainObject({ a: 1 }), true);
    assert.equal(isPlainObject(Object.create(null)), true);
    assert.equal(isPlainObject(vm.runInNewContext('({ a: 1 })')), true);
    assert.equal(isPlainObject(JSON.parse('{"__proto__": {"x": 1}}')), true);
  });

  it('refuses nothing, primitives, arrays, Buffers, dates, maps, class instances and built-in namespaces', () => {
    class Thing {}
    for (const v of [undefined, null, 0, 'x', true, [], [1], Buffer.from('x'), new Date(0), new Map(), new Thing(), Math, JSON, () => 1]) {
      assert.equal(isPlainObject(v), false, String(v));
    }
    assert.equal(isPlainObject(vm.runInNewContext('[1]')), false, 'an array of a sandbox');
    assert.equal(isPlainObject(Object.create(Object.create(Object.create(null)))), false, 'three levels of prototype');
  });

  it('is not fooled by a tag that says Object on an array, a function or a date without prototype', () => {
    const array = Object.setPrototypeOf([], null);
    array[Symbol.toStringTag] = 'Object';
    const fn = Object.setPrototypeOf(() => 1, null);
    fn[Symbol.toStringTag] = 'Object';
    assert.equal(isPlainObject(array), false, 'an array');
    assert.equal(isPlainObject(fn), false, 'a function');
    assert.equal(isPlainObject(Object.setPrototypeOf(new Date(0), null)), false, 'a date without prototype');
    assert.equal(isPlainObject(Object.setPrototypeOf({ [Symbol.toStringTag]: 'Other' }, null)), false, 'another tag');
  });
});

describe('api answer: a refused token and the firewall', () => {
  const err = (code, apiCode, status = 403) =>
    new NetatmoError(code, 'm', { status, ...(apiCode === undefined ? {} : { apiError: { code: apiCode, message: '' } }) });

  it('a token is refused by API_ERROR with code 2 or 3 only', () => {
    assert.equal(isTokenRefused(err('API_ERROR', 2)), true);
    assert.equal(isTokenRefused(err('API_ERROR', 3)), true);
    for (const c of [1, 4, 13, 26]) assert.equal(isTokenRefused(err('API_ERROR', c)), false, `code ${c}`);
    assert.equal(isTokenRefused(err('API_ERROR', undefined)), false, 'no cause');
    assert.equal(isTokenRefused(err('RATE_LIMITED', 2)), false, 'another error code');
    assert.equal(isTokenRefused(err('SERVER', 3)), false, 'another error code');
  });

  it('the firewall is still importable from here: RATE_LIMITED, 429, code 11', () => {
    assert.equal(isConcurrencyLimit(err('RATE_LIMITED', 11, 429)), true);
    assert.equal(isConcurrencyLimit(err('RATE_LIMITED', 26, 429)), false);
  });
});

describe('api answer: the answers that mean later', () => {
  it('429 with code 26 and Retry-After: RATE_LIMITED for the seconds asked, with Netatmo text', () => {
    assert.deepEqual(refusal(shaped(SHAPES.rateLimit429({ 'Retry-After': '7' }))), {
      code: 'RATE_LIMITED',
      message:
        'Netatmo asks this account to slow down (HTTP 429, code 26: API limit exceeded. This could be your Application limit or User limit.)',
      status: 429,
      reason: 'api-code',
      params: { status: 429, code: 26, message: 'API limit exceeded. This could be your Application limit or User limit.' },
      cause: { code: 26, message: 'API limit exceeded. This could be your Application limit or User limit.' },
      retryAfterMs: 7000,
      uncertain: false,
    });
  });

  it('the older 403 with code 26, pretty-printed with CRLF: RATE_LIMITED without a wait named', () => {
    assert.deepEqual(refusal(shaped(SHAPES.rateLimit403())), {
      code: 'RATE_LIMITED',
      message: 'Netatmo asks this account to slow down (HTTP 403, code 26: User usage reached)',
      status: 403,
      reason: 'api-code',
      params: { status: 403, code: 26, message: 'User usage reached' },
      cause: { code: 26, message: 'User usage reached' },
      retryAfterMs: undefined,
      uncertain: false,
    });
  });

  it('a Retry-After given as an HTTP date counts from the clock handed in', () => {
    const at = new Date(NOW + 90_000).toUTCString();
    assert.equal(refusal(res(429, '', { 'retry-after': at })).retryAfterMs, 90_000);
  });

  it('the firewall (429, code 11) and a 429 without a code, even with an empty message', () => {
    const firewall = refusal(shaped(SHAPES.concurrency429()));
    assert.equal(
      firewall.message,
      'Netatmo asks this account to slow down (HTTP 429, code 11: Failed to enter concurrency limited section)',
    );
    assert.deepEqual(firewall.cause, { code: 11, message: 'Failed to enter concurrency limited section' });
    assert.deepEqual(refusal(res(429, 'busy')), {
      code: 'RATE_LIMITED',
      message: 'Netatmo asks this account to slow down (HTTP 429)',
      status: 429,
      reason: 'api-http',
      params: { status: 429 },
      cause: undefined,
      retryAfterMs: undefined,
      uncertain: false,
    });
    const bare = refusal(res(429, { error: { code: 26 } }));
    assert.equal(bare.message, 'Netatmo asks this account to slow down (HTTP 429, code 26)');
    assert.deepEqual(bare.params, { status: 429, code: 26, message: '' });
  });

  it("5xx: SERVER naming the status and endpoint, with Netatmo's error when it gave one", () => {
    assert.deepEqual(refusal(shaped(SHAPES.internal0())), {
      code: 'SERVER',
      message: 'Netatmo answered HTTP 500 to homestatus',
      status: 500,
      reason: 'api',
      params: { status: 500, endpoint: 'homestatus' },
      cause: { code: 0, message: 'Internal Server Error' },
      retryAfterMs: undefined,
      uncertain: false,
    });
    const gateway = refusal(res(502, '<html>bad gateway</html>'));
    assert.equal(gateway.code, 'SERVER');
    assert.equal(gateway.cause, undefined);
    assert.deepEqual(gateway.params, { status: 502, endpoint: 'homestatus' });
  });
});

describe("api answer: Netatmo's refusals", () => {
  it('code 13 from a login that lacks every scope the endpoint takes: SCOPE_MISSING naming them', () => {
    const e = refusal(res(403, { error: { code: 13, message: 'Application does not have the good scope rights' } }), setpoint, [
      'read_station',
    ]);
    assert.deepEqual(e, {
      code: 'SCOPE_MISSING',
      message:
        'The account lacks the scope setroomthermpoint needs (one of: write_thermostat): add it to the account, deploy, and authorize again',
      status: 403,
      reason: 'scopes',
      params: { endpoint: 'setroomthermpoint', scopes: 'write_thermostat' },
      cause: { code: 13, message: 'Application does not have the good scope rights' },
      retryAfterMs: undefined,
      uncertain: false,
    });
    const several = refusal(res(403, { error: { code: 13, message: 'x' } }), measure, []);
    assert.equal(several.params.scopes, 'read_station, read_thermostat, read_homecoach');
  });

  it('code 13 from a login that holds one of the scopes, or whose scopes are unknown, or for a path: API_ERROR', () => {
    const refused = shaped(SHAPES.setpointRefused());
    assert.deepEqual(refusal(refused, setpoint, ['read_station', 'write_thermostat']), {
      code: 'API_ERROR',
      message: "Netatmo refused setroomthermpoint (HTTP 403, code 13: Couldn't apply setpoint)",
      status: 403,
      reason: 'refused',
      params: { endpoint: 'setroomthermpoint', status: 403, code: 13, message: "Couldn't apply setpoint" },
      cause: { code: 13, message: "Couldn't apply setpoint" },
      retryAfterMs: undefined,
      uncertain: false,
    });
    assert.equal(refusal(refused, measure, ['read_homecoach']).code, 'API_ERROR', 'holds the last of three');
    assert.equal(refusal(refused, setpoint, undefined).code, 'API_ERROR', 'scopes unknown');
    assert.equal(refusal(refused, callOf('/api/somethingnew', []), []).code, 'API_ERROR', 'no scope known for a path');
    assert.equal(refusal(res(403, { error: { code: 12, message: 'x' } }), setpoint, []).code, 'API_ERROR', 'another code');
  });

  it('406 code 7 and 403 code 2: API_ERROR with the code and text; the code may come as digits', () => {
    assert.deepEqual(refusal(shaped(SHAPES.nothingToUpdate())).params, {
      endpoint: 'homestatus',
      status: 406,
      code: 7,
      message: 'Nothing to update',
    });
    const digits = refusal(res(403, { error: { code: '2', message: 'Invalid access token' } }));
    assert.deepEqual(digits.cause, { code: 2, message: 'Invalid access token' });
    assert.equal(digits.message, 'Netatmo refused homestatus (HTTP 403, code 2: Invalid access token)');
  });

  it("Netatmo's text loses the token sent, control characters, and anything past 200 characters", () => {
    const echoed = refusal(res(400, { error: { code: 21, message: `bad ${TOKEN} and ${TOKEN}` } }));
    assert.equal(echoed.cause.message, 'bad … and …');
    assert.ok(!echoed.message.includes(TOKEN));
    const short = refusal(res(400, { error: { code: 21, message: 'x abcdef abcde y' } }), homestatus, undefined, 'abcdef');
    assert.equal(short.cause.message, 'x … abcde y', 'a token of 6 characters is cut out');
    const tiny = refusal(res(400, { error: { code: 21, message: 'x abcde y' } }), homestatus, undefined, 'abcde');
    assert.equal(tiny.cause.message, 'x abcde y', 'shorter than 6: too common to cut out');
    const odd = refusal(res(400, { error: { code: 21, message: 'a\x00b\x1fc\x7fd~ é\u00a0\uffff' } }));
    assert.equal(odd.cause.message, 'a b c d~ é\u00a0\uffff');
    const long = refusal(res(400, { error: { code: 21, message: 'x'.repeat(250) } }));
    assert.equal(long.cause.message, 'x'.repeat(200));
    assert.equal(refusal(res(400, { error: { code: 21, message: 42 } })).cause.message, '', 'a message that is no text');
  });

  it('an error that is no {code, message}: a text, an array, a code that is not an integer: read as no API error', () => {
    for (const error of ['invalid_token', [2, 'x'], { code: 2.5, message: 'x' }, { code: 'two', message: 'x' }, { message: 'x' }]) {
      assert.deepEqual(
        refusal(res(403, { error })),
        {
          code: 'API_ERROR',
          message: 'Netatmo answered HTTP 403 to homestatus',
          status: 403,
          reason: 'http',
          params: { status: 403, endpoint: 'homestatus' },
          cause: undefined,
          retryAfterMs: undefined,
          uncertain: false,
        },
        JSON.stringify(error),
      );
    }
  });

  it('not JSON, or cut short: BAD_RESPONSE, uncertain; any other status without an error: API_ERROR', () => {
    assert.deepEqual(refusal(res(200, '{"body": {"home"')), {
      code: 'BAD_RESPONSE',
      message: "Netatmo's answer to homestatus (HTTP 200) was not JSON or was cut short",
      status: 200,
      reason: 'api-not-json',
      params: { endpoint: 'homestatus', status: 200 },
      cause: undefined,
      retryAfterMs: undefined,
      uncertain: true,
    });
    assert.equal(refusal(res(404, 'Not Found')).code, 'BAD_RESPONSE');
    assert.equal(refusal(res(404, '{}')).message, 'Netatmo answered HTTP 404 to homestatus');
    assert.equal(refusal(res(201, { status: 'ok', body: {} })).code, 'API_ERROR', 'only 200 is a success');
  });
});

describe('api answer: a success', () => {
  const parse = (r) => parseApiResponse(r, homestatus, TOKEN, NOW, ['read_station']);

  it("homestatus of a disconnected relay: the body as payload, Netatmo's per-module errors, status and time", () => {
    assert.deepEqual(parse(shaped(SHAPES.relayDisconnected('h1', 'g1'))), {
      statusCode: 200,
      payload: { home: { id: 'h1' }, errors: [{ code: 6, id: 'g1' }] },
      status: 'ok',
      time_server: 1700000000,
      errors: [{ code: 6, id: 'g1' }],
    });
  });

  it('an answer without body is the payload as a whole; time_exec only when Netatmo names it', () => {
    assert.deepEqual(parse(shaped(SHAPES.withoutBody())), {
      statusCode: 200,
      payload: { status: 'ok', time_exec: 0.012 },
      status: 'ok',
      time_server: undefined,
      time_exec: 0.012,
      errors: [],
    });
    const execOnly = parse(shaped(SHAPES.execOnly({ devices: [] })));
    assert.deepEqual(execOnly, {
      statusCode: 200,
      payload: { devices: [] },
      status: undefined,
      time_server: undefined,
      time_exec: 0.034,
      errors: [],
    });
    assert.equal(Object.hasOwn(parse(res(200, { body: {}, status: 'ok', time_server: 5 })), 'time_exec'), false);
  });

  it('a body that is a list (getmeasure optimized) has no per-module errors; nor has a body whose errors is no list', () => {
    const measure = parse(shaped(SHAPES.measureOptimized()));
    assert.deepEqual(measure.payload, [
      {
        beg_time: 1700000000,
        step_time: 1800,
        value: [
          [12.5, null],
          [null, 3],
          [11, 4],
        ],
      },
    ]);
    assert.deepEqual(measure.errors, []);
    assert.deepEqual(parse(res(200, { body: { errors: 'none' } })).errors, []);
    assert.deepEqual(parse(res(200, { body: { errors: { code: 6 } } })).errors, []);
  });

  it('a body of null is the payload; an answer that is a list or null is the payload whole', () => {
    assert.equal(parse(res(200, { body: null, status: 'ok' })).payload, null);
    assert.deepEqual(parse(res(200, [1, 2])), { statusCode: 200, payload: [1, 2], status: undefined, time_server: undefined, errors: [] });
    assert.equal(parse(res(200, 'null')).payload, null);
  });

  it('status and time_server are taken only with their types', () => {
    const odd = parse(res(200, { body: {}, status: 1, time_server: '5', time_exec: '0.1' }));
    assert.deepEqual(odd, { statusCode: 200, payload: {}, status: undefined, time_server: undefined, errors: [] });
  });

  it('an answer with nothing to say of a token, without the arguments beyond the call, still parses', () => {
    assert.deepEqual(parseApiResponse(res(200, { body: { a: 1 } }), homestatus).payload, { a: 1 });
    assert.throws(() => parseApiResponse(res(403, { error: { code: 13, message: 'm' } }), setpoint), { code: 'API_ERROR' });
  });
});
