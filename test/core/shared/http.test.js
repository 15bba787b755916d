'use strict';
/**
 * The HTTP plumbing both clients share (src/core/shared/http.ts): the sorting of answers that mean
 * "later", header folding, transport errors; and the API client's retries waiting on its injected timers.
 */
const assert = require('node:assert/strict');
const http = require('node:http');

const { laterAnswer, foldHeaders, transportError, isConcurrencyLimit } = require('../../../dist/core/shared/http');
const { parseTokenResponse } = require('../../../dist/core/token/oauth');
const { parseApiResponse, ApiClient, prepareCall } = require('../../../dist/core/api/client');
const { RateBudget } = require('../../../dist/core/api/rate-budget');
const { manualTimers } = require('../../helpers/manual-timers');
const { until } = require('../../helpers/until');

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const res = (status, body = '', headers = {}) => ({ status, headers, body });
const apiBody = (code, message = 'm') => JSON.stringify({ error: { code, message } });

describe('http: one sorting of the answers that mean later', () => {
  it('429, code 26 (any status) are rate limits with the Retry-After asked; 5xx a server failure; others read on', () => {
    assert.deepEqual(laterAnswer(res(429, '', { 'retry-after': '7' }), undefined, NOW), { code: 'RATE_LIMITED', retryAfterMs: 7000 });
    assert.deepEqual(laterAnswer(res(403), 26, NOW), { code: 'RATE_LIMITED', retryAfterMs: undefined });
    assert.deepEqual(laterAnswer(res(429), 11, NOW), { code: 'RATE_LIMITED', retryAfterMs: undefined });
    assert.deepEqual(laterAnswer(res(500), 11, NOW), { code: 'SERVER' }, 'code 11 with 500 is no rate limit');
    assert.deepEqual(laterAnswer(res(503), undefined, NOW), { code: 'SERVER' });
    assert.equal(laterAnswer(res(400), 11, NOW), undefined);
    assert.equal(laterAnswer(res(403), 2, NOW), undefined);
    assert.equal(laterAnswer(res(200), undefined, NOW), undefined);
  });

  it('the token endpoint and the API sort the same answers the same way, code 11 included', () => {
    const call = prepareCall('homesdata', 'auto');
    const cases = [
      res(429, apiBody(11)),
      res(429, apiBody(26)),
      res(403, apiBody(26)),
      res(429, 'busy'),
      res(502, 'x'),
      res(500, apiBody(11)),
    ];
    for (const r of cases) {
      const token = catchOf(() => parseTokenResponse(r, NOW));
      const api = catchOf(() => parseApiResponse(r, call, '', NOW));
      assert.equal(token.code, api.code, `${r.status} ${r.body}`);
    }
    const firewall = catchOf(() => parseApiResponse(res(429, apiBody(11)), call, '', NOW));
    assert.equal(isConcurrencyLimit(firewall), true);
    const quota = catchOf(() => parseApiResponse(res(429, apiBody(26)), call, '', NOW));
    assert.equal(isConcurrencyLimit(quota), false);
  });

  it('folds header names to lower case and values to text', () => {
    assert.deepEqual(foldHeaders({ 'Retry-After': 5, 'X-A': 'b', 'X-N': null }), { 'retry-after': '5', 'x-a': 'b', 'x-n': undefined });
    assert.deepEqual(foldHeaders(undefined), {});
  });

  it('transport failures become typed errors naming the host, never the request', () => {
    const target = { apiBase: 'http://127.0.0.1:9', timeoutMs: 5000, maxAnswerBytes: 64 * 1024 };
    const timeout = transportError({ code: 'ECONNABORTED', config: { data: 'client_secret=S' } }, target);
    assert.equal(timeout.code, 'TIMEOUT');
    assert.deepEqual(timeout.params, { host: '127.0.0.1:9', seconds: 5 });
    const big = transportError({ message: 'maxContentLength size of 65536 exceeded' }, target);
    assert.equal(big.reason, 'too-large');
    assert.equal(big.params.kib, 64);
    const reset = transportError({ code: 'ECONNRESET' }, target);
    assert.equal(reset.code, 'NETWORK');
    assert.equal(reset.uncertain, true);
    assert.equal(transportError({ code: 'ECONNREFUSED' }, target).uncertain, false);
    assert.ok(!JSON.stringify(timeout).includes('client_secret'));
  });
});

