'use strict';
/**
 * The api node's shaped path (src/core/api/shaped-call.ts) without Node-RED: histories in pages, points
 * for a chart, readings at a glance, on a fake `call` that answers as Netatmo does and records each request.
 */
const assert = require('node:assert/strict');

const { shapedCall, outputSetting, isShaped } = require('../../../dist/core/api/shaped-call');

/**
 * A wait that never ends fails the test within 2 s: Stryker turns mocha's timeout off, and a mutant that
 * keeps a wait from ending would cost its own timeout (3 s and a new test runner) instead.
 */
const HUNG_MS = 2000;

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const NOW_S = NOW / 1000;
const DAY = 86_400;

/**
 * A fake account: `call` answers history requests with one value per step from date_begin (at most
 * `limit`, before date_end), keyed by module as `value`; other endpoints get `bodies[endpoint]`.
 */
function depsOf({ bodies = {}, names } = {}) {
  const d = { calls: [], namesAsked: 0 };
  d.call = async (call) => {
    d.calls.push(call);
    let payload = bodies[call.endpoint];
    if (call.endpoint === 'getmeasure' || call.endpoint === 'getroommeasure') {
      const step = { '30min': 1800, '1hour': 3600, '1day': DAY }[call.params.scale];
      const begin = Number(call.params.date_begin);
      const end = Number(call.params.date_end);
      const limit = call.params.limit === undefined ? 1024 : Number(call.params.limit);
      const value = [];
      for (let t = begin; t < end && value.length < limit; t += step)
        value.push([value.length + (call.params.module_id === 'm2' ? 100 : 0)]);
      payload = [{ beg_time: begin, step_time: step, value }];
    }
    return { statusCode: 200, payload, status: 'ok', time_server: d.calls.length, errors: [] };
  };
  d.now = () => NOW;
  if (names !== undefined) {
    d.names = () => {
      d.namesAsked++;
      return typeof names === 'function' ? names() : Promise.resolve(names);
    };
  }
  return d;
}

const measure = (more = {}) => ({ device_id: 'd', scale: '1day', type: 'Temperature', last: '3d', ...more });

describe('shaped call: which path a message takes', function () {
  this.timeout(HUNG_MS);
  it('the output setting: chart, readings, else the answer', () => {
    assert.equal(outputSetting('chart'), 'chart');
    assert.equal(outputSetting('readings'), 'readings');
    for (const v of ['answer', 'Chart', undefined, '']) assert.equal(outputSetting(v), 'answer', String(v));
  });

  it('shaped: a history endpoint, or any output but the answer', () => {
    assert.equal(isShaped('homestatus', 'answer'), false);
    assert.equal(isShaped('getmeasure', 'answer'), true);
    assert.equal(isShaped('getroommeasure', 'answer'), true);
    assert.equal(isShaped('homestatus', 'readings'), true);
    assert.equal(isShaped('homestatus', 'chart'), true);
  });
});

describe('shaped call: refused before any request', function () {
  this.timeout(HUNG_MS);
  const refusal = async (promise) => {
    const e = await promise.then(
      () => assert.fail('did not throw'),
      (err) => err,
    );
    return { code: e.code, message: e.message, reason: e.reason, params: e.params };
  };

  it('points for a chart only from a history, named 64 characters at most', async () => {
    const deps = depsOf();
    const chart = (endpoint) => ({
      code: 'INVALID_INPUT',
      message: 'Points for a chart come from getmeasure or getroommeasure',
      reason: 'chart-endpoint',
      params: { endpoint },
    });
    assert.deepEqual(await refusal(shapedCall(' homestatus ', 'auto', [], 'chart', deps)), chart('homestatus'));
    assert.deepEqual(await refusal(shapedCall('x'.repeat(100), 'auto', [], 'chart', deps)), chart('x'.repeat(64)));
    assert.deepEqual(await refusal(shapedCall(5, 'auto', [], 'chart', deps)), chart(''));
    assert.equal(deps.calls.length, 0);
  });

  it('readings only from getstationsdata, gethomecoachsdata, homestatus', async () => {
    const deps = depsOf();
    const readings = (endpoint) => ({
      code: 'INVALID_INPUT',
      message: 'Readings come from getstationsdata, gethomecoachsdata or homestatus',
      reason: 'readings-endpoint',
      params: { endpoint },
    });
    assert.deepEqual(await refusal(shapedCall('getmeasure', 'auto', [measure()], 'readings', deps)), readings('getmeasure'));
    assert.deepEqual(await refusal(shapedCall('y'.repeat(100), 'auto', [], 'readings', deps)), readings('y'.repeat(64)));
    assert.equal(deps.calls.length, 0);
  });

  it('parameter sets that are no object', async () => {
    const deps = depsOf();
    for (const set of [[1], 'device_id=d', 0]) {
      assert.deepEqual(await refusal(shapedCall('getmeasure', 'auto', [set], 'answer', deps)), {
        code: 'INVALID_INPUT',
        message: 'Parameters must be an object, such as {"home_id": "..."}',
        reason: 'params-not-object',
        params: undefined,
      });
    }
    assert.equal(deps.calls.length, 0);
  });
});

