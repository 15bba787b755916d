'use strict';
/**
 * The account registers its Webhook URL at Netatmo (the simulator) from a real Node-RED: after a login,
 * through 429 and 5xx, then Netatmo's webhook_activation makes it active; clearing the URL or deleting the
 * account drops it. The simulator delivers to the Node-RED process (the reverse proxy's job: webhookRoute).
 */
const assert = require('node:assert/strict');
const { startSimulator } = require('../simulator/simulator');
const { startNodeRed } = require('../helpers/nodered');
const { until } = require('../helpers/until');
const { collector, watchedEventNode, deploy } = require('../helpers/events');

const CLIENT_ID = 'test-client-id';
const SECRET = 'registration-test-secret-77';
const PUBLIC = 'https://nr.example.org';
const HOOK_URL = `${PUBLIC}/netatmo-tokens/webhook/acc1`;
const WAIT = 20000;

const account = (extra = {}) => ({
  id: 'acc1',
  type: 'netatmo-account',
  name: 'home',
  scope: 'read_camera',
  redirectUri: 'http://localhost/',
  credentials: { clientId: CLIENT_ID, clientSecret: SECRET },
  ...extra,
});

describe('netatmo-event: registration from the account (real Node-RED, simulator)', function () {
  this.timeout(90000);
  let sim;
  let red;
  let sink;

  const status = async () => (await (await fetch(`${red.adminUrl}netatmo-tokens/acc1/status`)).json()).webhook;
  /** Deploys, then waits until the account of this deploy runs (the deploy's answer can come first). */
  const deployed = async (nodes) => {
    await deploy(red, nodes);
    await until(
      async () => (await (await fetch(`${red.adminUrl}netatmo-tokens/acc1/status`)).json()).deployed === nodes.some((n) => n.id === 'acc1'),
      'the deploy',
      WAIT,
      50,
    );
  };
  const login = async () => {
    const { refresh_token } = sim.issueTokenSet({ clientId: CLIENT_ID, scope: 'read_camera' });
    const res = await fetch(`${red.adminUrl}netatmo-tokens/acc1/code`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token }),
    });
    assert.equal(res.status, 200, await res.text());
  };

  before(async () => {
    sink = await collector();
    sim = await startSimulator({ clients: { [CLIENT_ID]: SECRET }, webhookRoute: (url) => url.replace(PUBLIC, red.url) });
    red = await startNodeRed({ settings: { netatmoTokens: { apiBase: sim.url, retryBaseSeconds: 0.2, retryMaxSeconds: 1 } } });
  });
  after(async () => {
    if (red) await red.stop();
    if (sim) await sim.close();
    if (sink) await sink.close();
  });

  it('registers after the login, through a 5xx and a 429, and becomes active with webhook_activation', async () => {
    sim.injectFault('http500', { path: '/api/addwebhook', count: 1 });
    sim.injectFault('http429', { path: '/api/addwebhook', count: 1, retryAfter: 1 });
    await deployed([account({ apiBase: sim.url, webhookUrl: HOOK_URL }), ...watchedEventNode({ id: 'all', collectorUrl: sink.url })]);
    assert.equal((await status()).status, 'off', 'no login yet: nothing registered');
    await login();
    const w = await until(async () => ((await status()).status === 'active' ? status() : false), 'the webhook to be active', WAIT, 50);
    assert.equal(w.url, HOOK_URL);
    assert.ok(w.last_event_at > 0);
    assert.equal(sim.webhooks.registered(CLIENT_ID).url, HOOK_URL);
    assert.equal(sim.webhooks.stats.added, 1);
    assert.equal(sim.stats.faultsServed, 2, 'the 5xx and the 429 were served, then it registered');
    await until(() => sink.got.some((g) => g.body.topic === 'webhook_activation'), 'webhook_activation as a message', WAIT);
    assert.deepEqual(await sim.webhooks.send(CLIENT_ID, { family: 'camera' }), [200]);
    await until(() => sink.got.some((g) => g.body.topic === 'person'), 'the camera event', WAIT);
  });

  it('a redeploy with the same URL calls nothing; clearing the URL drops it', async () => {
    const added = sim.webhooks.stats.added;
    await deployed([account({ apiBase: sim.url, webhookUrl: HOOK_URL, name: 'renamed' })]);
    await until(async () => (await status()).status === 'active', 'still active', WAIT, 50);
    assert.equal(sim.webhooks.stats.added, added);
    await deployed([account({ apiBase: sim.url, webhookUrl: '' })]);
    await until(() => sim.webhooks.stats.dropped === 1, 'dropwebhook', WAIT, 50);
    assert.equal(sim.webhooks.registered(CLIENT_ID), undefined);
    assert.equal((await status()).status, 'off');
  });

  it('deleting the account drops it', async () => {
    await deployed([account({ apiBase: sim.url, webhookUrl: HOOK_URL })]);
    await until(async () => (await status()).status === 'active', 'active again', WAIT, 50);
    await deployed([]);
    await until(() => sim.webhooks.stats.dropped === 2, 'dropwebhook on delete', WAIT, 50);
    assert.equal(sim.webhooks.registered(CLIENT_ID), undefined);
  });

  it('a port Netatmo refuses (8443) is refused before any call: failed, INVALID_INPUT; nothing secret in the log', async () => {
    const added = sim.webhooks.stats.added;
    await deployed([account({ apiBase: sim.url, webhookUrl: 'https://nr.example.org:8443/x' })]);
    const w = await until(async () => ((await status()).status === 'failed' ? status() : false), 'failed', WAIT, 50);
    assert.deepEqual(w.error, { code: 'INVALID_INPUT', api_code: null });
    assert.equal(sim.webhooks.stats.added, added);
    assert.doesNotMatch(red.output(), new RegExp(SECRET));
  });
});
