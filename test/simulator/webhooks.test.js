'use strict';
/** The simulator's webhooks: registration and its port rules, signed deliveries per family, faults, the ban. */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { startSimulator } = require('./simulator');
const { FAMILY_BODIES, BAN_AFTER } = require('./webhooks');
const { until } = require('../helpers/until');

const CLIENT_ID = 'sim-webhook-client';
const SECRET = 'sim-webhook-secret-123';

/** A receiver on 127.0.0.1 that keeps what it gets and answers `status`. */
function receiver() {
  return new Promise((resolve) => {
    const r = { got: [], status: 200 };
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        r.got.push({ raw: Buffer.concat(chunks), signature: req.headers['x-netatmo-secret'] });
        res.statusCode = r.status;
        res.end();
      });
    });
    server.listen(0, '127.0.0.1', () =>
      resolve(Object.assign(r, { port: server.address().port, close: () => new Promise((c) => server.close(c)) })),
    );
  });
}

describe('simulator: webhooks', () => {
  let sim;
  let rx;
  let token;
  const api = async (name, form) => {
    const res = await fetch(`${sim.url}/api/${name}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: await res.json() };
  };
  const valid = (g) => g.signature === crypto.createHmac('sha256', SECRET).update(g.raw).digest('hex');

  beforeEach(async () => {
    rx = await receiver();
    sim = await startSimulator({ clients: { [CLIENT_ID]: SECRET }, webhookRoute: () => `http://127.0.0.1:${rx.port}/hook` });
    token = sim.issueTokenSet({ clientId: CLIENT_ID, scope: 'read_camera' }).access_token;
  });
  afterEach(async () => {
    await sim.close();
    await rx.close();
  });

  it('addwebhook refuses ports outside 80, 88, 443, 9443 and bad URLs (400 code 21); a good one is registered and activated', async () => {
    for (const url of ['https://example.test:8443/x', 'http://example.test:1880/x', 'not a url', 'ftp://example.test/x']) {
      const r = await api('addwebhook', { url });
      assert.equal(r.status, 400, url);
      assert.equal(r.body.error.code, 21);
    }
    assert.match((await api('addwebhook', { url: 'https://example.test:8443/x' })).body.error.message, /80, 88, 443 and 9443/);
    for (const url of ['https://example.test/hook', 'https://example.test:9443/hook', 'http://example.test:88/hook']) {
      assert.equal((await api('addwebhook', { url })).status, 200, url);
    }
    assert.equal(sim.webhooks.registered(CLIENT_ID).url, 'http://example.test:88/hook');
    await until(() => rx.got.length >= 1, 'webhook_activation');
    assert.equal(JSON.parse(rx.got[0].raw).push_type, 'webhook_activation');
    assert.ok(valid(rx.got[0]), 'signed with the client secret');
  });

  it('dropwebhook removes it; with nothing to drop: 406 code 7', async () => {
    await api('addwebhook', { url: 'https://example.test/hook' });
    assert.equal((await api('dropwebhook', { app_types: 'app_security' })).status, 200);
    const again = await api('dropwebhook', { app_types: 'app_security' });
    assert.deepEqual([again.status, again.body.error.code], [406, 7]);
    assert.equal(sim.webhooks.registered(CLIENT_ID), undefined);
  });

  it('without a valid token nothing is registered', async () => {
    token = 'nope';
    assert.equal((await api('addwebhook', { url: 'https://example.test/hook' })).status, 403);
    assert.equal(sim.webhooks.stats.added, 0);
  });

  it('on a control call: one signed body per family, byte for byte; a wrong signature, a replay, a burst', async () => {
    await api('addwebhook', { url: 'https://example.test/hook' });
    await until(() => rx.got.length === 1, 'activation');
    for (const family of Object.keys(FAMILY_BODIES)) assert.deepEqual(await sim.webhooks.send(CLIENT_ID, { family }), [200]);
    const families = rx.got.slice(1);
    assert.deepEqual(
      families.map((g) => g.raw.toString()),
      Object.values(FAMILY_BODIES),
    );
    assert.ok(families.every(valid));
    await sim.webhooks.send(CLIENT_ID, { family: 'smoke', signature: 'wrong' });
    assert.equal(valid(rx.got.at(-1)), false);
    await sim.webhooks.send(CLIENT_ID, { family: 'smoke', signature: 'none' });
    assert.equal(rx.got.at(-1).signature, undefined);
    await sim.webhooks.send(CLIENT_ID, { family: 'doorbell', times: 3 });
    assert.equal(new Set(rx.got.slice(-3).map((g) => g.raw.toString())).size, 1, 'a replay is the same bytes');
    const statuses = await sim.webhooks.send(CLIENT_ID, { burst: 50 });
    assert.equal(statuses.length, 50);
    assert.equal(new Set(rx.got.slice(-50).map((g) => g.raw.toString())).size, 50, 'a burst is distinct events');
  });

  it('the HTTP control call sends too (for npm start)', async () => {
    await api('addwebhook', { url: 'https://example.test/hook' });
    const res = await fetch(`${sim.url}/_control/webhook/send?family=co`, { method: 'POST' });
    assert.equal(res.status, 202);
    await until(() => rx.got.some((g) => JSON.parse(g.raw).push_type === 'NCO-co_detected'), 'the CO event');
  });

  it(`after ${BAN_AFTER} failures in a row the webhook is banned: nothing more is sent, it still shows as registered`, async () => {
    await api('addwebhook', { url: 'https://example.test/hook' });
    await until(() => rx.got.length === 1, 'activation');
    rx.status = 500;
    for (let i = 0; i < BAN_AFTER; i++) assert.deepEqual(await sim.webhooks.send(CLIENT_ID, { family: 'camera' }), [500]);
    const before = rx.got.length;
    assert.deepEqual(await sim.webhooks.send(CLIENT_ID, { family: 'camera' }), [-1], 'banned: not sent');
    assert.equal(rx.got.length, before);
    assert.ok(sim.webhooks.registered(CLIENT_ID).banned);
    rx.status = 200;
    sim.webhooks.setBanned(CLIENT_ID, false);
    assert.deepEqual(await sim.webhooks.send(CLIENT_ID, { family: 'camera' }), [200]);
  });

  it('a success resets the count of failures in a row', async () => {
    await api('addwebhook', { url: 'https://example.test/hook' });
    await until(() => rx.got.length === 1, 'activation');
    for (let round = 0; round < 3; round++) {
      rx.status = 500;
      for (let i = 0; i < BAN_AFTER - 1; i++) await sim.webhooks.send(CLIENT_ID, { family: 'camera' });
      rx.status = 200;
      assert.deepEqual(await sim.webhooks.send(CLIENT_ID, { family: 'camera' }), [200]);
    }
    assert.equal(sim.webhooks.registered(CLIENT_ID).banned, false);
  });
});
