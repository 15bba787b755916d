'use strict';
/** The simulator's getmeasure / getroommeasure (test/simulator/measure.js) over HTTP: Netatmo's rules, values a test can recompute. */
const assert = require('node:assert/strict');
const { startSimulator, WORLD_IDS: ID } = require('./simulator');
const { measureValue } = require('./measure');

const CLIENT_ID = 'c';
const CLIENT_SECRET = 's';
const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const NOW_S = NOW / 1000;

describe('simulator: getmeasure and getroommeasure', () => {
  let sim;
  let token;
  before(async () => {
    sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET }, now: () => NOW, devices: true, apiLimits: [] });
    token = sim.issueTokens({ clientId: CLIENT_ID, scope: 'read_station read_thermostat' }).access_token;
  });
  after(() => sim.close());
  afterEach(() => (sim.measureGaps = []));

  async function get(endpoint, params) {
    const res = await fetch(`${sim.url}/api/${endpoint}?${new URLSearchParams(params)}`, { headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  }
  const station = (p) => get('getmeasure', { device_id: ID.station, module_id: ID.outdoor, ...p });

  it('answers at most 1024 values from date_begin on a grid of the scale, timestamps moved by half the scale without real_time', async () => {
    const begin = NOW_S - 365 * 86400;
    const a = await station({ scale: '30min', type: 'Temperature,Humidity', date_begin: begin, date_end: NOW_S });
    assert.equal(a.status, 200);
    assert.equal(a.body.body.length, 1);
    const [block] = a.body.body;
    assert.equal(block.value.length, 1024);
    assert.equal(block.step_time, 1800);
    assert.equal((block.beg_time - 900) % 1800, 0, 'the middle of a 30 min period');
    assert.ok(block.beg_time >= begin);
    block.value.forEach((v, i) => {
      const g = block.beg_time - 900 + i * 1800;
      assert.deepEqual(v, [measureValue(ID.outdoor, 'Temperature', g), measureValue(ID.outdoor, 'Humidity', g)]);
    });
    const real = await station({ scale: '30min', type: 'Temperature', date_begin: begin, real_time: 'true', limit: 5000 });
    assert.equal(real.body.body[0].beg_time % 1800, 0, 'real_time: on the grid');
    assert.equal(real.body.body[0].value.length, 1024, 'limit above 1024 is 1024');
  });

  it('optimize=false answers the same values keyed by timestamp', async () => {
    const p = { scale: '1hour', type: 'Temperature', date_begin: NOW_S - 86400, date_end: NOW_S, real_time: 'true' };
    const opt = (await station(p)).body.body[0];
    const keyed = (await station({ ...p, optimize: 'false' })).body.body;
    assert.equal(Object.keys(keyed).length, 25);
    opt.value.forEach((v, i) => assert.deepEqual(keyed[String(opt.beg_time + i * 3600)], v));
  });

  it('without date_begin: the last `limit` values up to date_end', async () => {
    const r = await station({ scale: '1day', type: 'Temperature', limit: 3, real_time: 'true' });
    const [b] = r.body.body;
    assert.equal(b.value.length, 3);
    assert.equal(b.beg_time + 2 * 86400, Math.floor(NOW_S / 86400) * 86400);
  });

  it('a gap: rows missing and a new block after it; CO2 is null while it calibrates', async () => {
    const begin = NOW_S - 86400;
    sim.measureGaps = [{ from: begin + 6 * 3600, to: begin + 9 * 3600, id: ID.outdoor }];
    const r = await station({ scale: '1hour', type: 'Temperature', date_begin: begin, date_end: NOW_S, real_time: 'true' });
    assert.equal(r.body.body.length, 2);
    assert.equal(r.body.body[0].value.length + r.body.body[1].value.length, 25 - 4);
    const co2 = await get('getmeasure', {
      device_id: ID.station,
      scale: '1hour',
      type: 'CO2',
      date_begin: begin,
      date_end: NOW_S,
      real_time: 'true',
    });
    const nulls = co2.body.body.flatMap((b) => b.value).filter((v) => v[0] === null);
    assert.equal(nulls.length, 1);
  });

  it('refuses a scale Netatmo does not know (21), max for rooms (21), an unknown type (21); $n suffixes are read', async () => {
    assert.equal((await station({ scale: '2min', type: 'Temperature' })).body.error.code, 21);
    assert.equal((await station({ scale: '30min', type: 'Colour' })).body.error.code, 21);
    assert.equal((await station({ scale: 'max', type: 'Temperature', limit: 2 })).status, 200);
    const room = { home_id: ID.home, room_id: ID.bedroom, type: 'temperature' };
    assert.equal((await get('getroommeasure', { ...room, scale: 'max' })).body.error.code, 21);
    assert.equal((await get('getroommeasure', { ...room, scale: '30min', limit: 4 })).body.body[0].value.length, 4);
    const energy = await get('getmeasure', { device_id: ID.relay, scale: '1hour', type: 'sum_energy_elec$0,sum_energy_elec$1', limit: 2 });
    assert.equal(energy.body.body[0].value[0].length, 2);
  });
});
