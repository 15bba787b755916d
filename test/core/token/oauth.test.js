'use strict';
/**
 * OAuthClient's request and its error mapping (src/core/token/oauth.ts, src/core/shared/http.ts), exactly: the form and headers a
 * token request carries (seen by a bare HTTP server), every transport failure as transportError maps
 * it, and the reason and parameters (the translation keys) of each refusal parseTokenResponse makes.
 */
const assert = require('node:assert/strict');
const http = require('node:http');
const {
  MAX_TOKEN_ANSWER_BYTES: MAX_ANSWER_BYTES,
  DEFAULT_TIMEOUT_MS,
  OAuthClient,
  parseTokenResponse,
} = require('../../../dist/core/token/oauth');
const { transportError: mapTransport } = require('../../../dist/core/shared/http');
/** The shared transport mapping as the token client calls it (its 64 KiB answer cap). */
const transportError = (err, apiBase, timeoutMs) => mapTransport(err, { apiBase, timeoutMs, maxAnswerBytes: MAX_ANSWER_BYTES });

const NOW = 1_700_000_000_000;
const res = (status, body, headers = {}) => ({ status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const errorOf = (fn) => {
  try {
    const p = fn();
    if (p && typeof p.then === 'function')
      return p.then(
        () => assert.fail('resolved'),
        (e) => e,
      );
  } catch (e) {
    return e;
  }
  return assert.fail('returned');
};
const OK = { access_token: 'at|1', refresh_token: 'rt|1', scope: ['read_station'], expires_in: 10800 };

describe('core: OAuthClient, the request it sends', () => {
  let server;
  let base;
  let seen;
  let answer;
  before(async () => {
    server = http.createServer((req, resp) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        const a = answer();
        resp.writeHead(a.status, a.headers);
        resp.end(a.body);
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    seen = [];
    answer = () => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(OK) });
  });
  const client = (opts = {}) => new OAuthClient({ clientId: 'cid', clientSecret: 'csecret-42', apiBase: base, clock: () => NOW, ...opts });

  it('a refresh: one form POST to /oauth2/token with the grant, the client and its secret, and its headers', async () => {
    assert.deepEqual(await client().refresh('rt|old'), {
      access_token: 'at|1',
      refresh_token: 'rt|1',
      scope: ['read_station'],
      expires_at: NOW + 10_800_000,
      obtained_at: NOW,
    });
    assert.equal(seen.length, 1);
    const [r] = seen;
    assert.deepEqual([r.method, r.url], ['POST', '/oauth2/token']);
    assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.equal(r.headers.accept, 'application/json');
    assert.equal(r.body, 'grant_type=refresh_token&refresh_token=rt%7Cold&client_id=cid&client_secret=csecret-42');
  });

  it('a code exchange: the code, the redirect URI and the scope', async () => {
    await client().exchangeCode('c0de', 'http://x/cb/', 'read_station read_thermostat');
    assert.equal(
      seen[0].body,
      'grant_type=authorization_code&code=c0de&redirect_uri=http%3A%2F%2Fx%2Fcb%2F&scope=read_station+read_thermostat&client_id=cid&client_secret=csecret-42',
    );
  });

  it('the answer is read as text, whatever its type says, with its headers for the parser', async () => {
    answer = () => ({ status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '7' }, body: '{"error":{"code":26}}' });
    const e = await errorOf(() => client().refresh('rt|x'));
    assert.deepEqual([e.code, e.retryAfterMs, e.status], ['RATE_LIMITED', 7000, 429]);
    answer = () => ({ status: 400, headers: { 'Content-Type': 'application/json' }, body: '{"error":"invalid_grant"}' });
    assert.equal((await errorOf(() => client().refresh('rt|x'))).code, 'INVALID_GRANT');
  });

  it('a redirect is not followed: the 302 itself is the answer', async () => {
    answer = () => ({ status: 302, headers: { Location: `${base}/elsewhere` }, body: '' });
    const e = await errorOf(() => client().refresh('rt|x'));
    assert.deepEqual([e.code, e.reason, e.status], ['BAD_RESPONSE', 'not-json', 302]);
    assert.equal(seen.length, 1);
  });

  it('an answer over 64 KiB: BAD_RESPONSE "too-large", uncertain', async () => {
    assert.equal(MAX_ANSWER_BYTES, 65536);
    answer = () => ({
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...OK, pad: 'x'.repeat(MAX_ANSWER_BYTES) }),
    });
    const e = await errorOf(() => client().refresh('rt|x'));
    const host = new URL(base).host;
    assert.deepEqual(
      [e.code, e.message, e.uncertain, e.reason, e.params],
      ['BAD_RESPONSE', `The answer of ${host} is larger than 64 KiB: is the API base URL right?`, true, 'too-large', { host, kib: 64 }],
    );
  });

  it('the default timeout is 15 s', () => {
    assert.equal(DEFAULT_TIMEOUT_MS, 15_000);
  });
});

