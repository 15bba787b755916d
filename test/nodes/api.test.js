'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/**
 * The netatmo-api node in a real Node-RED runtime against the simulator's device API:
 * encodings as received, token refused early, rate budget under a burst, 429 pauses,
 * retries (a read after a reset, never a device change), every error code at Catch, secrets.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startSimulator, WORLD_IDS: ID } = require('../simulator/simulator');
const rt = require('../helpers/runtime');
const { helper, API_NODES } = rt;

const ALL_SCOPES = 'read_station read_thermostat write_thermostat read_homecoach read_camera';
/** Small windows, so a burst shows the budget at work in seconds; Netatmo's real ones are 10 s and 1 h. */
const LIMITS = [
  { limit: 50, windowMs: 1000 },
  { limit: 500, windowMs: 10_000 },
];

describe('netatmo-api in a Node-RED runtime', function () {
  this.timeout(30000);
  let sim;
  let userDir;

  before(async () => {
    sim = await startSimulator({ clients: { [rt.CLIENT_ID]: rt.CLIENT_SECRET }, devices: true, apiLimits: LIMITS });
  });
  after(() => sim.close());

  beforeEach((done) => {
    userDir = rt.useUserDir(rt.tmpDir(), {
      apiLimits: LIMITS.map((l) => ({ limit: l.limit, seconds: l.windowMs / 1000 })),
      retryBaseSeconds: 0.1,
    });
    sim.resetStats();
    sim.clearFaults();
    sim.unreachable.clear();
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const flow = (api = {}, extra = []) => rt.apiFlow(sim, { scope: ALL_SCOPES, api, extra });
  async function load(api, { scope = ALL_SCOPES, seed = true, extra } = {}) {
    const tokens = seed ? await rt.seedTokens(userDir, 'acc1', sim, { scope }) : undefined;
    await helper.load(API_NODES, flow(api, extra), rt.credentials());
    watch();
    return tokens;
  }
  /** Outcomes (a message sent, or one at Catch), in the order they came. */
  let results;
  let wanted;
  function watch() {
    results = [];
    wanted = [];
    const push = (r) => (wanted.length ? wanted.shift()(r) : results.push(r));
    helper.getNode('out').on('input', (m) => push({ sent: m }));
    helper.getNode('caught').on('input', (m) => push({ caught: m }));
  }
  const next = () => (results.length ? Promise.resolve(results.shift()) : new Promise((r) => wanted.push(r)));
  function call(msg = {}) {
    helper.getNode('api').receive(msg);
    return next();
  }
  /** The next `n` outcomes, sent and caught apart. */
  async function outcomes(n) {
    const all = [];
    for (let i = 0; i < n; i++) all.push(await next());
    return { sent: all.filter((r) => r.sent).map((r) => r.sent), caught: all.filter((r) => r.caught).map((r) => r.caught) };
  }

  it('homestatus: the home from msg.payload, the body as msg.payload, msg.statusCode, msg.netatmo, status "200 homestatus"', async () => {
    await load({ endpoint: 'homestatus' });
    const { sent } = await call({ payload: { home_id: ID.home }, headers: { 'X-Mine': 'not sent' } });
    assert.equal(sent.statusCode, 200);
    assert.equal(sent.payload.home.id, ID.home);
    assert.deepEqual(
      sent.payload.home.rooms.map((r) => r.id),
      [ID.livingRoom, ID.bedroom],
    );
    assert.equal(typeof sent.payload.home.rooms[0].therm_measured_temperature, 'number');
    assert.deepEqual(Object.keys(sent.netatmo).sort(), ['endpoint', 'errors', 'status', 'time_server']);
    assert.equal(sent.netatmo.endpoint, 'homestatus');
    assert.equal(sent.netatmo.status, 'ok');
    assert.deepEqual(sent.netatmo.errors, []);
    assert.ok(Math.abs(sent.netatmo.time_server - Date.now() / 1000) < 60);
    const seen = sim.apiLog.at(-1);
    assert.deepEqual(seen.query, { home_id: ID.home }, 'msg.headers are not sent as parameters or headers');
    assert.deepEqual(helper.getNode('api').status.lastCall.args[0], { fill: 'green', shape: 'dot', text: '200 homestatus' });
  });

  it('sends each endpoint as Netatmo takes it: GET with a query, POST with a form, setstate and synchomeschedule as JSON', async () => {
    await load({ endpoint: '' });
    const cases = [
      ['homesdata', {}, 'GET', 'query'],
      ['homestatus', { home_id: ID.home }, 'GET', 'query'],
      ['getevents', { home_id: ID.home, size: 5 }, 'GET', 'query'],
      ['getstationsdata', { device_id: ID.station, get_favorites: false }, 'GET', 'query'],
      [
        'getmeasure',
        { device_id: ID.station, module_id: ID.outdoor, scale: '1hour', type: ['Temperature', 'Humidity'], limit: 3 },
        'GET',
        'query',
      ],
      ['gethomecoachsdata', {}, 'GET', 'query'],
      ['getroommeasure', { home_id: ID.home, room_id: ID.bedroom, scale: '30min', type: 'temperature' }, 'GET', 'query'],
      ['setroomthermpoint', { home_id: ID.home, room_id: ID.livingRoom, mode: 'manual', temp: 21.5 }, 'POST', 'form'],
      ['setthermmode', { home_id: ID.home, mode: 'away' }, 'POST', 'form'],
      ['switchhomeschedule', { home_id: ID.home, schedule_id: ID.coldSchedule }, 'POST', 'form'],
      ['setstate', { home: { id: ID.home, modules: [{ id: ID.valve, target_position: 50 }] } }, 'POST', 'json'],
      [
        'synchomeschedule',
        { home_id: ID.home, schedule_id: ID.schedule, timetable: [{ zone_id: 0, m_offset: 0 }], zones: [{ id: 0, type: 0 }] },
        'POST',
        'json',
      ],
    ];
    const flatten = (p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
    for (const [endpoint, payload, method, encoding] of cases) {
      const { sent, caught } = await call({ endpoint, payload });
      assert.ok(sent, `${endpoint}: ${caught && caught.error.message}`);
      const seen = sim.apiLog.at(-1);
      assert.equal(seen.endpoint, endpoint);
      assert.equal(seen.method, method, endpoint);
      if (encoding === 'query') {
        assert.deepEqual(seen.query, flatten(payload), endpoint);
        assert.equal(seen.contentType, '', `${endpoint}: no body`);
      } else if (encoding === 'form') {
        assert.equal(seen.contentType, 'application/x-www-form-urlencoded', endpoint);
        assert.deepEqual(seen.form, flatten(payload), endpoint);
        assert.deepEqual(seen.query, {}, endpoint);
      } else {
        assert.equal(seen.contentType, 'application/json', endpoint);
        assert.deepEqual(seen.json, payload, endpoint);
        assert.deepEqual(seen.query, {}, endpoint);
      }
      assert.equal(sent.statusCode, 200);
    }
    assert.equal(sim.apiLog.length, cases.length);
    assert.equal(sim.world.rooms[ID.livingRoom].setpoint, 21.5, 'the simulator applied setroomthermpoint');
  });

  it("the node's parameters, then msg.payload (the message wins); method POST sends a read as a form; a path works too", async () => {
    await load({ endpoint: 'getstationsdata', method: 'POST', params: JSON.stringify({ device_id: 'nope', get_favorites: true }) });
    const { sent } = await call({ payload: { device_id: ID.station } });
    assert.equal(sent.payload.devices[0]._id, ID.station);
    assert.equal(sent.payload.devices[0].dashboard_data.Temperature, 21.3);
    const seen = sim.apiLog.at(-1);
    assert.equal(seen.method, 'POST');
    assert.deepEqual(seen.form, { device_id: ID.station, get_favorites: 'true' });
    await helper.unload();

    await load({ endpoint: '/api/gethomecoachsdata' });
    const coach = await call({ payload: '' });
    assert.equal(coach.sent.payload.devices[0].type, 'NHC');
    assert.equal(coach.sent.netatmo.endpoint, '/api/gethomecoachsdata');
    assert.equal(sim.apiLog.at(-1).method, 'GET');
  });

  it('a partial failure (HTTP 200 with body.errors) is sent with msg.netatmo.errors; with partialAsError it goes to Catch', async () => {
    sim.setUnreachable(ID.valve);
    await load({ endpoint: 'homestatus', params: `{"home_id":"${ID.home}"}` });
    const { sent } = await call({});
    assert.deepEqual(sent.netatmo.errors, [{ code: 6, id: ID.valve }]);
    assert.ok(!sent.payload.home.modules.some((m) => m.id === ID.valve));
    await helper.unload();

    await load({ endpoint: 'setstate', partialAsError: true });
    const { caught } = await call({ payload: { home: { id: ID.home, modules: [{ id: ID.valve, target_position: 0 }] } } });
    assert.equal(caught.error.code, 'API_ERROR');
    assert.match(caught.error.message, /1 module/);
    assert.deepEqual(caught.netatmo.errors, [{ code: 6, id: ID.valve }]);
    assert.equal(caught.netatmo.error.code, 6);
  });

  it("every error code reaches Catch with msg.error.code; Netatmo's own error as msg.error.cause and msg.netatmo.error", async () => {
    const expect = async (msg, code, check = () => {}) => {
      const before = sim.stats.apiRequests;
      const { sent, caught } = await call(msg);
      assert.ok(caught, `${code}: expected Catch, got ${String(JSON.stringify(sent)).slice(0, 200)}`);
      assert.equal(caught.error.code, code, caught.error.message);
      check(caught, sim.stats.apiRequests - before);
    };
    // Only read_station granted: writes lack write_thermostat.
    await load({ endpoint: '', maxWait: 0 }, { scope: 'read_station' });
    await expect({ endpoint: 'setthermmode', payload: { home_id: ID.home, mode: 'away' } }, 'SCOPE_MISSING', (m) => {
      assert.match(m.error.message, /write_thermostat/);
      assert.deepEqual(m.error.cause, { code: 13, message: 'Application does not have the good scope rights' });
      assert.deepEqual(m.netatmo.error, m.error.cause);
      assert.equal(m.statusCode, 403);
    });
    await expect({ endpoint: 'homestatus', payload: { home_id: 'not-a-home' } }, 'API_ERROR', (m) => {
      assert.equal(m.error.cause.code, 9);
      assert.equal(m.netatmo.error.code, 9);
    });
    await expect(
      { endpoint: 'getmeasure', payload: { device_id: ID.station, scale: 'minute', type: 'Temperature' } },
      'INVALID_INPUT',
      (m, n) => {
        assert.match(m.error.message, /scale must be one of/);
        assert.equal(n, 0, 'refused before any request');
      },
    );
    await expect({ endpoint: 'homestatus' }, 'INVALID_INPUT', (m, n) => {
      assert.match(m.error.message, /needs home_id/);
      assert.equal(n, 0);
    });
    await expect({ endpoint: '/api/../oauth2/token' }, 'INVALID_INPUT');
    await expect({ endpoint: 'homesdata', payload: { access_token: 'mine' } }, 'INVALID_INPUT');
    // The API's own checks, for a path the catalogue does not check: 10 missing, 21 invalid.
    await expect({ endpoint: '/api/homestatus' }, 'API_ERROR', (m) => assert.equal(m.error.cause.code, 10));
    await expect({ endpoint: '/api/getmeasure', payload: { device_id: ID.station, scale: 'x', type: 't' } }, 'API_ERROR', (m) =>
      assert.equal(m.error.cause.code, 21),
    );
    sim.injectFault('http429', { path: '/api/', retryAfter: 5 });
    await expect({ endpoint: 'homesdata' }, 'RATE_LIMITED', (m) => assert.equal(m.error.cause.code, 26));
    await helper.unload();

    await load({ endpoint: 'homesdata', maxWait: 0 });
    sim.injectFault('http500', { path: '/api/' });
    await expect({}, 'SERVER');
    sim.injectFault('notjson', { path: '/api/' });
    await expect({}, 'BAD_RESPONSE');
    sim.injectFault('reset', { path: '/api/' });
    await expect({}, 'NETWORK');
    await helper.unload();

    fs.rmSync(path.join(userDir, 'netatmo-tokens'), { recursive: true, force: true });
    await load({ endpoint: 'homesdata', maxWait: 0 }, { seed: false });
    await expect({}, 'NOT_AUTHORIZED');
    assert.equal(helper.getNode('api').status.lastCall.args[0].text, 'not authorized');
    await helper.unload();

    await rt.seedTokens(userDir, 'acc1', sim, { scope: ALL_SCOPES, expiresInMs: -1000 });
    sim.injectFault('invalid_grant');
    await helper.load(API_NODES, flow({ endpoint: 'homesdata', maxWait: 0 }), rt.credentials());
    watch();
    await expect({}, 'REAUTHORIZE');
    const api = helper.getNode('api');
    await rt.statusWhere(api, (s) => s.text === 're-authorization needed');
    // Authorized again (a pasted refresh token): the red REAUTHORIZE of the last call is not kept.
    const issued = sim.issueTokens({ clientId: rt.CLIENT_ID, scope: ALL_SCOPES });
    await helper.request().post('/netatmo-tokens/acc1/code').send({ refresh_token: issued.refresh_token }).expect(200);
    assert.match(api.status.lastCall.args[0].text, /^token renews by \d\d:\d\d$/);
  });

  it('a device change is not sent again after a reset (it may have been applied); a read is', async () => {
    await load({ endpoint: '' });
    sim.injectFault('reset', { path: '/api/setroomthermpoint' });
    const { caught } = await call({ endpoint: 'setroomthermpoint', payload: { home_id: ID.home, room_id: ID.bedroom, mode: 'max' } });
    assert.equal(caught.error.code, 'NETWORK');
    assert.match(caught.error.message, /not sent again: Netatmo may have applied setroomthermpoint/);
    assert.equal(sim.stats.apiRequests, 1);

    sim.injectFault('reset', { path: '/api/homestatus' });
    sim.injectFault('http503', { path: '/api/homestatus' });
    const { sent } = await call({ endpoint: 'homestatus', payload: { home_id: ID.home } });
    assert.equal(sent.statusCode, 200);
    assert.equal(sim.stats.apiRequests, 1 + 3, 'reset, 503, then served');
  });

  it('a burst of 600 calls: the simulator never answers 429 nor sees more than 50 requests in any window; the rest goes to Catch as RATE_LIMITED at once', async () => {
    await load({ endpoint: 'homesdata', maxWait: 2.5 });
    const api = helper.getNode('api');
    const done = outcomes(600);
    const t0 = Date.now();
    for (let i = 0; i < 600; i++) api.receive({ i });
    const { sent, caught } = await done;
    const elapsed = Date.now() - t0;
    const max = sim.maxApiInWindow(LIMITS[0].windowMs);
    console.log(
      `      [burst] 600 calls: ${sent.length} served, ${caught.length} RATE_LIMITED, 429s: ${sim.deviceStats.api429}, ` +
        `most requests in any ${LIMITS[0].windowMs} ms: ${max} of ${LIMITS[0].limit} (${((max / LIMITS[0].limit) * 100).toFixed(0)} %), ${elapsed} ms`,
    );
    assert.equal(sim.deviceStats.api429, 0);
    assert.ok(max <= LIMITS[0].limit, `${max} requests in one window`);
    assert.equal(sent.length, sim.apiLog.length);
    // 45 per window, counted until a window after the answer: at most 3 turns within 2.5 s, and at least
    // the first whole one. How many more fit in 2.5 s of real time is the machine's speed (2 or 3 idle, fewer
    // on a busy one): the core suite checks the budget's arithmetic exactly on a manual clock.
    assert.ok(sent.length >= 45 && sent.length <= 135, `${sent.length} served`);
    assert.ok(caught.every((m) => m.error.code === 'RATE_LIMITED'));
    // "At once": nothing waits past maxWait (2.5 s) plus the time a busy runtime takes to hand 600 messages on.
    assert.ok(elapsed < 6000, `${elapsed} ms`);
    assert.ok(api.status.getCalls().some((c) => / waiting for Netatmo's rate limit$/.test(c.args[0].text)));
  });

  it('a 429 pauses the whole account for Retry-After; the refused call is sent again after it', async () => {
    await load({ endpoint: 'homesdata' });
    sim.injectFault('http429', { path: '/api/', retryAfter: 1 });
    const t0 = Date.now();
    helper.getNode('api').receive({ n: 1 });
    await new Promise((r) => setTimeout(r, 100));
    helper.getNode('api').receive({ n: 2 });
    const { sent } = await outcomes(2);
    assert.equal(sent.length, 2);
    assert.equal(sim.stats.faultsServed, 1);
    assert.equal(sim.apiLog.length, 2);
    for (const e of sim.apiLog) assert.ok(e.at - t0 >= 1000, `sent ${e.at - t0} ms after the 429`);
  });

  it('early revocation: 100 calls refused together cost one refresh, and all are served', async () => {
    const first = await load({ endpoint: 'homesdata' }, { extra: [] });
    await call({});
    sim.resetStats();
    assert.ok(sim.revokeAccessTokens() >= 1);
    const done = outcomes(100);
    for (let i = 0; i < 100; i++) helper.getNode('api').receive({ i });
    const { sent, caught } = await done;
    assert.deepEqual(
      caught.map((m) => m.error.message),
      [],
    );
    assert.equal(sent.length, 100);
    assert.equal(sim.stats.refreshRequests, 1);
    const stored = await rt.readStored(userDir, 'acc1');
    assert.notEqual(stored.tokens.access_token, first.access_token);
    assert.ok(sim.isValidRefreshToken(stored.tokens.refresh_token));
  });

  it('a refused token whose refresh is refused too: REAUTHORIZE at Catch, the status says re-authorization needed', async () => {
    await load({ endpoint: 'homesdata' });
    sim.revokeAccessTokens();
    sim.injectFault('invalid_grant');
    const { caught } = await call({});
    assert.equal(caught.error.code, 'REAUTHORIZE');
    assert.equal(sim.stats.refreshRequests, 1);
    await rt.statusWhere(helper.getNode('api'), (s) => s.text === 're-authorization needed');
  });

  it('a call refused twice is not sent a third time: API_ERROR with code 2', async () => {
    const { ApiClient, prepareCall } = require('../../dist/core/api/client');
    const { RateBudget } = require('../../dist/core/api/rate-budget');
    const http = require('node:http');
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 2, message: 'Invalid access token' } }));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    let n = 0;
    const rejected = [];
    const tokens = {
      fresh: () => ({ access_token: `token-${n}-abcdef`, refresh_token: 'r', scope: [], expires_at: Date.now() + 1e6, obtained_at: 0 }),
      getToken: async () => tokens.fresh(),
      rejectAccessToken: (t) => (rejected.push(t), n++),
    };
    try {
      const client = new ApiClient({ apiBase: `http://127.0.0.1:${server.address().port}` });
      const err = await client
        .call(prepareCall('homesdata', 'auto'), { tokens, budget: new RateBudget(), maxWaitMs: 5000 })
        .catch((e) => e);
      assert.equal(err.code, 'API_ERROR');
      assert.equal(err.cause.code, 2);
      assert.equal(requests, 2);
      // The second refusal is told to the account too: it decides whether to refresh again (once per episode).
      assert.deepEqual(rejected, ['token-0-abcdef', 'token-1-abcdef']);
    } finally {
      server.close();
    }
  });

  it('a token refused by the API is not handed out by token nodes any more', async () => {
    const first = await load(
      { endpoint: 'homesdata' },
      {
        extra: [
          { id: 'tok', z: 'f1', type: 'netatmo-token', account: 'acc1', interval: 0, wires: [['tokOut']] },
          { id: 'tokOut', z: 'f1', type: 'helper' },
        ],
      },
    );
    sim.revokeAccessTokens();
    const { sent } = await call({});
    assert.equal(sent.statusCode, 200);
    const got = rt.collect(helper.getNode('tokOut'), 1);
    helper.getNode('tok').receive({});
    const [m] = await got;
    assert.notEqual(m.access_token, first.access_token);
    assert.equal(sim.stats.refreshRequests, 1);
  });

  it('a message waits (maxWait) through a transient refresh failure instead of going to Catch at once: api and token nodes', async () => {
    await rt.seedTokens(userDir, 'acc1', sim, { scope: ALL_SCOPES, expiresInMs: -1000 });
    sim.injectFault('http500');
    const extra = [
      { id: 'tok', z: 'f1', type: 'netatmo-token', account: 'acc1', interval: 0, maxWait: 30, wires: [['tokOut']] },
      { id: 'tokOut', z: 'f1', type: 'helper' },
    ];
    await helper.load(API_NODES, flow({ endpoint: 'homesdata' }, extra), rt.credentials());
    watch();
    const got = rt.collect(helper.getNode('tokOut'), 1);
    helper.getNode('tok').receive({});
    const { sent, caught } = await call({});
    assert.ok(sent, caught && caught.error.code);
    const [m] = await got;
    assert.ok(m.access_token);
    assert.equal(sim.stats.refreshRequests, 2, 'the 500, then the retry');
  });

  it('serves the catalogue to the editor', async () => {
    await load({});
    const res = await helper.request().get('/netatmo-api/endpoints').expect(200);
    const byName = Object.fromEntries(res.body.endpoints.map((e) => [e.name, e]));
    for (const n of [
      'homesdata',
      'homestatus',
      'getstationsdata',
      'getmeasure',
      'gethomecoachsdata',
      'getevents',
      'setstate',
      'setroomthermpoint',
      'setthermmode',
      'switchhomeschedule',
    ]) {
      assert.ok(byName[n], n);
      assert.ok(byName[n].purpose.length > 10 && byName[n].scopes.length > 0, n);
    }
    assert.deepEqual(byName.setroomthermpoint.required, ['home_id', 'room_id', 'mode']);
    assert.equal(byName.setstate.encoding, 'json');
  });

  it('a missing account gives a clear error and no handlers; bad fixed parameters are refused', async () => {
    await helper.load(API_NODES, [{ id: 'api', type: 'netatmo-api', account: 'nope', wires: [[]] }], {});
    const api = helper.getNode('api');
    assert.match(api.error.lastCall.args[0], /^No Netatmo account selected/);
    assert.equal(api.listenerCount('input'), 0);
    await helper.unload();
    await load({ params: '{"home_id": ' });
    const { caught } = await call({});
    assert.equal(caught.error.code, 'INVALID_INPUT');
    assert.match(caught.error.message, /not a JSON object/);
  });

  it('no secret in any status, log line, Catch message or output', async () => {
    const texts = [];
    const keep = (m) => texts.push(typeof m === 'string' ? m : JSON.stringify(m));
    await rt.seedTokens(userDir, 'acc1', sim, { scope: 'read_station', expiresInMs: -1000 });
    await helper.load(API_NODES, flow({ endpoint: '', maxWait: 0.5 }), rt.credentials());
    watch();
    helper.getNode('out').on('input', keep);
    helper.getNode('caught').on('input', keep);
    const msgs = [
      { endpoint: 'homesdata' },
      { endpoint: 'setthermmode', payload: { home_id: ID.home, mode: 'hg' } },
      { endpoint: 'homestatus', payload: { home_id: 'x' } },
      { endpoint: 'bogus' },
    ];
    for (const m of msgs) await call(m);
    sim.revokeAccessTokens();
    await call({ endpoint: 'homesdata' });
    sim.injectFault('reset', { path: '/api/' });
    await call({ endpoint: 'setroomthermpoint', payload: { home_id: ID.home, room_id: ID.bedroom, mode: 'home' } });
    for (const id of ['api', 'acc1']) {
      const n = helper.getNode(id);
      for (const spy of ['status', 'log', 'warn', 'error', 'debug', 'trace']) {
        if (n[spy] && n[spy].getCalls) for (const c of n[spy].getCalls()) keep(c.args.map(String).join(' ') + JSON.stringify(c.args));
      }
    }
    const secrets = [rt.CLIENT_SECRET, ...sim.issuedSecrets()];
    const all = texts.join('\n');
    console.log(`      [secrets] ${texts.length} texts searched for ${secrets.length} secrets`);
    assert.ok(texts.length > 20);
    assert.deepEqual(
      secrets.filter((s) => all.includes(s)),
      [],
    );
  });
});

describe('examples with the netatmo-api node', function () {
  this.timeout(20000);
  const EXAMPLES = path.join(TEST_ROOT, '..', 'examples');
  const read = (f) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8'));
  const { findEndpoint } = require('../../dist/core/api/catalogue');

  it('are whole: wires and accounts point at nodes of the same flow, endpoints are in the catalogue, one shared account', () => {
    const accounts = new Map();
    for (const f of fs.readdirSync(EXAMPLES).filter((x) => x.endsWith('.json'))) {
      const nodes = read(f);
      const ids = new Set(nodes.map((n) => n.id));
      assert.equal(ids.size, nodes.length, `${f}: duplicate ids`);
      for (const n of nodes) {
        for (const out of n.wires || []) for (const to of out) assert.ok(ids.has(to), `${f}: ${n.id} wired to missing ${to}`);
        if (n.account) assert.ok(ids.has(n.account), `${f}: ${n.id} uses a missing account`);
        if (n.type === 'netatmo-api') assert.ok(findEndpoint(n.endpoint), `${f}: ${n.endpoint}`);
        if (n.type === 'netatmo-account') accounts.set(JSON.stringify(n), f);
      }
    }
    // A user has one Netatmo login: every example uses the same account node, identical in each file.
    assert.equal(accounts.size, 1, [...accounts.keys()].join('\n'));
    const used = new Set(fs.readdirSync(EXAMPLES).flatMap((f) => (f.endsWith('.json') ? read(f).map((n) => n.type) : [])));
    for (const t of ['netatmo-api', 'netatmo-token', 'status']) assert.ok(used.has(t), t);
  });

  describe('the re-authorization alert, run in Node-RED', () => {
    let sim;
    let userDir;
    before(async () => {
      sim = await startSimulator({ clients: { [rt.CLIENT_ID]: rt.CLIENT_SECRET }, devices: true });
    });
    after(() => sim.close());
    beforeEach((done) => {
      userDir = rt.useUserDir(rt.tmpDir());
      helper.startServer(done);
    });
    afterEach(async () => {
      await helper.unload();
      await new Promise((r) => helper.stopServer(r));
      fs.rmSync(userDir, { recursive: true, force: true });
    });

    it('sends one message when Netatmo refuses the login, whichever node found out', async () => {
      const core = rt.coreNode;
      const nodes = read('netatmo-reauthorization-alert.json')
        .filter((n) => n.type !== 'inject')
        .map((n) =>
          n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper' } : n.type === 'netatmo-account' ? { ...n, apiBase: sim.url } : n,
        );
      const account = nodes.find((n) => n.type === 'netatmo-account').id;
      await rt.seedTokens(userDir, account, sim, { expiresInMs: -1000 });
      sim.injectFault('invalid_grant');
      await helper.load([...API_NODES, core('common/25-status.js'), core('function/10-function.js')], nodes, rt.credentials(account));
      const alerts = [];
      const out = nodes.find((n) => n.type === 'helper').id;
      helper.getNode(out).on('input', (m) => alerts.push(m));
      const api = nodes.find((n) => n.type === 'netatmo-api').id;
      const token = nodes.find((n) => n.type === 'netatmo-token').id;
      helper.getNode(api).receive({});
      const deadline = Date.now() + 5000;
      while (alerts.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      helper.getNode(token).receive({}); // also refused: no second alert
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(alerts.length, 1, JSON.stringify(alerts.map((m) => m.payload)));
      assert.match(alerts[0].payload, /re-authorization needed/);
    });
  });
});
