'use strict';
/**
 * One call to Netatmo's device API (src/core/api/client.ts) without Node-RED, its first step: what a
 * message may ask (prepareCall, payloadParams), and the client's settings. Pure and fast, so it runs early
 * in the mutation run (the module's limits and patterns are static mutants). The request sent and the
 * story of a call: client-http.test.js.
 */
const assert = require('node:assert/strict');

const client = require('../../../dist/core/api/client');
const { NetatmoError } = require('../../../dist/core/shared/errors');

/**
 * A wait that never ends fails the test within 2 s: Stryker turns mocha's timeout off, and a mutant that
 * keeps a wait from ending would cost its own timeout (3 s and a new test runner) instead.
 */
const HUNG_MS = 2000;

const { ApiClient, prepareCall, payloadParams } = client;
const { HOME_READ } = require('../../helpers/netatmo-scopes');

/** What an error says, field by field. */
function fields(e) {
  assert.ok(e instanceof NetatmoError, String(e && e.stack));
  return { code: e.code, message: e.message, reason: e.reason, params: e.params };
}
function refusal(fn) {
  try {
    fn();
  } catch (e) {
    return fields(e);
  }
  assert.fail('did not throw');
}
const invalid = (message, reason, params) => ({ code: 'INVALID_INPUT', message, reason, params });

describe('api client: the parameters a message carries (payloadParams)', function () {
  this.timeout(HUNG_MS);
  it('nothing: undefined, null, an empty or blank text', () => {
    for (const v of [undefined, null, '', '  \n']) assert.equal(payloadParams(v), undefined, JSON.stringify(v));
  });

  it('an object as it is, a text holding a JSON object parsed', () => {
    const own = { home_id: 'h' };
    assert.equal(payloadParams(own), own);
    assert.deepEqual(payloadParams(' {"home_id": "h", "size": 2} '), { home_id: 'h', size: 2 });
  });

  it('anything else is refused, naming its kind', () => {
    const said = (kind) =>
      invalid(`msg.payload must be an object of parameters, such as {"home_id": "..."} (got ${kind})`, 'payload-not-object', { kind });
    assert.deepEqual(
      refusal(() => payloadParams([1])),
      said('array'),
    );
    assert.deepEqual(
      refusal(() => payloadParams('[1]')),
      said('text'),
    );
    assert.deepEqual(
      refusal(() => payloadParams('home_id=h')),
      said('text'),
    );
    assert.deepEqual(
      refusal(() => payloadParams('"x"')),
      said('text'),
    );
    assert.deepEqual(
      refusal(() => payloadParams(1765000000000)),
      said('number'),
    );
    assert.deepEqual(
      refusal(() => payloadParams(false)),
      said('boolean'),
    );
    assert.deepEqual(
      refusal(() => payloadParams(new Date(0))),
      said('object'),
    );
  });
});

