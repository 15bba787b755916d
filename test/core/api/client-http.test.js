'use strict';
/**
 * One call to Netatmo's device API (src/core/api/client.ts) without Node-RED: the request sent (a tiny
 * server on 127.0.0.1 records it) and the story of a call (token, budget, retries) on injected timers
 * and clock. Each test well under 100 ms. What a message may ask: client.test.js.
 */
const assert = require('node:assert/strict');
const http = require('node:http');

const { ApiClient, prepareCall, answerBytesInFlight } = require('../../../dist/core/api/client');
const { NetatmoError } = require('../../../dist/core/shared/errors');
const { manualTimers } = require('../../helpers/manual-timers');
const { until } = require('../../helpers/until');

/**
 * A wait that never ends fails the test within 2 s: Stryker turns mocha's timeout off, and a mutant that
 * keeps a wait from ending would cost its own timeout (3 s and a new test runner) instead.
 */
const HUNG_MS = 2000;

/** What an error says, field by field. */
function fields(e) {
  assert.ok(e instanceof NetatmoError, String(e && e.stack));
  return { code: e.code, message: e.message, reason: e.reason, params: e.params };
}

/**
 * A tiny Netatmo: answers from a queue, each request recorded (method, url, headers, body). A path
 * starting /api/hang is never answered, nor recorded (a client that gave up may not even have sent it).
 */