describe('api client: retries wait on the timers it is given', () => {
  let server;
  let answers;
  let seen;
  beforeEach(async () => {
    seen = 0;
    server = http.createServer((req, reply) => {
      seen++;
      const [status, body] = answers.shift() ?? [200, '{"status":"ok","body":{}}'];
      reply.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => new Promise((resolve) => server.close(resolve)));

  const ctxOf = (signal) => ({
    tokens: {
      fresh: () => ({ access_token: 'a'.repeat(20), refresh_token: 'r', scope: ['read_station'], expires_at: Infinity, obtained_at: 0 }),
      getToken: () => Promise.reject(new Error('not used')),
      rejectAccessToken() {},
    },
    budget: new RateBudget(),
    maxWaitMs: 60_000,
    signal,
  });

  it('a failed read is sent again only when the injected timer fires, after the backoff of retryDelayMs', async () => {
    answers = [[503, 'down']];
    const timers = manualTimers();
    const client = new ApiClient({ apiBase: `http://127.0.0.1:${server.address().port}`, retryBaseMs: 1000, timers });
    const result = client.call(prepareCall('homesdata', 'auto'), ctxOf());
    await until(() => timers.pending.size === 1, 'the retry timer', 10_000);
    const [{ ms }] = [...timers.pending.values()];
    assert.ok(ms >= 750 && ms <= 1250, `first retry after ${ms} ms`);
    assert.equal(seen, 1);
    timers.fireAll();
    const answer = await result;
    assert.equal(answer.statusCode, 200);
    assert.equal(seen, 2);
  });

  it('closing the node ends that wait at once (TIMEOUT, stopped) and clears the timer', async () => {
    answers = [[503, 'down']];
    const timers = manualTimers();
    const stop = new AbortController();
    const client = new ApiClient({ apiBase: `http://127.0.0.1:${server.address().port}`, timers });
    const result = client.call(prepareCall('homesdata', 'auto'), ctxOf(stop.signal));
    await until(() => timers.pending.size === 1, 'the retry timer', 10_000);
    stop.abort();
    await assert.rejects(result, { code: 'TIMEOUT', reason: 'stopped' });
    assert.equal(timers.pending.size, 0);
    assert.equal(seen, 1);
  });
});

function catchOf(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('http: the shared client and request, exactly', () => {
  const { createHttpClient, sendRequest } = require('../../../dist/core/shared/http');
  const { NetatmoError } = require('../../../dist/core/shared/errors');
  const target = { apiBase: 'http://127.0.0.1:9', timeoutMs: 5000, maxAnswerBytes: 1024 };

  it('text answers are capped at maxAnswerBytes, streams by their reader; never parsed, never redirected', () => {
    const text = createHttpClient(target, 'text').defaults;
    assert.deepEqual(
      [text.maxContentLength, text.maxBodyLength, text.responseType, text.maxRedirects, text.timeout],
      [1024, 1024, 'text', 0, 5000],
    );
    const stream = createHttpClient(target, 'stream').defaults;
    assert.notEqual(stream.maxContentLength, 1024);
    assert.notEqual(stream.maxBodyLength, 1024);
    assert.equal(stream.responseType, 'stream');
    assert.equal(text.transformResponse.length, 1);
    assert.equal(text.transformResponse[0]('{"a":1}'), '{"a":1}');
    assert.equal(text.validateStatus(500), true);
  });

  it("a NetatmoError of the reader goes through as it is; any other failure is the transport's", async () => {
    const ok = { request: async () => ({ status: 201, headers: { 'X-A': 1 }, data: 'd' }) };
    assert.deepEqual(await sendRequest(ok, target, {}, (d) => `${d}!`), { status: 201, headers: { 'x-a': '1' }, body: 'd!' });
    const mine = new NetatmoError('BAD_RESPONSE', 'too big');
    await assert.rejects(
      sendRequest(ok, target, {}, () => {
        throw mine;
      }),
      (e) => e === mine,
    );
    const broken = { request: async () => Promise.reject(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })) };
    await assert.rejects(
      sendRequest(broken, target, {}, String),
      (e) => e.code === 'NETWORK' && e.message === 'Cannot reach 127.0.0.1:9 (ECONNREFUSED)',
    );
  });

  it('a failure without message or code is a network failure, uncertain', () => {
    const e = transportError({}, target);
    assert.deepEqual([e.code, e.message, e.uncertain, e.params], ['NETWORK', 'Cannot reach 127.0.0.1:9', true, { host: '127.0.0.1:9' }]);
    assert.equal(transportError(undefined, target).code, 'NETWORK');
  });

  it("the firewall is a 429 rate limit with Netatmo's code 11, nothing else", () => {
    const e = (code, status, apiCode) =>
      new NetatmoError(code, 'm', { status, apiError: apiCode === undefined ? undefined : { code: apiCode, message: 'm' } });
    assert.equal(isConcurrencyLimit(e('RATE_LIMITED', 429, 11)), true);
    assert.equal(isConcurrencyLimit(e('RATE_LIMITED', 429, undefined)), false);
    assert.equal(isConcurrencyLimit(e('RATE_LIMITED', 429, 26)), false);
    assert.equal(isConcurrencyLimit(e('RATE_LIMITED', 403, 11)), false);
    assert.equal(isConcurrencyLimit(e('SERVER', 429, 11)), false);
  });
});
