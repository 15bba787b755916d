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
