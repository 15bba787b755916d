'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/**
 * The netatmo-event node in node-red-node-test-helper: relayed input messages (an http in node, Home
 * Assistant's webhook through Nabu Casa), the status counters, filters, a missing account.
 */
const assert = require('node:assert/strict');
const rt = require('../helpers/runtime');
const { until } = require('../helpers/until');
const { sign, FAMILY_BODIES } = require('../helpers/events');

const { helper, EVENT_NODES, CLIENT_SECRET } = rt;

function flow(event = {}) {
  return [
    { id: 'f1', type: 'tab' },
    rt.account({ sim: undefined }, { apiBase: 'http://127.0.0.1:9' }),
    { id: 'ev', z: 'f1', type: 'netatmo-event', account: 'acc1', filter: '', wires: [['out']], ...event },
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'c1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
}

describe('netatmo-event node: relayed input messages', function () {
  this.timeout(20000);
  beforeEach((done) => {
    rt.useUserDir(rt.tmpDir('netatmo-event-'));
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });

  const relayed = (raw, signature, where = 'headers') => {
    const headers = signature === undefined ? {} : { 'X-Netatmo-Secret': signature };
    return where === 'req'
      ? { payload: raw, req: { headers: { 'x-netatmo-secret': signature } }, _msgid: 'm1' }
      : { payload: raw, headers };
  };

  it('a signed body from msg.headers or msg.req.headers (string or Buffer) leaves verified, as the endpoint makes it', async () => {
    await helper.load(EVENT_NODES, flow(), rt.credentials());
    const ev = helper.getNode('ev');
    const out = helper.getNode('out');
    const got = rt.collect(out, 2);
    ev.receive(relayed(FAMILY_BODIES.smoke, sign(CLIENT_SECRET, FAMILY_BODIES.smoke)));
    const raw = Buffer.from(FAMILY_BODIES.thermostat);
    ev.receive(relayed(raw, sign(CLIENT_SECRET, raw), 'req'));
    const [smoke, therm] = await got;
    assert.equal(smoke.topic, 'smoke');
    assert.deepEqual(smoke.payload, JSON.parse(FAMILY_BODIES.smoke));
    assert.equal(smoke.netatmo.verified, true);
    assert.equal(smoke.netatmo.family, 'smoke');
    assert.equal(therm.topic, 'set_point');
    assert.equal(therm.netatmo.room_id, 'r1');
    assert.ok(therm.req, 'the rest of the message is kept (an http response node can still answer)');
  });

  it('unsigned, wrongly signed and re-serialised input goes to Catch, nothing leaves; the status counts it', async () => {
    await helper.load(EVENT_NODES, flow(), rt.credentials());
    const ev = helper.getNode('ev');
    const out = helper.getNode('out');
    let sent = 0;
    out.on('input', () => sent++);
    const caught = rt.collect(helper.getNode('caught'), 3);
    ev.receive(relayed(FAMILY_BODIES.co));
    ev.receive(relayed(FAMILY_BODIES.co, sign('another-secret', FAMILY_BODIES.co)));
    ev.receive(relayed(JSON.parse(FAMILY_BODIES.camera), sign(CLIENT_SECRET, FAMILY_BODIES.camera)));
    const errors = (await caught).map((m) => m.error);
    assert.deepEqual(
      errors.map((e) => e.code),
      ['INVALID_INPUT', 'INVALID_INPUT', 'INVALID_INPUT'],
    );
    assert.match(errors[0].message, /no x-netatmo-secret header/);
    assert.match(errors[1].message, /does not match/);
    assert.equal(sent, 0);
    const status = await rt.statusWhere(ev, (s) => /3 refused/.test(s.text || ''));
    assert.equal(status.text, '0 events (last -), 3 refused');
    assert.doesNotMatch(JSON.stringify(errors), new RegExp(CLIENT_SECRET));
  });

  it('the same event relayed twice leaves once', async () => {
    await helper.load(EVENT_NODES, flow(), rt.credentials());
    const ev = helper.getNode('ev');
    const out = helper.getNode('out');
    const seen = [];
    out.on('input', (m) => seen.push(m));
    const sig = sign(CLIENT_SECRET, FAMILY_BODIES.doorbell);
    ev.receive(relayed(FAMILY_BODIES.doorbell, sig));
    ev.receive(relayed(FAMILY_BODIES.doorbell, sig));
    ev.receive(relayed(FAMILY_BODIES.siren, sign(CLIENT_SECRET, FAMILY_BODIES.siren)));
    await until(() => seen.length === 2, 'doorbell and siren');
    assert.deepEqual(
      seen.map((m) => m.topic),
      ['incoming_call', 'siren_sounding'],
    );
    await rt.statusWhere(ev, (s) => /^2 events/.test(s.text || ''));
  });

  it('with "accept unsigned", an unsigned body leaves marked verified: false; a wrong signature is still refused', async () => {
    await helper.load(EVENT_NODES, flow({ allowUnsigned: true }), rt.credentials());
    const ev = helper.getNode('ev');
    const got = rt.collect(helper.getNode('out'), 1);
    const caught = rt.collect(helper.getNode('caught'), 1);
    ev.receive(relayed(FAMILY_BODIES.alarm));
    ev.receive(relayed(FAMILY_BODIES.co, sign('another-secret', FAMILY_BODIES.co)));
    const [m] = await got;
    assert.equal(m.netatmo.verified, false);
    assert.equal(m.topic, 'alarm_started');
    assert.equal((await caught)[0].error.code, 'INVALID_INPUT');
  });

  it('a filter keeps only its families or types', async () => {
    await helper.load(EVENT_NODES, flow({ filter: 'thermostat, person' }), rt.credentials());
    const ev = helper.getNode('ev');
    const seen = [];
    helper.getNode('out').on('input', (m) => seen.push(m.topic));
    for (const raw of Object.values(FAMILY_BODIES)) ev.receive(relayed(raw, sign(CLIENT_SECRET, raw)));
    await rt.statusWhere(ev, (s) =>
      new RegExp(`^${Object.keys(FAMILY_BODIES).length} events \\(last \\d\\d:\\d\\d\\), 0 refused$`).test(s.text || ''),
    );
    assert.deepEqual(seen.sort(), ['person', 'set_point']);
  });

  it('without an account: one error, a red status, each message to Catch with NO_ACCOUNT', async () => {
    await helper.load(
      EVENT_NODES,
      flow({ account: 'nope' }).filter((n) => n.type !== 'netatmo-account'),
      {},
    );
    const ev = helper.getNode('ev');
    const caught = rt.collect(helper.getNode('caught'), 1);
    ev.receive({ payload: '{}' });
    assert.equal((await caught)[0].error.code, 'NO_ACCOUNT');
    await rt.statusWhere(ev, (s) => s.fill === 'red');
  });
});

describe('netatmo-event examples', function () {
  this.timeout(20000);
  const fs = require('node:fs');
  const path = require('node:path');
  const { FAMILY_BODIES: B } = require('../simulator/webhooks');
  beforeEach((done) => {
    rt.useUserDir(rt.tmpDir('netatmo-event-ex-'));
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
  });

  const cases = [
    ['netatmo-event-person-seen.json', B.camera, /Alice vue à la maison/],
    ['netatmo-event-doorbell.json', B.doorbell, /^Doorbell ringing \(incoming_call\) at /],
    ['netatmo-event-smoke-alarm.json', B.co, /^Carbon monoxide alarm \(co_detected\) in home h1, device 70:ee:50:00:00:05$/],
    ['netatmo-event-set-point.json', B.thermostat, /^Room r1: 21.5 °C \(manual\)$/],
  ];
  for (const [file, raw, expected] of cases) {
    it(`${file}: the event becomes its notification text; other families do not pass the filter`, async () => {
      const flow = JSON.parse(fs.readFileSync(path.join(TEST_ROOT, '..', 'examples', file), 'utf8'));
      const acc = flow.find((n) => n.type === 'netatmo-account');
      const ev = flow.find((n) => n.type === 'netatmo-event');
      const dbg = flow.find((n) => n.type === 'debug' && n.name === 'notification');
      const nodes = flow
        .map((n) => (n.id === dbg.id ? { id: n.id, z: n.z, type: 'helper' } : n))
        .filter((n) => !n.type.startsWith('http '));
      const core = rt.coreNode;
      await helper.load([...EVENT_NODES, core('function/10-function.js'), core('common/21-debug.js')], nodes, {
        [acc.id]: { clientId: rt.CLIENT_ID, clientSecret: CLIENT_SECRET },
      });
      const got = [];
      helper.getNode(dbg.id).on('input', (m) => got.push(m.payload));
      helper.getNode(ev.id).receive({ payload: B.lifecycle, headers: { 'x-netatmo-secret': sign(CLIENT_SECRET, B.lifecycle) } });
      helper.getNode(ev.id).receive({ payload: raw, headers: { 'x-netatmo-secret': sign(CLIENT_SECRET, raw) } });
      await until(() => got.length >= 1, 'the notification');
      assert.equal(got.length, 1);
      assert.match(got[0], expected);
    });
  }
});