describe('api client: a message checked and encoded before any request (prepareCall)', function () {
  this.timeout(HUNG_MS);
  it('no endpoint: nothing, not a text, or blank', () => {
    const none = invalid('No endpoint: pick one in the node, or set msg.endpoint (e.g. "homestatus")', 'no-endpoint', undefined);
    for (const v of [undefined, 5, '', '  '])
      assert.deepEqual(
        refusal(() => prepareCall(v, 'auto')),
        none,
        String(v),
      );
  });

  it('a catalogue name, trimmed, takes its method, encoding, path and scopes from the catalogue', () => {
    assert.deepEqual(prepareCall(' homestatus ', 'auto', { home_id: 'h' }), {
      endpoint: 'homestatus',
      path: '/api/homestatus',
      method: 'GET',
      encoding: 'query',
      params: { home_id: 'h' },
      scopes: HOME_READ,
      write: false,
    });
    assert.deepEqual(prepareCall('setroomthermpoint', 'auto', { home_id: 'h', room_id: 'r', mode: 'home' }), {
      endpoint: 'setroomthermpoint',
      path: '/api/setroomthermpoint',
      method: 'POST',
      encoding: 'form',
      params: { home_id: 'h', room_id: 'r', mode: 'home' },
      scopes: ['write_thermostat'],
      write: true,
    });
  });

  it('a path of ours: /api/ and one to four names of letters, digits, - and _ (64 at most)', () => {
    const long = `/api/${'x'.repeat(64)}`;
    for (const path of ['/api/a-b_C9', '/api/a/b/c/d', long, `/api/a/${'b'.repeat(64)}`]) {
      assert.deepEqual(prepareCall(path, 'auto'), {
        endpoint: path,
        path,
        method: 'GET',
        encoding: 'query',
        params: {},
        scopes: [],
        write: false,
      });
    }
    const post = prepareCall('/api/newthing', 'POST', { a: 1 });
    assert.deepEqual([post.method, post.encoding, post.write, post.params], ['POST', 'form', true, { a: '1' }]);
  });

  it('any other endpoint is unknown, named (64 characters at most) in the refusal', () => {
    const unknown = (shown) =>
      invalid(`Unknown endpoint "${shown}": use a name such as homestatus, or a path such as /api/homestatus`, 'unknown-endpoint', {
        endpoint: shown,
      });
    for (const name of [
      'nope',
      `/api/${'x'.repeat(65)}`,
      '/api/a/b/c/d/e',
      `/api/a/${'b'.repeat(65)}`,
      '/api/a.b',
      '/api/',
      '/api/a/',
      'api/a',
      'x/api/a',
      '/api/a?b=1',
      '/API/a',
      '/api/../x',
      'https://evil.example/api/x',
    ]) {
      assert.deepEqual(
        refusal(() => prepareCall(name, 'auto')),
        unknown(name.slice(0, 64)),
        name,
      );
    }
    assert.deepEqual(
      refusal(() => prepareCall('n'.repeat(100), 'auto')),
      unknown('n'.repeat(64)),
    );
  });

  it('parameter sets merge in order (the last wins); nothing and empty texts are skipped; anything else refused', () => {
    const call = prepareCall('homestatus', 'auto', { home_id: 'a', device_types: 'NAPlug' }, undefined, null, '', { home_id: 'b' });
    assert.deepEqual(call.params, { home_id: 'b', device_types: 'NAPlug' });
    const notObject = invalid('Parameters must be an object, such as {"home_id": "..."}', 'params-not-object', undefined);
    for (const set of [[1], 'home_id=h', 0, false, new Date(0)]) {
      assert.deepEqual(
        refusal(() => prepareCall('homesdata', 'auto', set)),
        notObject,
        String(set),
      );
    }
  });

  it('the plumbing of objects is no parameter name, even as an own key from JSON', () => {
    for (const k of ['__proto__', 'constructor', 'prototype']) {
      const set = JSON.parse(`{"${k}": {"home_id": "h"}}`);
      assert.deepEqual(
        refusal(() => prepareCall('homestatus', 'auto', set)),
        invalid(`"${k}" is not a parameter name`, 'param-name', { name: k }),
      );
    }
  });

  it('at most 64 parameters', () => {
    const set = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));
    assert.equal(Object.keys(prepareCall('/api/x', 'auto', set(64)).params).length, 64);
    assert.deepEqual(
      refusal(() => prepareCall('/api/x', 'auto', set(65))),
      invalid('Too many parameters (65, at most 64)', 'too-many-params', { count: 65, max: 64 }),
    );
  });

  it('a parameter name: a letter or _, then letters, digits or _, 64 at most; never access_token', () => {
    const ok = prepareCall('/api/x', 'auto', { ['a'.repeat(64)]: 1, _x: 2, Z9_: 3 });
    assert.deepEqual(Object.keys(ok.params), ['a'.repeat(64), '_x', 'Z9_']);
    for (const [name, shown] of [
      ['a'.repeat(65), 'a'.repeat(64)],
      ['1a', '1a'],
      ['a-b', 'a-b'],
      ['a b', 'a b'],
      ['', ''],
      ['é', 'é'],
      ['a\n', 'a\n'],
    ]) {
      assert.deepEqual(
        refusal(() => prepareCall('/api/x', 'auto', { [name]: 1 })),
        invalid(`"${shown}" is not a parameter name`, 'param-name', { name: shown }),
        JSON.stringify(name),
      );
    }
    for (const name of ['access_token', 'ACCESS_Token']) {
      assert.deepEqual(
        refusal(() => prepareCall('homesdata', 'auto', { [name]: 'x' })),
        invalid('access_token is not a parameter: the token comes from the account', 'access-token-param', undefined),
      );
    }
  });

  it("the method: the catalogue's unless forced; GET sends a query, POST a form, JSON endpoints a JSON body", () => {
    const how = (endpoint, method, params) => {
      const c = prepareCall(endpoint, method, params);
      return [c.method, c.encoding, c.write];
    };
    const setpoint = { home_id: 'h', room_id: 'r', mode: 'max' };
    assert.deepEqual(how('homesdata', 'auto'), ['GET', 'query', false]);
    assert.deepEqual(how('homesdata', 'POST'), ['POST', 'form', false]);
    assert.deepEqual(how('homesdata', 'PUT'), ['GET', 'query', false], 'an unknown setting is auto');
    assert.deepEqual(how('setroomthermpoint', 'auto', setpoint), ['POST', 'form', true]);
    assert.deepEqual(how('setroomthermpoint', 'GET', setpoint), ['GET', 'query', true]);
    assert.deepEqual(how('setstate', 'auto', { home: { id: 'h' } }), ['POST', 'json', true]);
    assert.deepEqual(how('setstate', 'POST', { home: { id: 'h' } }), ['POST', 'json', true]);
    assert.deepEqual(how('/api/x', 'auto'), ['GET', 'query', false]);
    assert.deepEqual(how('/api/x', 'GET'), ['GET', 'query', false]);
    assert.deepEqual(
      refusal(() => prepareCall('setstate', 'GET', { home: { id: 'h' } })),
      invalid('setstate takes a JSON body: use method POST (or auto)', 'json-body', { endpoint: 'setstate' }),
    );
  });

  it('the parameters an endpoint needs: missing when absent, undefined, null or empty; 0 and false are values', () => {
    const needs = invalid('getmeasure needs device_id, scale, type', 'param-required', {
      endpoint: 'getmeasure',
      missing: 'device_id, scale, type',
    });
    assert.deepEqual(
      refusal(() => prepareCall('getmeasure', 'auto')),
      needs,
    );
    assert.deepEqual(
      refusal(() => prepareCall('getmeasure', 'auto', { device_id: null, scale: '', type: undefined })),
      needs,
    );
    assert.deepEqual(
      refusal(() => prepareCall('getmeasure', 'auto', { device_id: 'd', type: 'T' })),
      invalid('getmeasure needs scale', 'param-required', { endpoint: 'getmeasure', missing: 'scale' }),
    );
    assert.deepEqual(prepareCall('getmeasure', 'auto', { device_id: 0, scale: 'max', type: false }).params, {
      device_id: '0',
      scale: 'max',
      type: 'false',
    });
  });

  it('a parameter of few values takes only those (a list of one is read as its text)', () => {
    assert.deepEqual(
      refusal(() => prepareCall('getmeasure', 'auto', { device_id: 'd', scale: '2hours', type: 'T' })),
      invalid('getmeasure: scale must be one of max, 30min, 1hour, 3hours, 1day, 1week, 1month', 'param-value', {
        endpoint: 'getmeasure',
        name: 'scale',
        values: 'max, 30min, 1hour, 3hours, 1day, 1week, 1month',
      }),
    );
    const mode = prepareCall('setroomthermpoint', 'auto', { home_id: 'h', room_id: 'r', mode: ['max'] });
    assert.equal(mode.params.mode, 'max');
    assert.equal(refusal(() => prepareCall('setthermmode', 'auto', { home_id: 'h', mode: 'off' })).reason, 'param-value');
  });

  it('query and form values: texts, finite numbers, booleans, lists of texts and numbers (comma separated)', () => {
    const c = prepareCall('/api/x', 'POST', { s: 't', n: 19.5, z: -0, t: true, f: false, l: ['a', 2], e: [] });
    assert.deepEqual(c.params, { s: 't', n: '19.5', z: '0', t: 'true', f: 'false', l: 'a,2', e: '' });
    for (const v of [NaN, Infinity, null, { a: 1 }, [true], [NaN], [['a']], [null]]) {
      assert.deepEqual(
        refusal(() => prepareCall('/api/x', 'auto', { x: v })),
        invalid('Parameter x must be a text, a number, a boolean or a list of them', 'param-type', { name: 'x' }),
        JSON.stringify(v),
      );
    }
  });

  it('a JSON body keeps its parameters whole', () => {
    const home = { id: 'h', modules: [{ id: 'v', target_position: 10, on: null }] };
    assert.deepEqual(prepareCall('setstate', 'auto', { home }).params, { home });
  });

  it('at most 256 KB of parameters, as encoded (query, form or JSON bytes)', () => {
    const tooBig = invalid('The parameters are too big (more than 256 KB)', 'too-big', { kb: 256 });
    assert.equal(prepareCall('homesdata', 'auto', { x: 'a'.repeat(262142) }).params.x.length, 262142, 'x= and 262142: 256 KB');
    assert.deepEqual(
      refusal(() => prepareCall('homesdata', 'auto', { x: 'a'.repeat(262143) })),
      tooBig,
    );
    assert.deepEqual(
      refusal(() => prepareCall('homesdata', 'POST', { x: 'é'.repeat(50000) })),
      tooBig,
      'a form counts its encoded bytes',
    );
    // {"home":"é...é"}: 11 bytes and 2 a character.
    assert.equal(prepareCall('setstate', 'auto', { home: 'é'.repeat(131066) }).encoding, 'json');
    assert.deepEqual(
      refusal(() => prepareCall('setstate', 'auto', { home: 'é'.repeat(131067) })),
      tooBig,
    );
  });
});

describe('api client: its settings', function () {
  this.timeout(HUNG_MS);
  it('the API base without trailing slashes, Netatmo by default; answers capped at 16 MB, 32 MB for all together', () => {
    assert.equal(new ApiClient({ apiBase: 'http://127.0.0.1:1//' }).apiBase, 'http://127.0.0.1:1');
    assert.equal(new ApiClient().apiBase, 'https://api.netatmo.com');
    assert.equal(new ApiClient({ apiBase: '' }).apiBase, 'https://api.netatmo.com');
    assert.deepEqual(new ApiClient().caps, { answerBytes: 16 * 1024 * 1024, inFlightBytes: 32 * 1024 * 1024 });
    assert.equal(client.MAX_API_ANSWER_BYTES, 16777216);
    assert.equal(client.MAX_IN_FLIGHT_BYTES, 33554432);
  });
});