describe('shaped call: answers and readings', function () {
  this.timeout(HUNG_MS);
  const STATION = {
    devices: [
      {
        _id: '70:ee:50:00:00:01',
        module_name: 'Indoor',
        reachable: true,
        dashboard_data: { Temperature: 21.5, time_utc: 1700000000 },
        modules: [
          { _id: '02:00:00:00:00:01', module_name: 'Outdoor', reachable: true, battery_percent: 80, dashboard_data: { Temperature: 4 } },
        ],
      },
    ],
  };
  const HOME = { home: { id: 'h', rooms: [{ id: 'r1', therm_measured_temperature: 19.5 }], modules: [{ id: 'm1', reachable: true }] } };

  it("the answer as it is: the merged parameters (the message's win) sent once, with the method asked", async () => {
    const deps = depsOf({ bodies: { homestatus: HOME } });
    const result = await shapedCall(' homestatus ', 'POST', [{ home_id: 'a' }, null, '', undefined, { home_id: 'b' }], 'answer', deps);
    assert.deepEqual(result, {
      endpoint: 'homestatus',
      payload: HOME,
      answer: { statusCode: 200, payload: HOME, status: 'ok', time_server: 1, errors: [] },
      requests: 1,
    });
    assert.deepEqual(
      deps.calls.map((c) => [c.endpoint, c.method, c.params]),
      [['homestatus', 'POST', { home_id: 'b' }]],
    );
  });

  it('readings of a weather station: by module name, without asking the account for names', async () => {
    const deps = depsOf({ bodies: { getstationsdata: STATION }, names: { x: 'y' } });
    const result = await shapedCall('getstationsdata', 'auto', [], 'readings', deps);
    const readings = {
      Indoor: { Temperature: 21.5, time: 1700000000000, reachable: true },
      Outdoor: { Temperature: 4, battery_percent: 80, reachable: true },
    };
    assert.deepEqual(result, {
      endpoint: 'getstationsdata',
      payload: readings,
      answer: { statusCode: 200, payload: STATION, status: 'ok', time_server: 1, errors: [] },
      requests: 1,
      readings,
    });
    assert.equal(deps.namesAsked, 0);
  });

  it("readings of a home: rooms and modules named by the account's names, by id when it has none or fails", async () => {
    const named = depsOf({ bodies: { homestatus: HOME }, names: { r1: 'Living', m1: 'Valve' } });
    const result = await shapedCall('homestatus', 'auto', [{ home_id: 'h' }], 'readings', named);
    assert.deepEqual(result.payload, { Living: { Temperature: 19.5 }, Valve: { reachable: true } });
    assert.equal(result.readings, result.payload);
    assert.equal(named.namesAsked, 1);
    const failing = depsOf({ bodies: { homestatus: HOME }, names: () => Promise.reject(new Error('down')) });
    assert.deepEqual((await shapedCall('homestatus', 'auto', [{ home_id: 'h' }], 'readings', failing)).payload, {
      r1: { Temperature: 19.5 },
      m1: { reachable: true },
    });
    const without = depsOf({ bodies: { homestatus: HOME } });
    assert.deepEqual(Object.keys((await shapedCall('homestatus', 'auto', [{ home_id: 'h' }], 'readings', without)).payload), ['r1', 'm1']);
  });
});

