'use strict';
/**
 * The netatmo-event node's endpoint in a real Node-RED process: `POST <httpNodeRoot>/netatmo-tokens/webhook/<id>`,
 * with Node-RED's defaults (httpAdminRoot and httpNodeRoot both `/`: the admin app's JSON parser sees the
 * request first) and with a separate httpNodeRoot. Real HTTP on 127.0.0.1, flows deployed through the admin API.
 */
const assert = require('node:assert/strict');
const { startNodeRed } = require('../helpers/nodered');
const { until } = require('../helpers/until');
const { FAMILY_BODIES, collector, watchedEventNode, deploy, endpointReady, post } = require('../helpers/events');

const CLIENT_ID = 'test-client-id';
const SECRET = 'endpoint-test-client-secret-42';
const account = {
  id: 'acc1',
  type: 'netatmo-account',
  name: 'home',
  scope: 'read_camera',
  redirectUri: 'http://localhost/',
  credentials: { clientId: CLIENT_ID, clientSecret: SECRET },
};
const WAIT = 15000;

describe('netatmo-event endpoint (real Node-RED, default settings: admin and node roots both /)', function () {
  this.timeout(60000);
  let red;
  let sink;
  let hook;
  const of = (node) => sink.got.filter((g) => g.path === `/${node}`).map((g) => g.body);

  before(async () => {
    sink = await collector();
    red = await startNodeRed({});
    await deploy(red, [
      account,
      ...watchedEventNode({ id: 'all', collectorUrl: sink.url }),
      ...watchedEventNode({ id: 'smoke', filter: 'smoke, co', collectorUrl: sink.url }),
      ...watchedEventNode({ id: 'slow', filter: 'doorbell', collectorUrl: sink.url, delayMs: 2000 }),
    ]);
    hook = `${red.url}/netatmo-tokens/webhook/acc1`;
    await endpointReady(hook);
  });
  after(async () => {
    if (red) await red.stop();
    if (sink) await sink.close();
  });
  beforeEach(() => sink.got.splice(0));

  it('each family arrives as one message: payload as sent, topic, msg.netatmo named the same way', async () => {
    for (const raw of Object.values(FAMILY_BODIES)) assert.equal((await post(hook, raw, { secret: SECRET })).status, 200, raw);
    const all = await until(() => of('all').length >= Object.keys(FAMILY_BODIES).length && of('all'), 'every family on the all node', WAIT);
    const byFamily = Object.fromEntries(all.map((m) => [m.netatmo.family, m]));
    assert.deepEqual(Object.keys(byFamily).sort(), Object.keys(FAMILY_BODIES).sort());
    for (const [family, raw] of Object.entries(FAMILY_BODIES)) assert.deepEqual(byFamily[family].payload, JSON.parse(raw), family);
    assert.equal(byFamily.camera.topic, 'person');
    assert.equal(byFamily.camera.payload.message, 'Alice vue à la maison');
    assert.deepEqual(byFamily.camera.netatmo, {
      family: 'camera',
      push_type: 'NACamera-person',
      event_type: 'person',
      home_id: 'h1',
      device_id: '70:ee:50:00:00:01',
      event_id: 'ev-cam-1',
      person_ids: ['p1'],
      verified: true,
    });
    assert.equal(byFamily.lifecycle.topic, 'webhook_activation');
    assert.equal(byFamily.thermostat.netatmo.room_id, 'r1');
    assert.equal(byFamily.device.netatmo.device_id, '70:ee:50:00:00:07');
    // Another node on the same account gets only what its filter keeps.
    await until(() => of('smoke').length >= 2, 'smoke and co on the filtered node', WAIT);
    assert.deepEqual(
      of('smoke')
        .map((m) => m.topic)
        .sort(),
      ['co_detected', 'smoke'],
    );
  });

  it('bad, missing and replayed signatures, oversize and malformed bodies emit nothing; the next good event still comes', async () => {
    const raw = '{"push_type":"NOC-human","event_type":"human","event_id":"ev-bad-1","home_id":"h1","camera_id":"c1"}';
    assert.equal((await post(hook, raw, { signature: null })).status, 401, 'no signature');
    assert.equal((await post(hook, raw, { secret: 'not-the-secret' })).status, 403, 'signed with another key');
    assert.equal((await post(hook, raw, { signature: 'x' })).status, 403, 'not a digest');
    const reserialised = JSON.stringify(JSON.parse(FAMILY_BODIES.camera));
    const sigOfOriginal = require('../helpers/events').sign(SECRET, FAMILY_BODIES.camera);
    assert.equal((await post(hook, reserialised, { signature: sigOfOriginal })).status, 403, 'the same JSON with other bytes');
    assert.equal((await post(hook, `{"pad":"${'x'.repeat(70 * 1024)}"}`, { secret: SECRET })).status, 413, 'over 64 KiB');
    assert.equal((await post(hook, '{"push_type":', { secret: SECRET })).status, 400, 'broken JSON');
    assert.equal((await post(hook, FAMILY_BODIES.camera, { secret: SECRET })).status, 200, 'a replay is answered 200');
    assert.equal((await post(`${red.url}/netatmo-tokens/webhook/nosuch`, raw, { secret: SECRET })).status, 404, 'unknown account');
    const good = '{"push_type":"NOC-vehicle","event_type":"vehicle","event_id":"ev-good-1","home_id":"h1","camera_id":"c1"}';
    assert.equal((await post(hook, good, { secret: SECRET })).status, 200);
    await until(() => of('all').some((m) => m.topic === 'vehicle'), 'the good event', WAIT);
    assert.deepEqual(
      of('all').map((m) => m.topic),
      ['vehicle'],
      'nothing refused and no replay left the node',
    );
  });

  it('a flow that takes 2 s per event does not delay the 200', async () => {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const raw = `{"push_type":"NDB-incoming_call","event_type":"incoming_call","event_id":"ev-slow-${i}","home_id":"h1","device_id":"d1"}`;
      const r = await post(hook, raw, { secret: SECRET });
      assert.equal(r.status, 200);
      times.push(r.ms);
    }
    const answeredAt = Date.now();
    // Only this test's events: a doorbell of an earlier test may still be in the slow flow.
    const mine = () => sink.got.filter((g) => g.path === '/slow' && /^ev-slow-/.test(g.body.payload.event_id));
    await until(() => mine().length === 5, 'the slow flow to finish', WAIT);
    assert.ok(Math.max(...times) < 1000, `every 200 well before the flow's 2 s: ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
    assert.ok(
      mine().every((g) => g.at >= answeredAt),
      'the flow ended after the answers',
    );
  });

  it('nothing secret in any output: the client secret signs, it never appears', async () => {
    assert.doesNotMatch(red.output(), new RegExp(SECRET));
    assert.doesNotMatch(JSON.stringify(sink.got), new RegExp(SECRET));
  });
});

describe('netatmo-event endpoint (real Node-RED, httpNodeRoot /endpoint)', function () {
  this.timeout(60000);
  let red;
  let sink;

  before(async () => {
    sink = await collector();
    red = await startNodeRed({ settings: { httpNodeRoot: '/endpoint' } });
    await deploy(red, [account, ...watchedEventNode({ id: 'all', collectorUrl: sink.url })]);
    await endpointReady(`${red.url}/endpoint/netatmo-tokens/webhook/acc1`);
  });
  after(async () => {
    if (red) await red.stop();
    if (sink) await sink.close();
  });

  it('receives under httpNodeRoot, not under the admin root', async () => {
    const raw = FAMILY_BODIES.smoke;
    assert.equal((await post(`${red.url}/netatmo-tokens/webhook/acc1`, raw, { secret: SECRET })).status, 404);
    assert.equal((await post(`${red.url}/endpoint/netatmo-tokens/webhook/acc1`, raw, { secret: SECRET })).status, 200);
    assert.equal((await post(`${red.url}/endpoint/netatmo-tokens/webhook/acc1`, raw, { secret: 'wrong' })).status, 403);
    await until(() => sink.got.length === 1, 'the event', WAIT);
    assert.equal(sink.got[0].body.topic, 'smoke');
  });
});