function tinyServer() {
  const s = { replies: [], requests: [], held: [] };
  s.server = http.createServer((req, res) => {
    if (req.url.startsWith('/api/hang')) return;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      s.requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const reply = s.replies.shift() ?? [200, { body: {}, status: 'ok' }];
      if (typeof reply === 'function') return reply(req, res, s);
      const [status, body, headers = {}] = reply;
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  return s;
}

const OK = [200, { body: { homes: [] }, status: 'ok', time_server: 1700000000 }];
const refused = (code, message = 'm', status = 403, headers = {}) => [status, { error: { code, message } }, headers];

/** An account's tokens: `fresh` hands out the first not yet refused; records what the client tells it. */
function tokensOf(list, { fresh = true, scope = ['read_station', 'write_thermostat'] } = {}) {
  const t = { list: [...list], rejected: [], accepted: [], asked: [] };
  const set = (access_token) => ({ access_token, refresh_token: 'r', scope, expires_at: Infinity, obtained_at: 0 });
  t.fresh = () => (fresh && t.list.length ? set(t.list[0]) : undefined);
  t.getToken = (opts) => {
    t.asked.push(opts);
    return Promise.resolve(set(t.list[0]));
  };
  t.rejectAccessToken = (a) => {
    t.rejected.push(a);
    if (t.list[0] === a) t.list.shift();
  };
  t.acceptAccessToken = (a) => t.accepted.push(a);
  return t;
}

/** A budget that records what the client asks of it. */
function budgetSpy({ pausedFor = 0, waits = false, refuse } = {}) {
  const b = { acquired: [], released: 0, paused: [] };
  b.acquire = (ms, opts) => {
    b.acquired.push({ ms, signal: opts.signal });
    if (waits) opts.onWait();
    if (refuse) return Promise.reject(refuse);
    return Promise.resolve(() => b.released++);
  };
  b.pause = (ms) => b.paused.push(ms);
  b.pausedFor = () => pausedFor;
  return b;
}

/** Math.random answering `value` during `fn` (the jitter of the retries). */
async function withRandom(value, fn) {
  const real = Math.random;
  Math.random = () => value;
  try {
    return await fn();
  } finally {
    Math.random = real;
  }
}

describe('api client: the request sent', function () {
  this.timeout(HUNG_MS);
  let s;
  let base;
  before(async () => {
    s = tinyServer();
    await new Promise((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${s.server.address().port}`;
  });
  beforeEach(() => {
    s.replies = [];
    s.requests = [];
  });
  after(() => {
    s.server.closeAllConnections();
    return new Promise((resolve) => s.server.close(resolve));
  });

  it('a read: GET with the parameters in the query, the bearer token, JSON accepted, no body', async () => {
    s.replies = [[200, '{"status":"ok","body":{}}', { 'X-Extra': 'yes' }]];
    const call = prepareCall('homestatus', 'auto', { home_id: 'h 1', device_types: ['NAPlug', 'NATherm1'] });
    const res = await new ApiClient({ apiBase: `${base}/` }).send(call, 'tok|en');
    assert.equal(res.status, 200);
    assert.equal(res.body, '{"status":"ok","body":{}}');
    assert.equal(res.headers['x-extra'], 'yes');
    const [req] = s.requests;
    assert.equal(req.method, 'GET');
    assert.equal(req.url, '/api/homestatus?home_id=h+1&device_types=NAPlug%2CNATherm1');
    assert.equal(req.headers.authorization, 'Bearer tok|en');
    assert.equal(req.headers.accept, 'application/json');
    assert.equal(req.headers['content-type'], undefined);
    assert.equal(req.body, '');
  });

  it('a read without parameters: the path alone', async () => {
    await new ApiClient({ apiBase: base }).send(prepareCall('homesdata', 'auto'), 't');
    assert.equal(s.requests[0].url, '/api/homesdata');
  });

  it('a form: POST, urlencoded UTF-8, the parameters in the body; none gives an empty body', async () => {
    const api = new ApiClient({ apiBase: base });
    await api.send(prepareCall('setroomthermpoint', 'auto', { home_id: 'h', room_id: 'r', mode: 'manual', temp: 19.5 }), 't');
    await api.send(prepareCall('homesdata', 'POST'), 't');
    const [form, empty] = s.requests;
    assert.equal(form.method, 'POST');
    assert.equal(form.url, '/api/setroomthermpoint');
    assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.equal(form.body, 'home_id=h&room_id=r&mode=manual&temp=19.5');
    assert.equal(form.headers.authorization, 'Bearer t');
    assert.equal(empty.url, '/api/homesdata');
    assert.equal(empty.body, '');
    assert.equal(empty.headers['content-length'], '0');
  });

  it('a JSON body: POST, application/json UTF-8', async () => {
    const home = { id: 'h', modules: [{ id: 'v', target_position: 10 }] };
    await new ApiClient({ apiBase: base }).send(prepareCall('setstate', 'auto', { home }), 't');
    const [req] = s.requests;
    assert.equal(req.method, 'POST');
    assert.equal(req.headers['content-type'], 'application/json;charset=utf-8');
    assert.equal(req.body, JSON.stringify({ home }));
  });

  it('no answer within the timeout given: TIMEOUT naming the host', async () => {
    const api = new ApiClient({ apiBase: base, timeoutMs: 30 });
    await assert.rejects(api.send(prepareCall('/api/hang', 'auto'), 't'), {
      code: 'TIMEOUT',
      message: `No answer from ${base.slice(7)} within 0 s`,
    });
  });

  it('an answer up to its cap is read whole; one byte more is BAD_RESPONSE', async () => {
    const mb = 1024 * 1024;
    const api = new ApiClient({ apiBase: base, answerCaps: { answerBytes: mb, inFlightBytes: 4 * mb } });
    s.replies = [
      [200, 'x'.repeat(mb)],
      [200, 'x'.repeat(mb + 1)],
    ];
    assert.equal((await api.send(prepareCall('homestatus', 'auto', { home_id: 'h' }), 't')).body.length, mb);
    const e = await api.send(prepareCall('homestatus', 'auto', { home_id: 'h' }), 't').catch((err) => err);
    assert.deepEqual(fields(e), {
      code: 'BAD_RESPONSE',
      message: "Netatmo's answer to homestatus is larger than 1 MB",
      reason: 'api-too-large',
      params: { endpoint: 'homestatus', mb: 1 },
    });
    assert.equal(answerBytesInFlight(), 0);
  });

  it('answers read together: up to the cap for all of them; beyond it, the call that passes it is left for later', async () => {
    const mb = 1024 * 1024;
    const api = new ApiClient({ apiBase: base, answerCaps: { answerBytes: mb, inFlightBytes: mb } });
    const holdHalf = (req, res) => {
      res.writeHead(200);
      res.write('x'.repeat(mb / 2));
      s.held.push(res);
    };
    const call = prepareCall('homestatus', 'auto', { home_id: 'h' });
    // Half a MB held open, then half a MB more: exactly the cap.
    s.replies = [holdHalf, [200, 'y'.repeat(mb / 2)]];
    const first = api.send(call, 't');
    await until(() => answerBytesInFlight() === mb / 2, 'the first half MB read', 5000, 1);
    assert.equal((await api.send(call, 't')).body.length, mb / 2);
    s.held.shift().end();
    assert.equal((await first).body.length, mb / 2);
    assert.equal(answerBytesInFlight(), 0);
    // One byte more: refused.
    s.replies = [holdHalf, [200, 'y'.repeat(mb / 2 + 1)]];
    const again = api.send(call, 't');
    await until(() => answerBytesInFlight() === mb / 2, 'the first half MB read', 5000, 1);
    const e = await api.send(call, 't').catch((err) => err);
    assert.deepEqual(fields(e), {
      code: 'BAD_RESPONSE',
      message: 'The answers being read together would exceed 1 MB; homestatus is left for later',
      reason: 'api-in-flight',
      params: { endpoint: 'homestatus', mb: 1 },
    });
    assert.equal(answerBytesInFlight(), mb / 2, 'the refused answer no longer counts');
    s.held.shift().end();
    assert.equal((await again).body.length, mb / 2);
    assert.equal(answerBytesInFlight(), 0);
  });
});

describe('api client: the story of a call', function () {
  this.timeout(HUNG_MS);
  let s;
  let base;
  let now;
  let timers;
  const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
  before(async () => {
    s = tinyServer();
    await new Promise((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${s.server.address().port}`;
  });
  beforeEach(() => {
    s.replies = [];
    s.requests = [];
    now = NOW;
    timers = manualTimers();
  });
  after(() => {
    s.server.closeAllConnections();
    return new Promise((resolve) => s.server.close(resolve));
  });
  const apiOf = (opts = {}) => new ApiClient({ apiBase: base, clock: () => now, timers, retryBaseMs: 1000, ...opts });
  const ctxOf = (tokens, budget, more = {}) => ({ tokens, budget, maxWaitMs: 60_000, ...more });
  const auth = () => s.requests.map((r) => r.headers.authorization);
  const homesdata = () => prepareCall('homesdata', 'auto');
  const setpoint = () => prepareCall('setroomthermpoint', 'auto', { home_id: 'h', room_id: 'r', mode: 'max' });
  /** The one retry timer, once the call sets it. */
  const nextWait = async () => {
    await until(() => timers.pending.size === 1, 'the retry timer', 1500, 1);
    return [...timers.pending.values()][0].ms;
  };

  it('the fresh token, one turn in the budget (released once the answer is back), the token accepted', async () => {
    s.replies = [OK];
    const tokens = tokensOf(['A']);
    const budget = budgetSpy();
    const stop = new AbortController();
    const answer = await apiOf().call(homesdata(), ctxOf(tokens, budget, { signal: stop.signal }));
    assert.deepEqual(answer, { statusCode: 200, payload: { homes: [] }, status: 'ok', time_server: 1700000000, errors: [] });
    assert.deepEqual(auth(), ['Bearer A']);
    assert.deepEqual(budget.acquired, [{ ms: 60_000, signal: stop.signal }]);
    assert.equal(budget.released, 1);
    assert.deepEqual(tokens.accepted, ['A']);
    assert.deepEqual(tokens.asked, []);
  });

  it("the answer is read with the token's scopes, the token itself cut out of Netatmo's text", async () => {
    const tokens = tokensOf(['tok-ABCDEF'], { scope: ['read_station'] });
    s.replies = [refused(13, 'no scope for tok-ABCDEF')];
    await assert.rejects(apiOf().call(setpoint(), ctxOf(tokens, budgetSpy())), {
      code: 'SCOPE_MISSING',
      cause: { code: 13, message: 'no scope for …' },
    });
    assert.deepEqual(tokens.accepted, []);
  });

  it('an account without acceptAccessToken is fine; a negative wait is no wait', async () => {
    s.replies = [OK];
    const tokens = tokensOf(['A']);
    delete tokens.acceptAccessToken;
    const budget = budgetSpy();
    await apiOf().call(homesdata(), ctxOf(tokens, budget, { maxWaitMs: -5 }));
    assert.deepEqual(
      budget.acquired.map((a) => a.ms),
      [0],
    );
  });

  it('no fresh token: the account is asked for one within the wait left; the budget is the token user’s', async () => {
    s.replies = [OK];
    const tokens = tokensOf(['B'], { fresh: false });
    const budget = budgetSpy();
    const users = [];
    await apiOf().call(
      homesdata(),
      ctxOf(tokens, (t) => (users.push(t), budget), { maxWaitMs: 5000 }),
    );
    assert.deepEqual(tokens.asked, [{ maxWaitMs: 5000 }]);
    assert.deepEqual(users, ['B']);
    assert.deepEqual(auth(), ['Bearer B']);
  });

  it("an account's failure keeps its code and text but not the token endpoint's HTTP status; no request", async () => {
    const failing = (err) => ({ fresh: () => undefined, getToken: () => Promise.reject(err), rejectAccessToken() {} });
    const budget = budgetSpy();
    const withStatus = new NetatmoError('REAUTHORIZE', 'Log in again', {
      status: 400,
      oauthError: 'invalid_grant',
      retryAfterMs: 5,
      uncertain: true,
      reason: 'r',
      params: { a: 1 },
      apiError: { code: 1, message: 'x' },
    });
    const e = await apiOf()
      .call(homesdata(), ctxOf(failing(withStatus), budget))
      .catch((err) => err);
    assert.notEqual(e, withStatus);
    assert.deepEqual(
      { ...fields(e), status: e.status, oauthError: e.oauthError, retryAfterMs: e.retryAfterMs, uncertain: e.uncertain, cause: e.cause },
      {
        code: 'REAUTHORIZE',
        message: 'Log in again',
        reason: 'r',
        params: { a: 1 },
        status: undefined,
        oauthError: 'invalid_grant',
        retryAfterMs: 5,
        uncertain: true,
        cause: undefined,
      },
    );
    const without = new NetatmoError('NOT_AUTHORIZED', 'No token');
    assert.equal(
      await apiOf()
        .call(homesdata(), ctxOf(failing(without), budget))
        .catch((err) => err),
      without,
    );
    const system = Object.assign(new Error('x'), { code: 'EACCES' });
    await assert.rejects(apiOf().call(homesdata(), ctxOf(failing(system), budget)), { code: 'NETWORK' });
    assert.equal(s.requests.length, 0);
    assert.deepEqual(budget.acquired, []);
  });

  it('waiting for a turn is told once when it starts and once when it ends; a turn at once tells nothing', async () => {
    let waits = 0;
    let ends = 0;
    const told = { onWait: () => waits++, onWaitEnd: () => ends++ };
    s.replies = [OK, OK];
    await apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy(), told));
    assert.deepEqual([waits, ends], [0, 0]);
    await apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy({ waits: true }), told));
    assert.deepEqual([waits, ends], [1, 1]);
    const full = new NetatmoError('RATE_LIMITED', 'full', { reason: 'budget' });
    const e = await apiOf()
      .call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy({ waits: true, refuse: full }), told))
      .catch((err) => err);
    assert.equal(e, full);
    assert.deepEqual([waits, ends], [2, 2], 'a wait that gave up ends too');
    await apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy({ waits: true })));
    assert.equal(s.requests.length, 3, 'without listeners');
  });

  it('a token Netatmo refuses (code 2) is dropped and the call sent once more with the next', async () => {
    s.replies = [refused(2, 'Invalid access token'), OK];
    const tokens = tokensOf(['A', 'B']);
    const budget = budgetSpy();
    assert.equal((await apiOf().call(homesdata(), ctxOf(tokens, budget))).statusCode, 200);
    assert.deepEqual(auth(), ['Bearer A', 'Bearer B']);
    assert.deepEqual(tokens.rejected, ['A']);
    assert.deepEqual(tokens.accepted, ['B']);
    assert.equal(budget.released, 2);
  });

  it('refused again (code 3): API_ERROR, the account told twice, not sent a third time', async () => {
    s.replies = [refused(3, 'Access token expired'), refused(3, 'Access token expired'), OK];
    const tokens = tokensOf(['A', 'B', 'C']);
    await assert.rejects(apiOf().call(homesdata(), ctxOf(tokens, budgetSpy())), {
      code: 'API_ERROR',
      cause: { code: 3, message: 'Access token expired' },
    });
    assert.deepEqual(tokens.rejected, ['A', 'B']);
    assert.equal(s.requests.length, 2);
  });

  it("Netatmo's firewall (429, code 11): sent again after its Retry-After on the injected timers, nobody paused", async () => {
    s.replies = [refused(11, 'Failed to enter concurrency limited section', 429, { 'Retry-After': '2' }), OK];
    const budget = budgetSpy();
    const result = apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budget, { maxWaitMs: 2001 }));
    assert.equal(await nextWait(), 2000);
    assert.equal(s.requests.length, 1);
    timers.fireAll();
    assert.equal((await result).statusCode, 200);
    assert.equal(s.requests.length, 2);
    assert.deepEqual(budget.paused, []);
  });

  it('without Retry-After: 0.5 to 1.5 times concurrencyRetryMs (3 x retryBaseMs by default)', async () => {
    const waitOf = (random, opts) =>
      withRandom(random, async () => {
        s.replies = [refused(11, 'Failed', 429), OK];
        const result = apiOf(opts).call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy()));
        const ms = await nextWait();
        timers.fireAll();
        await result;
        return ms;
      });
    assert.equal(await waitOf(0, { concurrencyRetryMs: 1000 }), 500);
    assert.equal(await waitOf(0.5, { concurrencyRetryMs: 1000 }), 1000);
    assert.equal(await waitOf(0.999, { concurrencyRetryMs: 1000 }), 1499);
    assert.equal(await waitOf(0.5, { retryBaseMs: 200 }), 600);
    assert.equal(await waitOf(0.5, {}), 3000);
  });

  it("the firewall's wait as long as the message may still wait, or a stop: the call fails, sent once", async () => {
    s.replies = [refused(11, 'Failed', 429, { 'Retry-After': '2' })];
    await assert.rejects(apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy(), { maxWaitMs: 2000 })), {
      code: 'RATE_LIMITED',
      status: 429,
      retryAfterMs: 2000,
      cause: { code: 11, message: 'Failed' },
    });
    assert.equal(timers.pending.size, 0);
    s.replies = [refused(11, 'Failed', 429, { 'Retry-After': '2' })];
    const stop = new AbortController();
    const result = apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy(), { signal: stop.signal }));
    await nextWait();
    stop.abort();
    await assert.rejects(result, { code: 'TIMEOUT', reason: 'stopped' });
    assert.equal(s.requests.length, 2);
  });

  it("the user's quota (code 26): the whole budget pauses as Netatmo asks, and the call waits its turn again", async () => {
    s.replies = [refused(26, 'User usage reached', 429, { 'Retry-After': '7' }), refused(26, 'User usage reached', 403), OK];
    const budget = budgetSpy({ pausedFor: 60_000 });
    assert.equal((await apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budget))).statusCode, 200);
    assert.deepEqual(budget.paused, [7000, undefined]);
    assert.equal(budget.acquired.length, 3);
    assert.equal(timers.pending.size, 0, 'the budget does the waiting');
  });

  it('a Retry-After given as a date counts from the client clock', async () => {
    s.replies = [refused(26, 'x', 429, { 'Retry-After': new Date(NOW + 30_000).toUTCString() }), OK];
    const budget = budgetSpy();
    await apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budget));
    assert.deepEqual(budget.paused, [30_000]);
  });

  it('a pause longer than the message may wait: RATE_LIMITED at once', async () => {
    s.replies = [refused(26, 'User usage reached', 429, { 'Retry-After': '7' }), OK];
    const budget = budgetSpy({ pausedFor: 60_001 });
    await assert.rejects(apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budget)), {
      code: 'RATE_LIMITED',
      retryAfterMs: 7000,
      cause: { code: 26, message: 'User usage reached' },
    });
    assert.equal(s.requests.length, 1);
  });

  it('the wait left shrinks with the clock, never below 0', async () => {
    // Each request takes 400 ms of the client's clock; the message may wait 100 ms.
    const slow = (answer) => (req, res) => {
      now += 400;
      res.writeHead(answer[0], { 'content-type': 'application/json' }).end(JSON.stringify(answer[1]));
    };
    s.replies = [slow(refused(26, 'x', 403)), slow(OK)];
    const budget = budgetSpy({ pausedFor: 0 });
    await apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budget, { maxWaitMs: 100 }));
    assert.deepEqual(
      budget.acquired.map((a) => a.ms),
      [100, 0],
    );
  });

  it('a failed read is tried again after 1, 2 and 4 s (jitter at its middle), each wait on the injected timers', async () => {
    await withRandom(0.5, async () => {
      s.replies = [[503, 'down'], [502, '<html>'], [200, '{"body": {'], OK];
      const result = apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy()));
      for (const ms of [1000, 2000, 4000]) {
        assert.equal(await nextWait(), ms);
        timers.fireAll();
      }
      assert.equal((await result).statusCode, 200);
      assert.equal(s.requests.length, 4);
    });
  });

  it('the next try later than the message may wait: the read fails with its own error', async () => {
    await withRandom(0.5, async () => {
      const slow = (req, res) => {
        now += 400;
        res.writeHead(503).end('down');
      };
      s.replies = [slow, slow];
      const budget = budgetSpy();
      const result = apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budget, { maxWaitMs: 2000 }));
      assert.equal(await nextWait(), 1000, '1600 ms left');
      now += 1000;
      timers.fireAll();
      await assert.rejects(result, { code: 'SERVER', message: 'Netatmo answered HTTP 503 to homesdata', uncertain: false });
      assert.deepEqual(
        budget.acquired.map((a) => a.ms),
        [2000, 600],
      );
      assert.equal(s.requests.length, 2, 'the second try left 200 ms, less than the 2 s the third needs');
      s.replies = [[503, 'down']];
      await assert.rejects(apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy(), { maxWaitMs: 1000 })), { code: 'SERVER' });
      assert.equal(timers.pending.size, 0, 'a wait of exactly what is left is not tried');
      s.replies = [[200, 'cut']];
      await assert.rejects(apiOf().call(homesdata(), ctxOf(tokensOf(['A']), budgetSpy(), { maxWaitMs: 0 })), {
        code: 'BAD_RESPONSE',
        reason: 'api-not-json',
        uncertain: true,
      });
    });
  });

  it("Netatmo's refusal of a read is final: no second try", async () => {
    s.replies = [refused(21, 'Invalid argument', 400)];
    const tokens = tokensOf(['A']);
    await assert.rejects(apiOf().call(homesdata(), ctxOf(tokens, budgetSpy())), { code: 'API_ERROR', status: 400 });
    assert.equal(timers.pending.size, 0);
    assert.deepEqual([tokens.rejected, tokens.accepted], [[], []]);
  });

  it('a device change is never sent twice: a sure failure as it is, an uncertain one says it may have been applied', async () => {
    s.replies = [[503, 'down']];
    await assert.rejects(apiOf().call(setpoint(), ctxOf(tokensOf(['A']), budgetSpy())), {
      code: 'SERVER',
      message: 'Netatmo answered HTTP 503 to setroomthermpoint',
      reason: 'api',
    });
    s.replies = [[200, '{"body": ']];
    const cut = await apiOf()
      .call(setpoint(), ctxOf(tokensOf(['A']), budgetSpy()))
      .catch((err) => err);
    assert.deepEqual(
      { ...fields(cut), status: cut.status, uncertain: cut.uncertain },
      {
        code: 'BAD_RESPONSE',
        message:
          "Netatmo's answer to setroomthermpoint (HTTP 200) was not JSON or was cut short; not sent again: Netatmo may have applied setroomthermpoint",
        reason: 'api-not-json-not-sent-again',
        params: { endpoint: 'setroomthermpoint', status: 200 },
        status: 200,
        uncertain: true,
      },
    );
    s.replies = [(req) => req.socket.destroy()];
    const reset = await apiOf()
      .call(setpoint(), ctxOf(tokensOf(['A']), budgetSpy()))
      .catch((err) => err);
    const host = base.slice(7);
    assert.deepEqual(
      { ...fields(reset), status: reset.status, uncertain: reset.uncertain },
      {
        code: 'NETWORK',
        message: `Cannot reach ${host} (ECONNRESET); not sent again: Netatmo may have applied setroomthermpoint`,
        reason: 'detail-not-sent-again',
        params: { host, detail: 'ECONNRESET', endpoint: 'setroomthermpoint' },
        status: undefined,
        uncertain: true,
      },
    );
    assert.equal(s.requests.length, 3, 'each sent once');
    const lost = await apiOf({ timeoutMs: 30 })
      .call(prepareCall('/api/hang', 'POST'), ctxOf(tokensOf(['A']), budgetSpy()))
      .catch((err) => err);
    assert.deepEqual(fields(lost), {
      code: 'TIMEOUT',
      message: `No answer from ${host} within 0 s; not sent again: Netatmo may have applied /api/hang`,
      reason: 'not-sent-again',
      params: { host, seconds: 0, endpoint: '/api/hang' },
    });
    assert.equal(timers.pending.size, 0);
  });
});