describe('shaped call: histories', function () {
  this.timeout(HUNG_MS);
  it('one module: `last` counted back from the clock, one request, the body as Netatmo sent it', async () => {
    const deps = depsOf({ names: {} });
    const result = await shapedCall('getmeasure', 'auto', [measure({ labels: { d: 'x' } })], 'answer', deps);
    assert.deepEqual(
      deps.calls.map((c) => c.params),
      [{ device_id: 'd', scale: '1day', type: 'Temperature', date_end: String(NOW_S), date_begin: String(NOW_S - 3 * DAY), limit: '1024' }],
    );
    assert.deepEqual(result, {
      endpoint: 'getmeasure',
      payload: [{ beg_time: NOW_S - 3 * DAY, step_time: DAY, value: [[0], [1], [2]] }],
      answer: {
        statusCode: 200,
        payload: [{ beg_time: NOW_S - 3 * DAY, step_time: DAY, value: [[0], [1], [2]] }],
        status: 'ok',
        time_server: 1,
        errors: [],
      },
      requests: 1,
    });
    assert.equal(deps.namesAsked, 0);
  });

  it('several modules: one history each, keyed by module; pages counted over all of them; the last answer kept', async () => {
    const deps = depsOf();
    // 30 days at 30 minutes: 1440 points, two pages a module.
    const result = await shapedCall(
      'getmeasure',
      'GET',
      [measure({ scale: '30min', last: '30d', module_id: ['m1', 'm2'] })],
      'answer',
      deps,
    );
    assert.deepEqual(
      deps.calls.map((c) => [c.method, c.params.module_id, Number(c.params.date_begin) - (NOW_S - 30 * DAY)]),
      [
        ['GET', 'm1', 0],
        ['GET', 'm1', 1024 * 1800 - 1800 + 1],
        ['GET', 'm2', 0],
        ['GET', 'm2', 1024 * 1800 - 1800 + 1],
      ],
    );
    assert.equal(result.requests, 4);
    assert.deepEqual(Object.keys(result.payload), ['m1', 'm2']);
    assert.equal(result.answer.time_server, 4);
  });

  it('points for a chart of one module: series named by type and unit, times in ms', async () => {
    const deps = depsOf({ names: { d: 'Station' } });
    const result = await shapedCall('getmeasure', 'auto', [measure({ last: '2d' })], 'chart', deps);
    assert.deepEqual(result.payload, [
      { series: 'Temperature (°C)', x: (NOW_S - 2 * DAY) * 1000, y: 0 },
      { series: 'Temperature (°C)', x: (NOW_S - DAY) * 1000, y: 1 },
    ]);
    assert.equal(result.requests, 1);
    assert.equal(deps.namesAsked, 0, 'one history needs no label');
  });

  it('a chart of several modules: labels given first (100 characters at most), then the names, then the ids', async () => {
    const deps = depsOf({ names: { m2: 'Garden', m3: 'Attic' } });
    const labels = { m1: 'L'.repeat(120), m3: 42 };
    const result = await shapedCall('getmeasure', 'auto', [measure({ last: '1d', module_id: 'm1,m2,m3,m4', labels })], 'chart', deps);
    assert.deepEqual(
      result.payload.map((p) => p.series),
      [`${'L'.repeat(100)} Temperature (°C)`, 'Garden Temperature (°C)', 'Attic Temperature (°C)', 'm4 Temperature (°C)'],
    );
    assert.equal(deps.namesAsked, 1);
    assert.ok(
      deps.calls.every((c) => !('labels' in c.params)),
      'labels are not sent',
    );
  });

  it('a chart of the device and a module: the device itself has no label, even under a key "undefined"', async () => {
    const deps = depsOf({ names: { undefined: 'Nope' } });
    const labels = { undefined: 'Nope', m2: 'Garden' };
    const result = await shapedCall('getmeasure', 'auto', [measure({ last: '1d', module_id: ['', 'm2'], labels })], 'chart', deps);
    assert.deepEqual(
      result.payload.map((p) => p.series),
      ['Temperature (°C)', 'Garden Temperature (°C)'],
    );
    assert.equal('module_id' in deps.calls[0].params, false, 'the device: no module_id');
  });

  it('a chart of several modules: labels that are no map, or an account without names or whose names fail: the ids', async () => {
    const series = async (deps, labels) =>
      (await shapedCall('getmeasure', 'auto', [measure({ last: '1d', module_id: ['m1', 'm2'], labels })], 'chart', deps)).payload.map(
        (p) => p.series,
      );
    const ids = ['m1 Temperature (°C)', 'm2 Temperature (°C)'];
    assert.deepEqual(await series(depsOf(), undefined), ids);
    assert.deepEqual(await series(depsOf({ names: () => Promise.reject(new Error('down')) }), ['A', 'B']), ids);
    assert.deepEqual(await series(depsOf({ names: {} }), 'm1'), ids);
  });
});
