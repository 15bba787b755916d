'use strict';
/** The webhook registration (src/core/events/registration.ts) with a fake call and a virtual clock. */
const assert = require('node:assert/strict');
const { WebhookRegistration, checkWebhookUrl } = require('../../../dist/core/events/registration');
const { NetatmoError } = require('../../../dist/core/shared/errors');

const TIMING = { baseMs: 1000, maxMs: 60000, rateLimitMs: 30000, maxRateLimitMs: 3600000 };
const flush = () => new Promise((r) => setImmediate(r));

function harness(answers) {
  let now = 1_000_000;
  const calls = [];
  const timers = [];
  const reg = new WebhookRegistration({
    timing: TIMING,
    random: () => 0,
    now: () => now,
    quietMs: 3_600_000,
    timers: {
      setTimeout: (fn, ms) => (timers.push({ fn, at: now + ms }), timers.length - 1),
      clearTimeout: (i) => (timers[i] = undefined),
    },
    call: async (endpoint, params) => {
      calls.push([endpoint, params]);
      const a = answers.shift();
      if (a instanceof Error) throw a;
      return a;
    },
  });
  const fire = async () => {
    const i = timers.findIndex(Boolean);
    if (i < 0) return false;
    const t = timers[i];
    timers[i] = undefined;
    now = Math.max(now, t.at);
    t.fn();
    await flush();
    return true;
  };
  return { reg, calls, timers, fire, advance: (ms) => (now += ms), now: () => now };
}

const rateLimited = () =>
  new NetatmoError('RATE_LIMITED', 'API limit', { status: 429, apiError: { code: 26, message: 'User usage reached' } });
const server = () => new NetatmoError('SERVER', 'HTTP 500', { status: 500 });
const refusedUrl = () =>
  new NetatmoError('API_ERROR', 'Allowed ports', {
    status: 400,
    apiError: { code: 21, message: 'Allowed ports for webhooks are 80, 88, 443 and 9443' },
  });

describe('webhook registration', () => {
  it('off → registering → registered → active (an event came); the URL is sent to addwebhook', async () => {
    const h = harness([{}]);
    const seen = [];
    h.reg.on('state', (s) => seen.push(s.status));
    assert.equal(h.reg.state.status, 'off');
    h.reg.register('https://nr.example.org/netatmo-tokens/webhook/acc1');
    await flush();
    assert.deepEqual(h.calls, [['addwebhook', { url: 'https://nr.example.org/netatmo-tokens/webhook/acc1' }]]);
    assert.equal(h.reg.state.registered_at, h.now());
    h.reg.eventSeen(h.now() + 5);
    assert.deepEqual(seen, ['registering', 'registered', 'active']);
    assert.equal(h.reg.state.last_event_at, h.now() + 5);
  });

  it('429 and 5xx are tried again with backoff (as long as Netatmo asks after a 429), then it registers', async () => {
    const h = harness([rateLimited(), server(), {}]);
    h.reg.register('https://nr.example.org/hook');
    await flush();
    assert.equal(h.reg.state.status, 'registering');
    assert.equal(h.reg.state.retry_at - h.now(), 30000, 'a 429 without Retry-After waits rateLimitMs');
    assert.equal(h.reg.state.error.code, 'RATE_LIMITED');
    await h.fire();
    assert.equal(h.reg.state.retry_at - h.now(), 1500, 'the second failure in a row: 2 s x 0.75');
    await h.fire();
    assert.equal(h.reg.state.status, 'registered');
    assert.equal(h.calls.length, 3);
  });

  it('never a loop: after maxAttempts transient failures it stops, failed, with the last error', async () => {
    const h = harness(Array.from({ length: 20 }, server));
    h.reg.register('https://nr.example.org/hook');
    await flush();
    while (await h.fire());
    assert.equal(h.calls.length, 6);
    assert.equal(h.reg.state.status, 'failed');
    assert.equal(h.reg.state.error.code, 'SERVER');
  });

  it('a refused URL (400 code 21) fails at once, with Netatmo code', async () => {
    const h = harness([refusedUrl()]);
    h.reg.register('https://nr.example.org/hook');
    await flush();
    assert.equal(h.calls.length, 1);
    assert.deepEqual(h.reg.state.error, { code: 'API_ERROR', message: 'Allowed ports', api_code: 21 });
    assert.equal(h.reg.state.status, 'failed');
  });

  it('drop sends dropwebhook with app_types=app_security; "nothing to drop" (406 code 7) is fine; a pending retry is cancelled', async () => {
    const nothing = new NetatmoError('API_ERROR', 'Nothing to drop', { status: 406, apiError: { code: 7, message: 'Nothing to drop' } });
    const h = harness([server(), nothing]);
    h.reg.register('https://nr.example.org/hook');
    await flush();
    assert.equal(await h.reg.drop(), undefined);
    assert.deepEqual(h.calls[1], ['dropwebhook', { app_types: 'app_security' }]);
    assert.equal(h.reg.state.status, 'off');
    assert.equal(await h.fire(), false, 'no retry left');
    assert.equal(await h.reg.drop(), undefined, 'off: nothing sent');
    assert.equal(h.calls.length, 2);
  });

  it('registered and quiet for an hour: quiet (a ban is possible)', async () => {
    const h = harness([{}]);
    h.reg.register('https://nr.example.org/hook');
    await flush();
    assert.equal(h.reg.state.quiet, undefined);
    h.advance(3_600_000);
    assert.equal(h.reg.state.quiet, true);
    h.reg.eventSeen();
    assert.equal(h.reg.state.quiet, undefined);
  });

  it('the Webhook URL: http(s), no credentials, ports 80, 88, 443, 9443 only; empty is none', () => {
    assert.equal(checkWebhookUrl(''), '');
    assert.equal(checkWebhookUrl('  '), '');
    for (const ok of ['https://a.example/x', 'https://a.example:9443/x', 'http://a.example:88/x', 'https://a.example:443/x'])
      assert.equal(typeof checkWebhookUrl(ok), 'string', ok);
    for (const [bad, reason] of [
      ['https://a.example:1880/x', 'webhook-port'],
      ['http://a.example:8080/x', 'webhook-port'],
      ['ftp://a.example/x', 'webhook-url'],
      ['https://u:p@a.example/x', 'webhook-url'],
      ['nope', 'webhook-url'],
      [`https://a.example/${'x'.repeat(600)}`, 'webhook-url'],
    ])
      assert.throws(
        () => checkWebhookUrl(bad),
        (e) => e.code === 'INVALID_INPUT' && e.reason === reason,
        bad,
      );
  });
});