describe('core: transportError, exactly', () => {
  const BASE = 'https://h.example:8443/path';
  const HOST = 'h.example:8443';

  it('timeouts (four codes): TIMEOUT naming the host and the seconds, uncertain', () => {
    for (const code of ['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED', 'ABORT_ERR']) {
      const e = transportError({ code }, BASE, 2500);
      assert.deepEqual(
        [e.code, e.message, e.uncertain, e.params, e.reason],
        ['TIMEOUT', `No answer from ${HOST} within 3 s`, true, { host: HOST, seconds: 3 }, undefined],
        code,
      );
    }
  });

  it('maxContentLength in the message: BAD_RESPONSE too-large', () => {
    const e = transportError({ code: 'ERR_BAD_RESPONSE', message: 'maxContentLength size of 65536 exceeded' }, BASE, 1000);
    assert.deepEqual([e.code, e.reason, e.params, e.uncertain], ['BAD_RESPONSE', 'too-large', { host: HOST, kib: 64 }, true]);
  });

  it('other failures: NETWORK with the cause (cut to 40), uncertain only when the request may have arrived', () => {
    for (const [code, uncertain] of [
      ['ECONNREFUSED', false],
      ['ENOTFOUND', false],
      ['ECONNRESET', true],
      ['EPIPE', true],
      ['ERR_BAD_RESPONSE', true],
    ]) {
      const e = transportError(Object.assign(new Error('x'), { code }), BASE, 1000);
      assert.deepEqual(
        [e.code, e.message, e.uncertain, e.reason, e.params],
        ['NETWORK', `Cannot reach ${HOST} (${code})`, uncertain, 'detail', { host: HOST, detail: code }],
        code,
      );
    }
    const long = 'E'.repeat(60);
    assert.deepEqual(transportError({ code: long }, BASE, 1000).params, { host: HOST, detail: 'E'.repeat(40) });
  });

  it('no code at all (or nothing thrown): NETWORK naming the host only, uncertain', () => {
    for (const err of [null, undefined, {}, new Error('socket hang up'), { message: null }]) {
      const e = transportError(err, BASE, 1000);
      assert.deepEqual(
        [e.code, e.message, e.uncertain, e.reason, e.params],
        ['NETWORK', `Cannot reach ${HOST}`, true, undefined, { host: HOST }],
        String(err),
      );
    }
  });

  it('an API base that is not a URL: "the Netatmo server"', () => {
    assert.equal(transportError({ code: 'ECONNREFUSED' }, 'not a url', 1000).message, 'Cannot reach the Netatmo server (ECONNREFUSED)');
  });
});

describe('core: parseTokenResponse, reasons and parameters', () => {
  const parse = (r) => errorOf(() => parseTokenResponse(r, NOW));

  it('each refusal carries the key and the values of its translation', async () => {
    const cases = [
      [res(503, 'down'), ['SERVER', undefined, { status: 503 }]],
      [res(400, { error: 'invalid_grant' }), ['INVALID_GRANT', undefined, { error: 'invalid_grant' }]],
      [res(400, { error: 'rt|leaked' }), ['OAUTH_ERROR', undefined, { error: 'unknown_error' }]],
      [res(200, 'not json'), ['BAD_RESPONSE', 'not-json', { status: 200 }]],
      [res(403, { error: { code: 3 } }), ['OAUTH_ERROR', 'http', { status: 403 }]],
      [res(200, { ...OK, access_token: '' }), ['BAD_RESPONSE', 'no-token', undefined]],
      [res(200, { ...OK, expires_in: 0 }), ['BAD_RESPONSE', 'no-expiry', undefined]],
      [res(429, ''), ['RATE_LIMITED', undefined, undefined]],
    ];
    for (const [r, expected] of cases) {
      const e = await parse(r);
      assert.deepEqual([e.code, e.reason, e.params], expected, r.body);
      assert.equal(e.status, r.status);
    }
    const grant = await parse(res(400, { error: 'invalid_grant' }));
    assert.equal(
      grant.message,
      'Netatmo refused the code or refresh token (invalid_grant): it was already used, has expired, or the redirect URI does not match the app',
    );
  });

  it('expires_in wins over expire_in; either may be a numeric string', () => {
    assert.equal(parseTokenResponse(res(200, { ...OK, expires_in: '60', expire_in: 30 }), NOW).expires_at, NOW + 60_000);
    assert.equal(parseTokenResponse(res(200, { ...OK, expires_in: undefined, expire_in: '30' }), NOW).expires_at, NOW + 30_000);
  });
});
