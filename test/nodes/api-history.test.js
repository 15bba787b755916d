'use strict';
/**
 * History, chart points and readings from the netatmo-api node in a real Node-RED runtime, against the
 * simulator's getmeasure (test/simulator/measure.js): pages within the rate budget, every point checked.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startSimulator, WORLD_IDS: ID } = require('../simulator/simulator');
const { measureValue } = require('../simulator/measure');
const rt = require('../helpers/runtime');
const { until } = require('../helpers/until');
const { helper, API_NODES } = rt;

const SCOPES = 'read_station read_thermostat read_homecoach';
/** A time in the past on the 30 min grid, so a range of whole days holds a known number of points. */
const END = Math.floor(Date.now() / 1000 / 86400) * 86400 - 86400;

describe('netatmo-api: history in pages, points for a chart, readings', function () {
  this.timeout(60000);
  let sim;
  let userDir;
  let limits;

  before(async () => {
    sim = await startSimulator({ clients: { [rt.CLIENT_ID]: rt.CLIENT_SECRET }, devices: true });
  });
  after(() => sim.close());
  beforeEach((done) => {
    limits = [
      { limit: 50, windowMs: 10_000 },
      { limit: 500, windowMs: 3_600_000 },
    ];
    sim.apiLimits = limits;
    userDir = rt.useUserDir(rt.tmpDir());
    sim.resetStats();
    sim.measureGaps = [];
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function load(api = {}) {
    await rt.seedTokens(userDir, 'acc1', sim, { scope: SCOPES });
    const flow = rt.apiFlow(sim, { scope: SCOPES, api: { endpoint: 'getmeasure', ...api } });
    await helper.load(API_NODES, flow, rt.credentials());
  }
  /** Sends `msg` and resolves with what came out: {sent} or {caught}. */
  function call(msg) {
    return new Promise((resolve) => {
      helper.getNode('out').once('input', (m) => resolve({ sent: m }));
      helper.getNode('caught').once('input', (m) => resolve({ caught: m }));
      helper.getNode('api').receive(msg);
    });
  }
  const measureRequests = () => sim.apiLog.filter((e) => e.endpoint === 'getmeasure');
  const outdoor = (extra) => ({ device_id: ID.station, module_id: ID.outdoor, ...extra });

  /** Every point of a series: sorted, none twice, each equal to the simulator's value of its slot. */
  function checkSeries(points, series, type, id, { offset = 900 } = {}) {
    const own = points.filter((p) => p.series === series);
    for (let i = 1; i < own.length; i++) assert.ok(own[i].x > own[i - 1].x, `sorted, no duplicate at ${i}`);
    for (const p of own) assert.equal(p.y, measureValue(id, type, p.x / 1000 - offset), `value at ${new Date(p.x).toISOString()}`);
    return own;
  }

  it('7 days at 30 min (Date in): 336 points in 1 request, x in ms, one series per type with its unit', async () => {
    await load({ output: 'chart' });
    const { sent } = await call({
      payload: outdoor({ type: 'Temperature,Humidity', scale: '30min', last: '7d', date_end: new Date(END * 1000) }),
    });
    assert.equal(measureRequests().length, 1);
    assert.equal(sent.netatmo.requests, 1);
    const t = checkSeries(sent.payload, 'Temperature (°C)', 'Temperature', ID.outdoor);
    const h = checkSeries(sent.payload, 'Humidity (%)', 'Humidity', ID.outdoor);
    assert.deepEqual([t.length, h.length], [336, 336]);
    assert.equal(t[0].x, (END - 7 * 86400 + 900) * 1000);
    assert.equal(sent.payload.length, 672);
  });

  it("1 year at 30 min (ISO text and epoch seconds in): 17,520 points in 18 requests, sorted, none twice, each the simulator's", async () => {
    await load({ output: 'chart', params: JSON.stringify(outdoor({ type: 'Temperature', scale: '30min' })) });
    const begin = END - 365 * 86400;
    const { sent } = await call({ payload: { date_begin: new Date(begin * 1000).toISOString(), date_end: END } });
    assert.ok(sent, 'sent');
    const reqs = measureRequests();
    assert.equal(reqs.length, 18);
    assert.ok(reqs.every((r) => r.query.limit === '1024'));
    const points = checkSeries(sent.payload, 'Temperature (°C)', 'Temperature', ID.outdoor);
    assert.equal(points.length, 17520);
  });

  it('a range crossing a gap: the points around it, none inside, nothing invented', async () => {
    await load({ output: 'chart' });
    sim.measureGaps = [{ from: END - 3 * 86400, to: END - 2 * 86400 - 1, id: ID.outdoor }];
    const { sent } = await call({ payload: outdoor({ type: 'Temperature', scale: '1hour', last: '30d', date_end: END, real_time: true }) });
    const points = checkSeries(sent.payload, 'Temperature (°C)', 'Temperature', ID.outdoor, { offset: 0 });
    assert.equal(points.length, 30 * 24 + 1 - 24);
    assert.ok(!points.some((p) => p.x >= (END - 3 * 86400) * 1000 && p.x < (END - 2 * 86400) * 1000));
  });

  it('both of Netatmo forms (optimize true and false) give the same points over several pages', async () => {
    await load({ output: 'chart' });
    const p = outdoor({ type: 'Temperature,Humidity', scale: '30min', last: '40d', date_end: END });
    const a = await call({ payload: p });
    const b = await call({ payload: { ...p, optimize: false } });
    assert.equal(measureRequests().length, 4);
    assert.equal(a.sent.payload.length, 2 * 40 * 48);
    assert.deepEqual(b.sent.payload, a.sent.payload);
  });

  it("getroommeasure: a room's 30 days at 1 hour (the default scale for 30d), each point the simulator's", async () => {
    await load({ endpoint: 'getroommeasure', output: 'chart' });
    const { sent } = await call({ payload: { home_id: ID.home, room_id: ID.bedroom, type: 'temperature', last: '30d', date_end: END } });
    const points = checkSeries(sent.payload, 'temperature (°C)', 'temperature', ID.bedroom, { offset: 1800 });
    assert.equal(points.length, 720);
    assert.equal(sim.apiLog.filter((e) => e.endpoint === 'getroommeasure').length, 1);
  });

  it('the answer output merges the pages in Netatmo form; last="24h" alone picks 30 min', async () => {
    await load();
    const { sent } = await call({ payload: outdoor({ type: 'Temperature', last: '40d', date_end: END, optimize: false }) });
    assert.equal(Object.keys(sent.payload).length, 40 * 24, '40 days at 1 hour (the default scale) in one keyed object');
    const day = await call({ payload: outdoor({ type: 'Temperature', last: '24h' }) });
    assert.equal(measureRequests().at(-1).query.scale, '30min');
    assert.equal(day.sent.payload[0].step_time, 1800);
  });

  it('a nearly spent budget: the pages wait their turn, none is refused by Netatmo', async () => {
    // Netatmo's limits scaled down: 10 per 2 s (the node keeps 9); 8 spent just before.
    limits = [{ limit: 10, windowMs: 2000 }];
    sim.apiLimits = limits;
    rt.useUserDir(userDir, { apiLimits: [{ limit: 10, seconds: 2 }] });
    await load({ output: 'chart' });
    let early = 0;
    helper.getNode('out').on('input', () => early++);
    for (let i = 0; i < 8; i++) helper.getNode('api').receive({ payload: outdoor({ type: 'Temperature', scale: '1day', limit: 1 }) });
    await until(() => early === 8, '8 requests spent and answered');
    helper.getNode('out').removeAllListeners('input');
    const { sent } = await call({ payload: outdoor({ type: 'Temperature', scale: '30min', last: '180d', date_end: END }) });
    assert.equal(measureRequests().length, 8 + 9);
    assert.equal(sim.deviceStats.api429, 0, 'no page refused');
    assert.ok(sim.maxApiInWindow(2000) <= 10);
    assert.equal(sent.payload.length, 180 * 48);
    const waited = helper
      .getNode('api')
      .status.getCalls()
      .some((c) => c.args[0].fill === 'yellow');
    assert.ok(waited, 'the node showed it waited for the rate budget');
  });

  it('INVALID_INPUT before any request: a chart of homesdata, a bad time, a range of more than 100 requests', async () => {
    await load({ output: 'chart', endpoint: '' });
    const cases = [
      [{ endpoint: 'homesdata', payload: {} }, 'chart-endpoint'],
      [{ endpoint: 'getmeasure', payload: outdoor({ type: 'T', scale: '30min', date_begin: 'yesterday' }) }, 'time'],
      [{ endpoint: 'getmeasure', payload: outdoor({ type: 'T', scale: 'max', last: '2y' }) }, 'range'],
    ];
    for (const [msg, reason] of cases) {
      const { caught } = await call(msg);
      assert.equal(caught.error.code, 'INVALID_INPUT', reason);
      assert.ok(!/__/.test(caught.error.message), caught.error.message);
    }
    assert.equal(sim.apiLog.length, 0);
  });

  it('readings of getstationsdata by module name; "only when changed" sends nothing when no reading changed', async () => {
    await load({ endpoint: 'getstationsdata', output: 'readings', onlyChanged: true });
    const first = await call({ payload: {} });
    assert.deepEqual(Object.keys(first.sent.payload), ['Indoor', 'Outdoor']);
    assert.equal(first.sent.payload.Outdoor.Temperature, 8.4);
    assert.equal(first.sent.payload.Outdoor.Humidity, 81);
    assert.equal(typeof first.sent.payload.Outdoor.time, 'number');
    const seen = [];
    helper.getNode('out').on('input', (m) => seen.push(m.payload.Outdoor.Temperature));
    helper.getNode('api').receive({ payload: {} });
    await until(() => sim.apiLog.length === 2, 'second request');
    await until(
      () =>
        helper
          .getNode('api')
          .status.getCalls()
          .filter((c) => c.args[0].fill === 'green').length >= 2,
      'second answer',
    );
    sim.world.station.modules[0].dashboard_data.Temperature = 9.1;
    const third = await call({ payload: {} });
    assert.equal(third.sent.payload.Outdoor.Temperature, 9.1);
    assert.deepEqual(seen, [9.1], 'the unchanged second reading was not sent: the next message out is the changed one');
  });

  it('readings of gethomecoachsdata, and of homestatus with rooms and modules named from the account', async () => {
    await load({ endpoint: '', output: 'readings' });
    const coach = await call({ endpoint: 'gethomecoachsdata', payload: {} });
    assert.equal(coach.sent.payload.Office.CO2, 830);
    const home = await call({ endpoint: 'homestatus', payload: { home_id: ID.home } });
    assert.equal(home.sent.payload['Living room'].Temperature, 20.4);
    assert.equal(home.sent.payload['Living room'].Setpoint, 20);
    assert.equal(home.sent.payload.Bedroom.Temperature, 17.8);
    assert.equal(home.sent.payload['Bedroom valve'].battery_state, 'full');
  });

  it('readings with partialAsError: a module in body.errors sends the message to Catch as API_ERROR', async () => {
    await load({ endpoint: 'homestatus', output: 'readings', partialAsError: true });
    sim.setUnreachable(ID.valve);
    try {
      const { caught } = await call({ payload: { home_id: ID.home } });
      assert.equal(caught.error.code, 'API_ERROR');
      assert.deepEqual(caught.netatmo.errors, [{ code: 6, id: ID.valve }]);
    } finally {
      sim.setUnreachable(ID.valve, false);
    }
  });

  it("a chart of several modules names each series by its module (the account's names, or labels)", async () => {
    await load({ output: 'chart' });
    const p = { device_id: ID.station, module_id: [ID.station, ID.outdoor], type: 'Temperature', last: '24h', date_end: END };
    const { sent } = await call({ payload: p });
    assert.deepEqual([...new Set(sent.payload.map((x) => x.series))], ['Indoor Temperature (°C)', 'Outdoor Temperature (°C)']);
    checkSeries(sent.payload, 'Indoor Temperature (°C)', 'Temperature', ID.station);
    checkSeries(sent.payload, 'Outdoor Temperature (°C)', 'Temperature', ID.outdoor);
    const own = await call({ payload: { ...p, labels: { [ID.outdoor]: 'Garden' } } });
    assert.ok(own.sent.payload.some((x) => x.series === 'Garden Temperature (°C)'));
    assert.equal(sim.apiLog.filter((e) => e.endpoint === 'getstationsdata').length, 1, 'names listed once, then cached');
  });

  it("the pickers' admin route: ids and names of stations, modules, coaches, homes and rooms, cached, 404 for an account not deployed", async () => {
    await load();
    const res = await helper.request().get('/netatmo-api/acc1/ids').expect(200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const [station] = res.body.stations;
    assert.deepEqual(
      station.modules.map((m) => [m.id, m.name, m.type]),
      [
        [ID.station, 'Indoor', 'NAMain'],
        [ID.outdoor, 'Outdoor', 'NAModule1'],
      ],
    );
    assert.deepEqual(res.body.coaches, [{ id: ID.coach, name: 'Office', type: 'NHC' }]);
    assert.deepEqual(
      res.body.homes[0].rooms.map((r) => r.name),
      ['Living room', 'Bedroom'],
    );
    assert.ok(res.body.types.NAModule1.includes('humidity'));
    assert.deepEqual(res.body.scales.getroommeasure, ['30min', '1hour', '3hours', '1day', '1week', '1month']);
    assert.equal(sim.apiLog.length, 3, 'getstationsdata, gethomecoachsdata, homesdata');
    await helper.request().get('/netatmo-api/acc1/ids').expect(200);
    assert.equal(sim.apiLog.length, 3, 'the second listing comes from the cache');
    const cross = await helper.request().get('/netatmo-api/acc1/ids').set('Sec-Fetch-Site', 'cross-site').expect(403);
    assert.equal(cross.body.error.code, 'CROSS_SITE');
    const none = await helper.request().get('/netatmo-api/nope/ids').expect(404);
    assert.equal(none.body.error.code, 'NO_ACCOUNT');
    await helper.request().get('/netatmo-api/..%2Fx/ids').expect(400);
    assert.ok(!JSON.stringify(res.body).includes(sim.currentRefreshTokens()[0]));
  });
});
