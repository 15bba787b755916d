'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/**
 * The netatmo-api node as users and Netatmo really use it (issue 20): messages built in a function node,
 * a change node, an inject node with a JSON payload, a JSON text; answers in the shapes Netatmo sends
 * (simulator SHAPES); two accounts of one Netatmo user; a token refused again after its refresh.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startSimulator, WORLD_IDS: ID, SHAPES } = require('../simulator/simulator');
const rt = require('../helpers/runtime');
const { until } = require('../helpers/until');
const { helper, API_NODES } = rt;
const { TokenStore } = require('../../dist/core/token/store');

const ALL_SCOPES = 'read_station read_thermostat write_thermostat read_homecoach';
const LIMITS = [
  { limit: 50, windowMs: 1000 },
  { limit: 500, windowMs: 10_000 },
];
/** Node-RED's own nodes, from the runtime under test. */
const core = rt.coreNode;
const NODES = [...API_NODES, core('function/10-function.js'), core('function/15-change.js'), core('common/20-inject.js')];

describe('netatmo-api as users and Netatmo use it', function () {
  this.timeout(30000);
  let sim;
  let userDir;
  const settings = (extra = {}) =>
    rt.useUserDir(userDir, {
      apiLimits: LIMITS.map((l) => ({ limit: l.limit, seconds: l.windowMs / 1000 })),
      retryBaseSeconds: 0.1,
      ...extra,
    });

  before(async () => {
    sim = await startSimulator({ clients: { [rt.CLIENT_ID]: rt.CLIENT_SECRET }, devices: true, apiLimits: LIMITS });
  });
  after(() => sim.close());
  beforeEach((done) => {
    userDir = rt.tmpDir();
    settings();
    sim.resetStats();
    sim.clearFaults();
    sim.refuseEveryToken = false;
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const apiNode = (extra = {}) => ({
    id: 'api',
    z: 'f1',
    type: 'netatmo-api',
    account: 'acc1',
    endpoint: 'homestatus',
    method: 'auto',
    params: '',
    maxWait: 30,
    wires: [['out']],
    ...extra,
  });
  const sinks = [
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'c1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
  let outcomes;
  async function load(nodes, { scope = ALL_SCOPES, accounts = ['acc1'] } = {}) {
    for (const id of accounts) await rt.seedTokens(userDir, id, sim, { scope });
    const flow = [...accounts.map((id) => rt.account(sim, { id, scope })), ...nodes, ...sinks];
    const creds = Object.assign({}, ...accounts.map((id) => rt.credentials(id)));
    await helper.load(NODES, flow, creds);
    outcomes = [];
    helper.getNode('out').on('input', (m) => outcomes.push({ sent: m }));
    helper.getNode('caught').on('input', (m) => outcomes.push({ caught: m }));
  }
  /** The next outcome (a message sent, or one at Catch). */
  async function next(n = 1) {
    await until(() => outcomes.length >= n, `${n} outcomes`, 20000);
    return outcomes.splice(0, n);
  }

  describe('1. any plain object is a parameter object; a JSON text is parsed; anything else refused', () => {
    it('a function node, a null prototype, a change node, an inject node with JSON, a JSON text', async () => {
      await load([
        {
          id: 'fn',
          z: 'f1',
          type: 'function',
          func: `msg.payload = { home_id: "${ID.home}" };\nreturn msg;`,
          outputs: 1,
          wires: [['api']],
        },
        {
          id: 'fnNull',
          z: 'f1',
          type: 'function',
          func: `msg.payload = Object.assign(Object.create(null), { home_id: "${ID.home}" });\nreturn msg;`,
          outputs: 1,
          wires: [['api']],
        },
        {
          id: 'ch',
          z: 'f1',
          type: 'change',
          rules: [{ t: 'set', p: 'payload', pt: 'msg', to: JSON.stringify({ home_id: ID.home }), tot: 'json' }],
          wires: [['api']],
        },
        {
          id: 'inj',
          z: 'f1',
          type: 'inject',
          props: [{ p: 'payload' }],
          payload: JSON.stringify({ home_id: ID.home }),
          payloadType: 'json',
          wires: [['api']],
        },
        apiNode(),
      ]);
      for (const id of ['fn', 'fnNull', 'ch', 'inj']) {
        helper.getNode(id).receive({ payload: 'start' });
        const [r] = await next();
        assert.ok(r.sent, `${id}: ${r.caught && r.caught.error.message}`);
        assert.equal(r.sent.payload.home.id, ID.home);
      }
      helper.getNode('api').receive({ payload: JSON.stringify({ home_id: ID.home }) });
      const [text] = await next();
      assert.ok(text.sent, text.caught && text.caught.error.message);
      assert.equal(sim.apiLog.at(-1).query.home_id, ID.home);
    });

    it('a number, a text that is not JSON, an array: INVALID_INPUT "msg.payload must be an object of parameters", no request', async () => {
      await load([apiNode({ endpoint: 'homesdata' })]);
      for (const payload of [1765000000000, 'home 1', [ID.home], 'true']) {
        helper.getNode('api').receive({ payload });
        const [r] = await next();
        assert.ok(r.caught, `${JSON.stringify(payload)} was sent`);
        assert.equal(r.caught.error.code, 'INVALID_INPUT');
        assert.match(r.caught.error.message, /msg\.payload must be an object of parameters/);
      }
      assert.equal(sim.apiLog.length, 0);
    });
  });

  it('2. the wait is visible: "N waiting for Netatmo\'s rate limit", not painted green while others wait, then what happened', async () => {
    settings({ apiLimits: [{ limit: 5, seconds: 1 }] });
    await load([apiNode({ endpoint: 'homesdata' })]);
    const api = helper.getNode('api');
    for (let i = 0; i < 20; i++) api.receive({});
    await next(20);
    const texts = api.status.getCalls().map((c) => c.args[0]);
    const waiting = texts.map((s, i) => [s, i]).filter(([s]) => / waiting for Netatmo's rate limit$/.test(s.text));
    assert.ok(waiting.length > 0, 'no waiting status');
    assert.ok(
      waiting.some(([s]) => Number(s.text.split(' ')[0]) >= 10),
      waiting.map(([s]) => s.text),
    );
    assert.ok(waiting.every(([s]) => s.fill === 'yellow'));
    const first = waiting[0][1];
    const lastWaiting = waiting.at(-1)[1];
    const greenBetween = texts.slice(first, lastWaiting).filter((s) => s.fill === 'green');
    assert.deepEqual(greenBetween, [], 'a success painted the status green while messages waited');
    assert.deepEqual(texts.at(-1), { fill: 'green', shape: 'dot', text: '200 homesdata' });
  });

  it('3. two accounts of one Netatmo user share one budget: a burst on both never meets a 429', async () => {
    await load(
      [
        apiNode({ id: 'api', endpoint: 'homesdata', maxWait: 5 }),
        apiNode({ id: 'api2', account: 'acc2', endpoint: 'homesdata', maxWait: 5, wires: [['out']] }),
      ],
      { accounts: ['acc1', 'acc2'] },
    );
    for (let i = 0; i < 60; i++) {
      helper.getNode('api').receive({});
      helper.getNode('api2').receive({});
    }
    const all = await next(120);
    assert.equal(sim.deviceStats.api429, 0, `${sim.deviceStats.api429} answers 429`);
    assert.ok(sim.maxApiInWindow(LIMITS[0].windowMs) <= LIMITS[0].limit);
    assert.ok(all.filter((r) => r.sent).length >= 90, `${all.filter((r) => r.sent).length} served`);
  });

  describe('4. code 13 is not always a missing scope', () => {
    it("refused although the login holds write_thermostat: API_ERROR with Netatmo's code and message, no advice to authorize", async () => {
      await load([apiNode({ endpoint: 'setroomthermpoint' })]);
      sim.answerWith('setroomthermpoint', SHAPES.setpointRefused());
      helper.getNode('api').receive({ payload: { home_id: ID.home, room_id: ID.livingRoom, mode: 'manual', temp: 21 } });
      const [r] = await next();
      assert.equal(r.caught.error.code, 'API_ERROR');
      assert.deepEqual(r.caught.netatmo.error, { code: 13, message: "Couldn't apply setpoint" });
      assert.match(r.caught.error.message, /Couldn't apply setpoint/);
      assert.doesNotMatch(r.caught.error.message, /authori[sz]e/i);
    });

    it('a login without any scope the endpoint takes: SCOPE_MISSING naming them', async () => {
      await load([apiNode({ endpoint: 'setroomthermpoint' })], { scope: 'read_station' });
      helper.getNode('api').receive({ payload: { home_id: ID.home, room_id: ID.livingRoom, mode: 'home' } });
      const [r] = await next();
      assert.equal(r.caught.error.code, 'SCOPE_MISSING');
      assert.match(r.caught.error.message, /write_thermostat/);
    });
  });

  describe('5. rate limits as Netatmo sends them', () => {
    it('403 code 26 (pretty-printed, CRLF) is RATE_LIMITED and says 403, not 429', async () => {
      await load([apiNode({ endpoint: 'homesdata', maxWait: 1 })]);
      sim.answerWith('homesdata', SHAPES.rateLimit403());
      helper.getNode('api').receive({});
      const [r] = await next();
      assert.equal(r.caught.error.code, 'RATE_LIMITED');
      assert.match(r.caught.error.message, /HTTP 403, code 26: User usage reached/);
      assert.doesNotMatch(r.caught.error.message, /429/);
      assert.deepEqual(r.caught.error.cause, { code: 26, message: 'User usage reached' });
    });

    it('429 code 26 with Retry-After: the call is sent again after it', async () => {
      await load([apiNode({ endpoint: 'homesdata', maxWait: 10 })]);
      sim.answerWith('homesdata', SHAPES.rateLimit429({ 'Retry-After': '1' }));
      const t0 = Date.now();
      helper.getNode('api').receive({});
      const [r] = await next();
      assert.ok(r.sent, r.caught && r.caught.error.message);
      assert.ok(Date.now() - t0 >= 900, `${Date.now() - t0} ms`);
    });

    it("429 code 11 (Netatmo's firewall) is tried again within seconds, and does not pause the user's other calls", async () => {
      await load([apiNode({ endpoint: 'homesdata', maxWait: 10 })]);
      sim.answerWith('homesdata', SHAPES.concurrency429());
      helper.getNode('api').receive({});
      const [r] = await next();
      assert.ok(r.sent, r.caught && r.caught.error.message);
      assert.equal(sim.stats.apiRequests, 2);
      const t0 = Date.now();
      helper.getNode('api').receive({});
      const [again] = await next();
      assert.ok(again.sent);
      assert.ok(Date.now() - t0 < 10000, `${Date.now() - t0} ms: the account was paused (a pause lasts a minute)`);
    });
  });

  describe("6. Netatmo's own words reach the user", () => {
    it('setstate "Already on" with partialAsError: msg.error.cause is {code: 23, message: "Already on"}', async () => {
      await load([apiNode({ endpoint: 'setstate', partialAsError: true })]);
      sim.answerWith('setstate', SHAPES.alreadyOn(ID.valve));
      helper.getNode('api').receive({ payload: { home: { id: ID.home, modules: [{ id: ID.valve, on: true }] } } });
      const [r] = await next();
      assert.equal(r.caught.error.code, 'API_ERROR');
      assert.deepEqual(r.caught.error.cause, { code: 23, message: 'Already on' });
    });

    it('REAUTHORIZE at Catch from the api node carries no msg.statusCode of the token endpoint', async () => {
      const tokens = { scope: ALL_SCOPES };
      await rt.seedTokens(userDir, 'acc1', sim, { ...tokens, expiresInMs: -1000 });
      sim.injectFault('invalid_grant');
      await helper.load(NODES, [rt.account(sim, { scope: ALL_SCOPES }), apiNode({ endpoint: 'homesdata' }), ...sinks], rt.credentials());
      outcomes = [];
      helper.getNode('caught').on('input', (m) => outcomes.push({ caught: m }));
      helper.getNode('api').receive({ statusCode: 200 });
      const [r] = await next();
      assert.equal(r.caught.error.code, 'REAUTHORIZE');
      assert.equal(r.caught.statusCode, undefined);
    });
  });

  it('7. a fresh token refused again: one refresh for the episode, then the account says so and Catch gets API_ERROR', async () => {
    settings({ retryBaseSeconds: 20 });
    await load([apiNode({ endpoint: 'homesdata', maxWait: 5 })]);
    sim.refuseEveryToken = true;
    for (let batch = 0; batch < 3; batch++) {
      for (let i = 0; i < 5; i++) helper.getNode('api').receive({});
      const rs = await next(5);
      assert.ok(
        rs.every((r) => r.caught && r.caught.error.code === 'API_ERROR'),
        rs.map((r) => r.caught && r.caught.error.code),
      );
    }
    assert.equal(sim.stats.refreshRequests, 1);
    const account = helper.getNode('acc1');
    assert.equal(account.manager.state.status, 'retrying');
    assert.equal(account.manager.state.error.code, 'API_ERROR');
    assert.ok(account.manager.state.retry_at > Date.now() + 5000);
  });

  describe("the simulator answers in Netatmo's shapes", () => {
    const cases = [
      [
        'a read without body: the whole answer is the payload',
        'homesdata',
        {},
        SHAPES.withoutBody(),
        (r) => assert.equal(r.sent.payload.time_exec, 0.012),
      ],
      [
        'no status nor time_server, but time_exec: msg.netatmo.time_exec',
        'homesdata',
        {},
        SHAPES.execOnly({ homes: [] }),
        (r) => {
          assert.deepEqual(r.sent.payload, { homes: [] });
          assert.equal(r.sent.netatmo.time_exec, 0.034);
          assert.equal(r.sent.netatmo.status, undefined);
        },
      ],
      [
        'homestatus of a home whose relay is disconnected: the home only as {id}, errors kept',
        'homestatus',
        { home_id: ID.home },
        SHAPES.relayDisconnected(ID.home, ID.relay),
        (r) => {
          assert.deepEqual(r.sent.payload.home, { id: ID.home });
          assert.deepEqual(r.sent.netatmo.errors, [{ code: 6, id: ID.relay }]);
        },
      ],
      [
        'getmeasure with nulls and $n type names, optimized',
        'getmeasure',
        { device_id: ID.station, scale: '30min', type: 'sum_energy_buy_from_grid$0,sum_energy_buy_from_grid$1', optimize: true },
        SHAPES.measureOptimized(),
        (r) => assert.deepEqual(r.sent.payload[0].value[1], [null, 3]),
      ],
      [
        'getmeasure keyed by timestamp',
        'getmeasure',
        { device_id: ID.station, scale: '30min', type: 'temperature', optimize: false },
        SHAPES.measureKeyed(),
        (r) => assert.deepEqual(r.sent.payload['1700001800'], [null, 3]),
      ],
      [
        '406 code 7: API_ERROR with Netatmo\'s "Nothing to update"',
        'setstate',
        { home: { id: ID.home, modules: [{ id: ID.valve }] } },
        SHAPES.nothingToUpdate(),
        (r) => {
          assert.equal(r.caught.error.code, 'API_ERROR');
          assert.deepEqual(r.caught.error.cause, { code: 7, message: 'Nothing to update' });
          assert.equal(r.caught.statusCode, 406);
        },
      ],
      [
        '500 code 0 on a device change: SERVER, not sent again',
        'setthermmode',
        { home_id: ID.home, mode: 'away' },
        SHAPES.internal0(),
        (r) => {
          assert.equal(r.caught.error.code, 'SERVER');
          assert.deepEqual(r.caught.error.cause, { code: 0, message: 'Internal Server Error' });
        },
      ],
    ];
    for (const [name, endpoint, payload, reply, check] of cases) {
      it(name, async () => {
        await load([apiNode({ endpoint })]);
        sim.answerWith(endpoint, reply);
        // Built as users do: a JSON text from an inject or a template.
        helper.getNode('api').receive({ payload: JSON.stringify(payload) });
        const [r] = await next();
        check(r);
      });
    }
  });

  describe('8. the examples and the demo show devices', () => {
    const EXAMPLES = path.join(TEST_ROOT, '..', 'examples');
    const example = (f) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8'));
    const asHelpers = (nodes) =>
      nodes
        .filter((n) => n.type !== 'inject')
        .map((n) =>
          n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper' } : n.type === 'netatmo-account' ? { ...n, apiBase: sim.url } : n,
        );

    it('every example uses one and the same account node', () => {
      const accounts = new Set();
      for (const f of fs.readdirSync(EXAMPLES).filter((x) => x.endsWith('.json'))) {
        for (const n of example(f)) if (n.type === 'netatmo-account') accounts.add(JSON.stringify(n));
      }
      assert.equal(accounts.size, 1, [...accounts].join('\n'));
    });

    /** The alert example in Node-RED, its account in `state`; resolves with the alerts once one came. */
    async function alerts(prepare) {
      const nodes = asHelpers(example('netatmo-reauthorization-alert.json'));
      const account = nodes.find((n) => n.type === 'netatmo-account').id;
      const flow = await prepare(nodes, account);
      await helper.load([...NODES, core('common/25-status.js')], flow, rt.credentials(account));
      const got = [];
      helper.getNode(nodes.find((n) => n.type === 'helper').id).on('input', (m) => got.push(m));
      await until(() => got.length > 0, 'an alert', 10000);
      return got;
    }

    it('the re-authorization alert fires at start-up for a login never authorized (grey ring)', async () => {
      const got = await alerts(async (nodes) => nodes);
      assert.match(got[0].payload, /not authorized/);
    });

    it('the re-authorization alert fires at start-up for a login Netatmo refused (stored as refused)', async () => {
      const got = await alerts(async (nodes, account) => {
        const tokens = sim.issueTokenSet({ clientId: rt.CLIENT_ID, scope: 'read_station' });
        const invalid = { code: 'invalid_grant', message: 'refused', at: Date.now() };
        await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') }).write(account, { tokens, invalid });
        return nodes;
      });
      assert.match(got[0].payload, /re-authorization needed/);
    });

    it('the re-authorization alert fires at start-up for a node without an account', async () => {
      const got = await alerts(async (nodes, account) => {
        await rt.seedTokens(userDir, account, sim);
        return nodes.map((n) => (n.type === 'netatmo-api' ? { ...n, account: 'gone' } : n));
      });
      assert.match(got[0].payload, /no account/);
    });

    it("the weather example's output is what its comment says: one reading per module with its values", async () => {
      const nodes = asHelpers(example('netatmo-weather-station.json'));
      const account = nodes.find((n) => n.type === 'netatmo-account').id;
      await rt.seedTokens(userDir, account, sim, { scope: 'read_station' });
      await helper.load(NODES, nodes, rt.credentials(account));
      const out = nodes.find((n) => n.type === 'helper' && n.id === 'b7c9d1e3f5a7b965'); // the debug node "readings"
      const got = [];
      helper.getNode(out.id).on('input', (m) => got.push(m));
      helper.getNode(nodes.find((n) => n.type === 'netatmo-api').id).receive({});
      await until(() => got.length > 0, 'readings', 10000);
      const readings = got[0].payload;
      const comment = nodes.find((n) => n.type === 'function').func.split('\n')[1];
      const keys = comment.match(/\{([^}]*)\}/)[1].split(', ');
      assert.ok(Array.isArray(readings) && readings.length >= 2, JSON.stringify(readings));
      for (const r of readings) assert.equal(Object.keys(r).join(', '), keys.join(', '));
      // Made in the function node's sandbox: compared as JSON, not by prototype.
      assert.equal(
        JSON.stringify(readings.map((r) => r.type)),
        JSON.stringify(['NAMain', ...sim.world.station.modules.map((m) => m.type)]),
      );
      assert.equal(typeof readings[0].temperature, 'number');
    });
  });
});
