'use strict';
/** Latest readings as one flat object per module (src/core/api/readings.ts), exact values. */
const assert = require('node:assert/strict');

const { READING_ENDPOINTS, isReadingEndpoint, readingsChanged, readingsOf } = require('../../../dist/core/api/readings');

describe('readings: endpoints', () => {
  it('getstationsdata, gethomecoachsdata and homestatus, trimmed; nothing else', () => {
    assert.deepEqual([...READING_ENDPOINTS], ['getstationsdata', 'gethomecoachsdata', 'homestatus']);
    for (const name of READING_ENDPOINTS) {
      assert.equal(isReadingEndpoint(name), true);
      assert.equal(isReadingEndpoint(` ${name} `), true);
    }
    for (const name of ['getmeasure', 'homesdata', '', 'homestatus2', undefined, null, 5, ['homestatus']]) {
      assert.equal(isReadingEndpoint(name), false, String(name));
    }
  });
});

describe('readings: devices', () => {
  it('keeps numbers, texts, booleans and null; leaves out objects and lists; times in ms, a time as text kept', () => {
    const r = readingsOf('getstationsdata', {
      devices: [
        {
          _id: 'a',
          module_name: 'Indoor',
          reachable: 1,
          dashboard_data: {
            T: 20,
            trend: 'up',
            on: false,
            gone: null,
            list: [1],
            o: { x: 1 },
            time_utc: 'soon',
            date_max_temp: 'x',
            date_min_temp: 5,
            max_date: 7,
          },
          modules: [
            { _id: 'b', module_name: 'Rain', battery_percent: '80', reachable: 0, dashboard_data: { time_utc: 10, Rain: 0 } },
            { _id: 'c', module_name: 'Wind', battery_percent: 0, dashboard_data: 'none' },
          ],
        },
      ],
    });
    assert.deepEqual(r, {
      Indoor: {
        T: 20,
        trend: 'up',
        on: false,
        gone: null,
        time: 'soon',
        date_max_temp: 'x',
        date_min_temp: 5000,
        max_date: 7,
        reachable: true,
      },
      Rain: { time: 10000, Rain: 0, reachable: false },
      Wind: { battery_percent: 0, reachable: null },
    });
  });

  it('a device without reachable reads null; named by module_name, station_name, name (trimmed, cut at 100), else its id, else #n', () => {
    const long = `  ${'x'.repeat(120)}  `;
    const r = readingsOf('gethomecoachsdata', {
      devices: [
        { _id: 'a', module_name: '  Office  ', station_name: 'S' },
        { _id: 'b', module_name: '   ', station_name: ' Bedroom ' },
        { _id: 'c', module_name: 5, station_name: '', name: 'Kids' },
        { _id: 'd', name: long },
        { _id: 'e' },
        { _id: 7 },
        {},
      ],
    });
    assert.deepEqual(Object.keys(r), ['Office', 'Bedroom', 'Kids', 'x'.repeat(100), 'e', '#6', '#7']);
    assert.deepEqual(r.Office, { reachable: null });
  });

  it('a name already there: the second one is told apart by its id (or #n)', () => {
    const r = readingsOf('getstationsdata', {
      devices: [{ _id: 'a', station_name: 'Home', modules: [{ _id: 'm', module_name: 'Home' }, { module_name: 'Home' }] }],
    });
    assert.deepEqual(Object.keys(r), ['Home', 'Home (m)', 'Home (#3)']);
  });

  it('a body that is not an object, or devices not a list: no readings', () => {
    for (const body of [null, undefined, 'x', 5, Object.assign([], { devices: [{ _id: 'a' }] }), { devices: { _id: 'a' } }]) {
      assert.deepEqual(readingsOf('getstationsdata', body), {}, String(body));
      assert.deepEqual(readingsOf('homestatus', body), {}, String(body));
    }
  });
});

describe('readings: homestatus', () => {
  it('rooms renamed (Temperature, Setpoint, Mode), modules as they are, names only for ids that are text', () => {
    const names = { r1: 'Living', 5: 'Five', m1: 'Valve', 6: 'Six' };
    const r = readingsOf(
      'homestatus',
      {
        home: {
          rooms: [
            {
              id: 'r1',
              therm_measured_temperature: 20.5,
              therm_setpoint_temperature: 19,
              therm_setpoint_mode: 'away',
              therm_setpoint_end_time: 50,
            },
            { id: 5, reachable: true },
            { id: 'r9', open_window: false },
          ],
          modules: [
            { id: 'm1', battery_state: 'full', last_seen: 100 },
            { id: 6, rf_strength: 70 },
          ],
        },
      },
      names,
    );
    assert.deepEqual(r, {
      Living: { Temperature: 20.5, Setpoint: 19, Mode: 'away', therm_setpoint_end_time: 50 },
      '#2': { reachable: true },
      r9: { open_window: false },
      Valve: { battery_state: 'full', last_seen: 100 },
      '#5': { rf_strength: 70 },
    });
    assert.deepEqual(readingsOf('homestatus', { home: { rooms: [{ id: 'r' }] } }), { r: {} });
  });

  it('any other endpoint reads devices', () => {
    assert.deepEqual(readingsOf('getmeasure', { devices: [{ _id: 'a' }], home: { rooms: [{ id: 'r' }] } }), { a: { reachable: null } });
  });
});

describe('readings: changed or not', () => {
  it('nothing before is a change; the same readings in another order are none', () => {
    assert.equal(readingsChanged(undefined, {}), true);
    assert.equal(readingsChanged({}, {}), false);
    assert.equal(readingsChanged({ a: { x: 1, y: 2 }, b: { z: 3 } }, { b: { z: 3 }, a: { y: 2, x: 1 } }), false);
  });

  it('time, date_* and last_* fields alone are no change; any other field, added or changed, is', () => {
    const a = { m: { time: 1, date_max: 2, last_seen: 3, T: 20 } };
    assert.equal(readingsChanged(a, { m: { time: 9, date_max: 9, last_seen: 9, T: 20 } }), false);
    assert.equal(readingsChanged(a, { m: { time: 1, date_max: 2, last_seen: 3, T: 21 } }), true);
    assert.equal(readingsChanged({ m: { max_date_: 1 } }, { m: { max_date_: 2 } }), true, 'date_ only as a prefix');
    assert.equal(readingsChanged({ m: { seen_last_: 1 } }, { m: { seen_last_: 2 } }), true, 'last_ only as a prefix');
    assert.equal(readingsChanged({ m: { times: 1 } }, { m: { times: 2 } }), true, 'time only as the whole name');
    assert.equal(readingsChanged(a, { ...a, n: {} }), true, 'a module more');
    assert.equal(readingsChanged({ ...a, n: {} }, a), true, 'a module less');
    assert.equal(readingsChanged({ m: {} }, { n: {} }), true, 'a module renamed');
  });
});