/** A call whose answers the test gives one by one, after the fact. */
function deferredHarness(options = {}) {
  let now = 1_000_000;
  const pending = [];
  const cleared = [];
  const timers = [];
  const reg = new WebhookRegistration({
    timing: TIMING,
    random: () => 0,
    now: () => now,
    timers: {
      setTimeout: (fn, ms) => (timers.push({ fn, ms }), timers.length - 1),
      clearTimeout: (i) => cleared.push(i),
    },
    call: (endpoint, params) => new Promise((resolve, reject) => pending.push({ endpoint, params, resolve, reject })),
    ...options,
  });
  return { reg, pending, cleared, timers, advance: (ms) => (now += ms), now: () => now };
}

describe('webhook registration, exactly', () => {
  it('an answer to a forgotten attempt changes nothing (register again, stop, drop)', async () => {
    for (const forget of ['stop', 'drop']) {
      const h = deferredHarness();
      h.reg.register('https://a.example/old');
      if (forget === 'stop') h.reg.stop();
      else void h.reg.drop();
      h.reg.register('https://a.example/new');
      const old = h.pending[0];
      old.resolve({});
      await flush();
      assert.deepEqual(h.reg.state, { status: 'registering', url: 'https://a.example/new', last_event_at: undefined }, forget);
      h.pending.at(-1).reject(refusedUrl());
      await flush();
      assert.equal(h.reg.state.status, 'failed', forget);
      assert.equal(h.reg.state.url, 'https://a.example/new', forget);
    }
  });

  it('a failure of a forgotten attempt changes nothing either', async () => {
    const h = deferredHarness();
    h.reg.register('https://a.example/old');
    h.reg.register('https://a.example/new');
    h.pending[0].reject(refusedUrl());
    await flush();
    assert.equal(h.reg.state.status, 'registering');
    assert.equal(h.reg.state.error, undefined);
    h.reg.stop();
    h.pending[1].resolve({});
    await flush();
    assert.equal(h.reg.state.status, 'registering', 'stopped: its answer is not taken');
  });

  it('stop cancels the pending retry and leaves the registration as it is (no call)', async () => {
    const h = deferredHarness();
    h.reg.register('https://a.example/x');
    h.pending[0].reject(server());
    await flush();
    assert.equal(h.timers.length, 1);
    assert.deepEqual(h.cleared, []);
    h.reg.stop();
    assert.deepEqual(h.cleared, [0]);
    h.reg.stop();
    assert.deepEqual(h.cleared, [0], 'nothing left to clear');
    assert.equal(h.reg.state.status, 'registering');
    assert.equal(h.pending.length, 1);
  });

  it('network, timeout and bad answers are tried again; other codes fail at once', async () => {
    for (const code of ['RATE_LIMITED', 'SERVER', 'NETWORK', 'TIMEOUT', 'BAD_RESPONSE']) {
      const h = deferredHarness();
      h.reg.register('https://a.example/x');
      h.pending[0].reject(new NetatmoError(code, 'x'));
      await flush();
      assert.equal(h.reg.state.status, 'registering', code);
      assert.equal(h.timers.length, 1, code);
    }
    for (const code of ['API_ERROR', 'INVALID_INPUT', 'AUTH']) {
      const h = deferredHarness();
      h.reg.register('https://a.example/x');
      h.pending[0].reject(new NetatmoError(code, 'x'));
      await flush();
      assert.deepEqual(h.reg.state, { status: 'failed', url: 'https://a.example/x', error: { code, message: 'x', api_code: undefined } });
    }
  });

  it('drop: an error other than "nothing to drop" is returned; an error without Netatmo code too', async () => {
    const h = deferredHarness();
    h.reg.adopt({ status: 'registered', url: 'https://a.example/x', registered_at: 1 });
    const dropped = h.reg.drop();
    h.pending[0].reject(server());
    const e = await dropped;
    assert.equal(e.code, 'SERVER');
    assert.equal(e.message, 'HTTP 500');
    h.reg.adopt({ status: 'active', url: 'https://a.example/x' });
    const again = h.reg.drop();
    h.pending[1].reject(refusedUrl());
    assert.equal((await again).cause.code, 21);
    h.reg.adopt({ status: 'failed' });
    const third = h.reg.drop();
    h.pending[2].reject(new Error('socket hang up'));
    assert.equal((await third).code, 'INTERNAL');
  });

  it('adopt takes a previous state as it is, without its quiet flag, and tells it', () => {
    const h = deferredHarness();
    const seen = [];
    h.reg.on('state', (s) => seen.push(s));
    h.reg.adopt({ status: 'active', url: 'https://a.example/x', last_event_at: 5, quiet: true });
    assert.deepEqual(h.reg.state, { status: 'active', url: 'https://a.example/x', last_event_at: 5, quiet: undefined });
    assert.deepEqual(seen, [{ status: 'active', url: 'https://a.example/x', last_event_at: 5, quiet: undefined }]);
    assert.equal(h.pending.length, 0, 'no call');
  });

  it('quiet from quietMs after registered_at on (1 h by default); never without registered_at', () => {
    const h = deferredHarness();
    const start = h.now();
    h.reg.adopt({ status: 'registered', url: 'https://a.example/x', registered_at: start });
    h.advance(3_600_000 - 1);
    assert.equal(h.reg.state.quiet, undefined);
    h.advance(1);
    assert.equal(h.reg.state.quiet, true);
    h.reg.adopt({ status: 'registered', url: 'https://a.example/x' });
    h.advance(10 ** 12);
    assert.equal(h.reg.state.quiet, undefined);
    h.reg.adopt({ status: 'active', url: 'https://a.example/x', registered_at: start });
    assert.equal(h.reg.state.quiet, undefined, 'active is never quiet');
  });

  it("the Webhook URL: each refusal says why; the scheme's own port is allowed; 512 characters at most", () => {
    const why = (value) => {
      try {
        checkWebhookUrl(value);
      } catch (e) {
        return [e.code, e.reason, e.message];
      }
      return undefined;
    };
    for (const v of [undefined, null, 42, {}, ' \n ']) assert.equal(checkWebhookUrl(v), '');
    assert.equal(checkWebhookUrl(' http://a.example/x '), 'http://a.example/x');
    assert.equal(checkWebhookUrl('http://a.example:80/x'), 'http://a.example/x');
    assert.equal(checkWebhookUrl('https://a.example/x'), 'https://a.example/x');
    assert.equal(checkWebhookUrl('https://A.example:9443/x?y=1'), 'https://a.example:9443/x?y=1');
    const base = 'https://a.example/';
    const longest = base + 'x'.repeat(512 - base.length);
    assert.equal(checkWebhookUrl(longest), longest);
    assert.deepEqual(why(`${longest}x`), ['INVALID_INPUT', 'webhook-url', 'The webhook URL is too long (at most 512 characters).']);
    assert.deepEqual(why('nope'), ['INVALID_INPUT', 'webhook-url', 'The webhook URL is not an address (https://…).']);
    assert.deepEqual(why('ftp://a.example/x'), ['INVALID_INPUT', 'webhook-url', 'The webhook URL must begin with https://.']);
    const credentials = ['INVALID_INPUT', 'webhook-url', 'The webhook URL must not hold a user name or password.'];
    assert.deepEqual(why('https://u@a.example/x'), credentials);
    assert.deepEqual(why('https://:p@a.example/x'), credentials);
    assert.deepEqual(why('https://u:p@a.example/x'), credentials);
    const port = ['INVALID_INPUT', 'webhook-port', 'Netatmo only calls webhooks on ports 80, 88, 443 and 9443.'];
    assert.deepEqual(why('https://a.example:80/x'), undefined);
    assert.deepEqual(why('http://a.example:443/x'), undefined);
    assert.deepEqual(why('https://a.example:8443/x'), port);
    assert.deepEqual(why('http://a.example:1880/x'), port);
  });
});
