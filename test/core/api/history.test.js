'use strict';
/** History, chart points and readings (src/core/api/) as plain functions: no timers, no network. */
const assert = require('node:assert/strict');

const H = require('../../../dist/core/api/history');
const { measureRows, mergeBodies } = require('../../../dist/core/api/rows');
const { chartPoints, seriesName, typeName } = require('../../../dist/core/api/chart');
const { readingsOf, readingsChanged } = require('../../../dist/core/api/readings');
const { IdsCache, buildListing } = require('../../../dist/core/api/ids');

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const NOW_S = NOW / 1000;

/** A fake Netatmo: `n` rows every `step` s from `from`, at most `limit` per answer, in either form. */
function fakeSend({ from, step, n, optimize = true, gapAt }) {
  const calls = [];
  const send = async (p) => {
    calls.push(p);
    const rows = [];
    for (let i = 0; i < n; i++) {
      const t = from + i * step;
      if (t >= p.date_begin && t <= p.date_end && rows.length < p.limit && !(gapAt && gapAt.includes(i))) rows.push([t, [i, i * 10]]);
    }
    if (!optimize) return Object.fromEntries(rows.map(([t, v]) => [String(t), v]));
    const blocks = [];
    for (const [t, v] of rows) {
      const b = blocks[blocks.length - 1];
      if (b && t === b.beg_time + b.value.length * step) b.value.push(v);
      else blocks.push({ beg_time: t, step_time: step, value: [v] });
    }
    return blocks;
  };
  return { send, calls };
}

describe('history: times and ranges', () => {
  it('reads a Date, ISO text, epoch seconds (number or digits) and milliseconds as epoch seconds', () => {
    const s = 1767225600;
    for (const v of [new Date(s * 1000), '2026-01-01T00:00:00Z', s, String(s), s * 1000, String(s * 1000)]) {
      assert.equal(H.toEpochSeconds(v, 'date_begin'), s, String(v));
    }
  });

  it("takes a Date and a plain object made in another realm (a function node's sandbox)", () => {
    const vm = require('node:vm');
    const { isPlainObject: isRecord } = require('../../../dist/core/api/client');
    const other = vm.runInNewContext('({ d: new Date(1767225600000), o: { device_id: "x" }, a: [1] })');
    assert.equal(H.toEpochSeconds(other.d, 'date_end'), 1767225600);
    assert.equal(isRecord(other.o), true);
    assert.equal(isRecord(other.a), false);
    assert.equal(isRecord(new Date()), false);
    assert.equal(isRecord(Buffer.from('x')), false);
  });

  it('refuses what is not a time, with INVALID_INPUT naming the parameter', () => {
    for (const v of ['yesterday', {}, -5, NaN, 'x'.repeat(100)]) {
      assert.throws(
        () => H.toEpochSeconds(v, 'date_end'),
        (e) => e.code === 'INVALID_INPUT' && e.reason === 'time' && e.params.name === 'date_end',
      );
    }
  });

  it('last: "24h", "7d", "30d", "1y" with the finest scale that fits in one answer', () => {
    const cases = {
      '24h': ['30min', 86400],
      '7d': ['30min', 604800],
      '30d': ['1hour', 2592000],
      '90d': ['3hours', 7776000],
      '1y': ['1day', 31536000],
    };
    for (const [last, [scale, seconds]] of Object.entries(cases)) {
      const plan = H.planHistory({ device_id: 'd', type: 'Temperature', last }, NOW);
      assert.equal(plan.params.scale, scale, last);
      assert.equal(plan.params.date_end, NOW_S);
      assert.equal(plan.params.date_begin, NOW_S - seconds);
      assert.equal(plan.params.last, undefined, 'last is ours, not sent');
      assert.equal(plan.params.limit, 1024);
      assert.equal(plan.minRequests, 1);
    }
    assert.throws(
      () => H.planHistory({ last: 'forever' }, NOW),
      (e) => e.code === 'INVALID_INPUT' && e.reason === 'last',
    );
  });

  it('a scale given wins over the default; a year at 30 min needs 18 requests at least', () => {
    const plan = H.planHistory({ device_id: 'd', type: 'Temperature', scale: '30min', last: '365d' }, NOW);
    assert.equal(plan.params.scale, '30min');
    assert.equal(plan.minRequests, Math.ceil(17520 / 1024));
    assert.equal(plan.minRequests, 18);
  });

  it('no paging when limit is given or no range: one request as asked', () => {
    const a = H.planHistory({ device_id: 'd', scale: '30min', type: 'T', date_begin: 1000, limit: 10 }, NOW);
    assert.equal(a.range, undefined);
    assert.equal(a.params.limit, 10);
    const b = H.planHistory({ device_id: 'd', scale: '30min', type: 'T' }, NOW);
    assert.equal(b.range, undefined);
  });

  it('refuses a range that needs more than 100 requests before sending any', () => {
    assert.throws(
      () => H.planHistory({ device_id: 'd', type: 'T', scale: 'max', last: '2y' }, NOW),
      (e) => e.code === 'INVALID_INPUT' && e.reason === 'range' && e.params.max === 100,
    );
  });

  it('module_id as a list (or comma text) gives one history per module', () => {
    const p = H.planHistory({ device_id: 'd', type: 'T', last: '24h', module_id: ['a', 'b'] }, NOW);
    assert.deepEqual(p.modules, ['a', 'b']);
    assert.deepEqual(H.planHistory({ device_id: 'd', type: 'T', last: '24h', module_id: 'a,b' }, NOW).modules, ['a', 'b']);
    assert.deepEqual(H.planHistory({ device_id: 'd', type: 'T', last: '24h' }, NOW).modules, [undefined]);
  });
});

describe('history: pages', () => {
  for (const optimize of [true, false]) {
    it(`a year at 30 min (${optimize ? 'optimized' : 'keyed'} answers): 18 requests, 17,520 rows, sorted, none twice, none missing`, async function () {
      // 18 pages of 17,520 rows: about 0.3 s, more when the code is instrumented on a loaded machine.
      this.timeout(10_000);
      const step = 1800;
      const plan = H.planHistory({ device_id: 'd', type: 'T,H', scale: '30min', last: '365d' }, NOW);
      const from = plan.range.begin + step; // Netatmo's first value after date_begin
      const fake = fakeSend({ from, step, n: 17520, optimize });
      const [h] = await H.fetchHistory(plan, fake.send);
      assert.equal(h.requests, 18);
      assert.equal(fake.calls.length, 18);
      const rows = measureRows(h.body);
      assert.equal(rows.length, 17520);
      rows.forEach((r, i) => {
        assert.equal(r.t, from + i * step);
        assert.deepEqual(r.values, [i, i * 10]);
      });
      for (let i = 1; i < fake.calls.length; i++) assert.ok(fake.calls[i].date_begin > fake.calls[i - 1].date_begin);
      assert.equal(Array.isArray(h.body), optimize, 'the merged answer keeps the form Netatmo gave');
    });
  }

  it('a gap in the record: the pages still cover the range and nothing is invented', async () => {
    const step = 1800;
    const plan = H.planHistory({ device_id: 'd', type: 'T,H', scale: '30min', last: '60d' }, NOW);
    const gap = Array.from({ length: 100 }, (_, i) => 1000 + i);
    const fake = fakeSend({ from: plan.range.begin + step, step, n: 2880, gapAt: gap });
    const [h] = await H.fetchHistory(plan, fake.send);
    const rows = measureRows(h.body);
    assert.equal(rows.length, 2880 - 100);
    assert.equal(h.requests, 3);
    assert.ok(!rows.some((r) => r.values[0] >= 1000 && r.values[0] < 1100));
    assert.ok(h.body.length >= 2, 'a new block starts after the gap');
  });

  it('a module that stopped reporting: a short page ends the history, no request beyond it', async () => {
    const plan = H.planHistory({ device_id: 'd', type: 'T,H', scale: '30min', last: '60d' }, NOW);
    const fake = fakeSend({ from: plan.range.begin + 1800, step: 1800, n: 1500 });
    const [h] = await H.fetchHistory(plan, fake.send);
    assert.equal(fake.calls.length, 2);
    assert.equal(measureRows(h.body).length, 1500);
  });

  it('mergeBodies drops a row answered twice and keeps order', () => {
    const a = [{ beg_time: 100, step_time: 10, value: [[1], [2], [3]] }];
    const b = [{ beg_time: 120, step_time: 10, value: [[3], [4]] }];
    assert.deepEqual(mergeBodies([b, a]), [{ beg_time: 100, step_time: 10, value: [[1], [2], [3], [4]] }]);
    assert.deepEqual(mergeBodies([{ 120: [3] }, { 100: [1], 120: [3] }]), { 100: [1], 120: [3] });
  });
});

describe('chart points', () => {
  const optimized = [
    {
      beg_time: 1000,
      step_time: 1800,
      value: [
        [8.4, 81],
        [null, 80],
        [9.1, null],
      ],
    },
    { beg_time: 9000, step_time: 1800, value: [[7, 90]] },
  ];
  const keyed = { 1000: [8.4, 81], 2800: [null, 80], 4600: [9.1, null], 9000: [7, 90] };

  it('both of Netatmo forms give the same points: x in ms, nulls left out, one series per type with its unit', () => {
    const want = [
      { series: 'Temperature (°C)', x: 1000000, y: 8.4 },
      { series: 'Temperature (°C)', x: 4600000, y: 9.1 },
      { series: 'Temperature (°C)', x: 9000000, y: 7 },
      { series: 'Humidity (%)', x: 1000000, y: 81 },
      { series: 'Humidity (%)', x: 2800000, y: 80 },
      { series: 'Humidity (%)', x: 9000000, y: 90 },
    ];
    assert.deepEqual(chartPoints([{ body: optimized }], 'Temperature,Humidity'), want);
    assert.deepEqual(chartPoints([{ body: keyed }], ['Temperature', 'Humidity']), want);
  });

  it('one series per module when labelled; $n suffixes stripped; units of energy and CO2', () => {
    const pts = chartPoints(
      [
        { label: 'Outdoor', body: keyed },
        { label: 'Indoor', body: { 1000: [20, 50] } },
      ],
      'temperature,humidity',
    );
    assert.deepEqual(
      [...new Set(pts.map((p) => p.series))],
      ['Outdoor temperature (°C)', 'Outdoor humidity (%)', 'Indoor temperature (°C)', 'Indoor humidity (%)'],
    );
    assert.equal(typeName('sum_energy_elec$1'), 'sum_energy_elec');
    assert.equal(seriesName('sum_energy_elec$2'), 'sum_energy_elec (Wh)');
    assert.equal(seriesName('CO2'), 'CO2 (ppm)');
    assert.equal(seriesName('health_idx'), 'health_idx');
  });
});

describe('readings', () => {
  const stations = {
    devices: [
      {
        _id: '70:ee',
        module_name: 'Indoor',
        reachable: true,
        dashboard_data: { time_utc: 1700000000, Temperature: 21.3, Humidity: 48, date_max_temp: 1699990000, temp_trend: 'stable' },
        modules: [
          {
            _id: '02:00',
            module_name: 'Outdoor',
            battery_percent: 78,
            reachable: true,
            dashboard_data: { time_utc: 1700000100, Temperature: 8.4, Humidity: 81 },
          },
        ],
      },
    ],
  };

  it('getstationsdata: one flat object per module named by its name, times in ms', () => {
    assert.deepEqual(readingsOf('getstationsdata', stations), {
      Indoor: { time: 1700000000000, Temperature: 21.3, Humidity: 48, date_max_temp: 1699990000000, temp_trend: 'stable', reachable: true },
      Outdoor: { time: 1700000100000, Temperature: 8.4, Humidity: 81, battery_percent: 78, reachable: true },
    });
  });

  it('gethomecoachsdata: by station_name; two of the same name are told apart by id', () => {
    const r = readingsOf('gethomecoachsdata', {
      devices: [
        { _id: 'a', station_name: 'Office', dashboard_data: { CO2: 830 } },
        { _id: 'b', station_name: 'Office', dashboard_data: { CO2: 500 } },
      ],
    });
    assert.deepEqual(Object.keys(r), ['Office', 'Office (b)']);
    assert.equal(r['Office (b)'].CO2, 500);
  });

  it('homestatus: rooms and modules by the names of homesdata, else by id', () => {
    const body = {
      home: {
        id: 'h',
        rooms: [{ id: 'r1', therm_measured_temperature: 20.4, therm_setpoint_temperature: 20, therm_setpoint_mode: 'schedule' }],
        modules: [{ id: 'm1', battery_level: 3200 }],
      },
    };
    assert.deepEqual(readingsOf('homestatus', body, { r1: 'Living room' }), {
      'Living room': { Temperature: 20.4, Setpoint: 20, Mode: 'schedule' },
      m1: { battery_level: 3200 },
    });
  });

  it('only when changed: a new time alone is no change, a value or a module is', () => {
    const a = readingsOf('getstationsdata', stations);
    const later = JSON.parse(JSON.stringify(stations));
    later.devices[0].dashboard_data.time_utc += 600;
    assert.equal(readingsChanged(a, readingsOf('getstationsdata', later)), false);
    later.devices[0].modules[0].dashboard_data.Temperature = 8.5;
    assert.equal(readingsChanged(a, readingsOf('getstationsdata', later)), true);
    assert.equal(readingsChanged(undefined, a), true);
  });
});

describe('ids for the pickers', () => {
  const stations = {
    devices: [
      {
        _id: 's1',
        station_name: 'Home (Indoor)',
        module_name: 'Indoor',
        type: 'NAMain',
        modules: [
          { _id: 'm1', module_name: 'Outdoor', type: 'NAModule1' },
          { _id: 'm2', type: 'NAModule3' },
        ],
      },
    ],
  };
  const homes = {
    homes: [
      {
        id: 'h1',
        name: 'Home',
        rooms: [{ id: 'r1', name: 'Living room', type: 'livingroom' }],
        modules: [{ id: 'v1', name: 'Valve', type: 'NRV' }],
      },
    ],
  };

  it('lists stations with their main module first, coaches, homes with rooms and modules; names by id; a module without name shows its id', () => {
    const l = buildListing({ stations, coaches: { devices: [{ _id: 'c1', station_name: 'Office', type: 'NHC' }] }, homes }, [], 5);
    assert.deepEqual(l.stations, [
      {
        id: 's1',
        name: 'Home (Indoor)',
        type: 'NAMain',
        modules: [
          { id: 's1', name: 'Indoor', type: 'NAMain' },
          { id: 'm1', name: 'Outdoor', type: 'NAModule1' },
          { id: 'm2', name: 'm2', type: 'NAModule3' },
        ],
      },
    ]);
    assert.deepEqual(l.coaches, [{ id: 'c1', name: 'Office', type: 'NHC' }]);
    assert.deepEqual(l.homes, [
      {
        id: 'h1',
        name: 'Home',
        rooms: [{ id: 'r1', name: 'Living room', type: 'livingroom' }],
        modules: [{ id: 'v1', name: 'Valve', type: 'NRV' }],
      },
    ]);
    assert.deepEqual(l.names, { s1: 'Indoor', m1: 'Outdoor', m2: 'm2', c1: 'Office', h1: 'Home', r1: 'Living room', v1: 'Valve' });
    assert.deepEqual(l.types.NAModule3, ['rain', 'sum_rain']);
    assert.ok(!l.scales.getroommeasure.includes('max') && l.scales.getmeasure.includes('max'));
    assert.equal(l.fetched_at, 5);
    assert.deepEqual(buildListing({}, [{ endpoint: 'homesdata', code: 'SCOPE_MISSING' }], 0).errors, [
      { endpoint: 'homesdata', code: 'SCOPE_MISSING' },
    ]);
  });

  it('the cache: one fetch for callers within the time to live, a new one after; a failure is kept a shorter time', async () => {
    let now = 0;
    let fetches = 0;
    const cache = new IdsCache(1000, () => now, 100);
    const fetch = async () => (fetches++, buildListing({ stations }, [], now));
    await Promise.all([cache.get('a', fetch), cache.get('a', fetch)]);
    assert.equal(fetches, 1);
    now = 999;
    await cache.get('a', fetch);
    assert.equal(fetches, 1);
    now = 1000;
    await cache.get('a', fetch);
    assert.equal(fetches, 2);
    await cache.get('b', fetch);
    assert.equal(fetches, 3, 'one listing per account');
    await assert.rejects(
      cache.get('c', async () => {
        throw new Error('down');
      }),
      /down/,
    );
    await assert.rejects(cache.get('c', fetch), /down/, 'the failure is kept a while');
    assert.equal(fetches, 3);
    now += 100;
    await cache.get('c', fetch);
    assert.equal(fetches, 4, 'then asked again');
  });
});

describe('history: exact rules', () => {
  it('isMeasureEndpoint: getmeasure and getroommeasure, trimmed; nothing else', () => {
    assert.deepEqual([...H.MEASURE_ENDPOINTS], ['getmeasure', 'getroommeasure']);
    assert.equal(H.isMeasureEndpoint('getmeasure'), true);
    assert.equal(H.isMeasureEndpoint(' getroommeasure '), true);
    for (const v of ['homestatus', '', 'getmeasures', undefined, 5, ['getmeasure']]) assert.equal(H.isMeasureEndpoint(v), false, String(v));
  });

  it('toEpochSeconds: 10^11 is still seconds, above it milliseconds; 0 is a time; fractions floored', () => {
    assert.equal(H.toEpochSeconds(1e11, 't'), 1e11);
    assert.equal(H.toEpochSeconds(1e11 + 1500, 't'), 100000001);
    assert.equal(H.toEpochSeconds(0, 't'), 0);
    assert.equal(H.toEpochSeconds(1.9, 't'), 1);
    assert.equal(H.toEpochSeconds(' 1767225600 ', 't'), 1767225600);
    assert.equal(H.toEpochSeconds('1767225600.55', 't'), 1767225600);
    assert.equal(H.toEpochSeconds('1767225600.5', 't'), 1767225600);
    assert.equal(H.toEpochSeconds('1767225600000', 't'), 1767225600);
    assert.equal(H.toEpochSeconds('1 January 2026', 't'), Math.floor(Date.parse('1 January 2026') / 1000), 'a date text ending in digits');
  });

  it('toEpochSeconds: date text up to 64 characters; a list or a longer text is refused with the exact message', () => {
    const text = 'Thu, 01 Jan 2026 00:00:00 GMT';
    assert.equal(H.toEpochSeconds(text.padEnd(64), 't'), 1767225600);
    for (const v of [text.padEnd(65), ['1767225600'], ['2026'], true, null, undefined, -1, Infinity]) {
      assert.throws(
        () => H.toEpochSeconds(v, 'date_begin'),
        (e) => {
          assert.equal(e.code, 'INVALID_INPUT');
          assert.equal(e.message, 'date_begin must be a date: a Date, ISO text such as 2026-01-31T12:00:00Z, or epoch seconds');
          assert.deepEqual(e.params, { name: 'date_begin' });
          return true;
        },
        String(v),
      );
    }
  });

  it('parseLast: every unit, any case and spaces; zero, other text or a list refused with the exact message', () => {
    const want = { '90min': 5400, ' 24 H ': 86400, '7d': 604800, '2w': 1209600, '1m': 2592000, '1Y': 31536000, '9999min': 599940 };
    for (const [v, s] of Object.entries(want)) assert.equal(H.parseLast(v), s, v);
    for (const v of ['0h', 'x24h', '24hx', '24 hours', '10000d', '1.5d', ['24h'], 24, '']) {
      assert.throws(
        () => H.parseLast(v),
        (e) => {
          assert.equal(e.code, 'INVALID_INPUT');
          assert.equal(e.reason, 'last');
          assert.equal(e.message, 'last must be a duration such as "24h", "7d", "30d" or "1y"');
          return true;
        },
        String(v),
      );
    }
  });

  it('defaultScale: the finest scale whose points fit in 1024, boundaries included; 1month past all', () => {
    assert.equal(H.defaultScale(1800 * 1024), '30min');
    assert.equal(H.defaultScale(1800 * 1024 + 1), '1hour');
    assert.equal(H.defaultScale(3600 * 1024 + 1), '3hours');
    assert.equal(H.defaultScale(10800 * 1024 + 1), '1day');
    assert.equal(H.defaultScale(86400 * 1024 + 1), '1week');
    assert.equal(H.defaultScale(604800 * 1024), '1week');
    assert.equal(H.defaultScale(604800 * 1024 + 1), '1month');
    assert.equal(H.defaultScale(1e12), '1month');
    assert.deepEqual(H.SCALE_SECONDS, {
      max: 300,
      '30min': 1800,
      '1hour': 3600,
      '3hours': 10800,
      '1day': 86400,
      '1week': 604800,
      '1month': 2592000,
    });
    assert.deepEqual([H.PAGE_LIMIT, H.MAX_PAGES], [1024, 100]);
  });

  it('planHistory: an empty last or scale is none; date_end given with last is read, a bad one named', () => {
    const a = H.planHistory({ last: '', date_begin: '1767225600', date_end: '', scale: 'foo' }, NOW);
    assert.deepEqual(a, { params: { date_begin: 1767225600, date_end: '', scale: 'foo' }, modules: [undefined], minRequests: 1 });
    const b = H.planHistory({ last: '24h', scale: '', date_end: '2026-01-01T00:00:00Z' }, NOW);
    assert.deepEqual(b.params, { scale: '30min', date_begin: 1767225600 - 86400, date_end: 1767225600, limit: 1024 });
    assert.deepEqual(b.range, { begin: 1767225600 - 86400, end: 1767225600 });
    assert.throws(
      () => H.planHistory({ last: '24h', date_end: 'soon' }, NOW),
      (e) => e.params.name === 'date_end',
    );
    assert.throws(
      () => H.planHistory({ date_begin: 'soon' }, NOW),
      (e) => e.params.name === 'date_begin',
    );
    assert.deepEqual(H.planHistory({ date_end: 5 }, NOW).params, { date_end: 5 });
  });

  it('planHistory: paged when limit is missing or empty and the scale known; the range ends now when date_end is missing', () => {
    const a = H.planHistory({ date_begin: NOW_S - 3600, scale: '30min', limit: '' }, NOW);
    assert.deepEqual(a, {
      params: { date_begin: NOW_S - 3600, date_end: NOW_S, scale: '30min', limit: 1024 },
      range: { begin: NOW_S - 3600, end: NOW_S },
      modules: [undefined],
      minRequests: 1,
    });
    assert.equal(H.planHistory({ date_begin: 100, scale: 'weekly' }, NOW).range, undefined);
    assert.equal(H.planHistory({ date_begin: NOW_S + 10, scale: '1day' }, NOW).minRequests, 1, 'a begin after the end: one request');
  });

  it('planHistory: modules from a list or comma text, trimmed, an empty one the device itself; 8 at most', () => {
    assert.deepEqual(H.planHistory({ module_id: ' a , b ' }, NOW).modules, ['a', 'b']);
    assert.deepEqual(H.planHistory({ module_id: '' }, NOW).modules, [undefined]);
    assert.deepEqual(H.planHistory({ module_id: 'a' }, NOW).modules, ['a']);
    assert.deepEqual(H.planHistory({ module_id: [1, '', ' c'] }, NOW).modules, ['1', undefined, 'c']);
    const eight = Array.from({ length: 8 }, (_, i) => `m${i}`);
    assert.equal(H.planHistory({ module_id: eight }, NOW).minRequests, 8);
    assert.throws(
      () => H.planHistory({ module_id: [...eight, 'm8'] }, NOW),
      (e) => {
        assert.equal(e.code, 'INVALID_INPUT');
        assert.equal(e.reason, 'modules');
        assert.equal(e.message, 'module_id: at most 8 modules in one history');
        assert.deepEqual(e.params, { max: 8 });
        return true;
      },
    );
  });

  it('planHistory: 100 requests over all modules is the most, with the exact refusal past it', () => {
    const span = (pages) => ({ date_begin: 0, date_end: pages * 1024 * 300, scale: 'max' });
    assert.equal(H.planHistory(span(100), NOW).minRequests, 100);
    assert.equal(H.planHistory({ ...span(50), module_id: ['a', 'b'] }, NOW).minRequests, 100);
    assert.equal(H.planHistory({ ...span(3), module_id: ['a', 'b'] }, NOW).minRequests, 6);
    const refusal = (input, requests) =>
      assert.throws(
        () => H.planHistory(input, NOW),
        (e) => {
          assert.equal(e.reason, 'range');
          assert.equal(e.message, `This range needs ${requests} requests (at most 100): choose a coarser scale`);
          assert.deepEqual(e.params, { requests, max: 100 });
          return true;
        },
      );
    refusal({ date_begin: 0, date_end: 100 * 1024 * 300 + 300, scale: 'max' }, 101);
    refusal({ ...span(51), module_id: ['a', 'b'] }, 102);
  });

  it('moduleParams: the module given, or no module_id at all; the plan unchanged', () => {
    const plan = { params: { device_id: 'd', module_id: ['a', 'b'] }, modules: ['a', 'b'], minRequests: 2 };
    assert.deepEqual(H.moduleParams(plan, 'b'), { device_id: 'd', module_id: 'b' });
    const own = H.moduleParams(plan, undefined);
    assert.deepEqual(own, { device_id: 'd' });
    assert.equal('module_id' in own, false);
    assert.deepEqual(plan.params, { device_id: 'd', module_id: ['a', 'b'] });
  });

  it('nextPageParams: a full page ending before end - 1 asks again from the second after its last row', () => {
    const full = { 0: [1] };
    for (let i = 1; i < 1024; i++) full[i] = [i];
    assert.deepEqual(H.nextPageParams({ a: 1, date_begin: 0 }, full, 1025), { a: 1, date_begin: 1024 });
    assert.equal(H.nextPageParams({}, full, 1024), undefined, 'the last row is end - 1: covered');
    delete full[1023];
    assert.equal(H.nextPageParams({}, full, 5000), undefined, 'a short page ends it');
  });

  it('fetchModuleHistory: at most maxPages (100) requests even when pages never end; one answer is passed on as it came', async () => {
    let calls = 0;
    const value = Array.from({ length: 1024 }, () => [1]);
    const send = async (p) => {
      calls++;
      return [{ beg_time: p.date_begin ?? 0, step_time: 1, value }];
    };
    const plan = { params: {}, range: { begin: 0, end: 1e12 }, modules: [undefined] };
    const h = await H.fetchModuleHistory(plan, undefined, send, 3);
    assert.equal(calls, 3);
    assert.equal(h.requests, 3);
    assert.equal(H.countRows(h.body), 3072);
    assert.deepEqual(h.body, [{ beg_time: 0, step_time: 1, value: Array.from({ length: 3072 }, () => [1]) }]);
    const odd = { status: 'ok', body: 'nothing' };
    const one = await H.fetchModuleHistory(
      { params: { module_id: 'x' }, modules: ['m'] },
      'm',
      async (p) => (assert.equal(p.module_id, 'm'), odd),
    );
    assert.deepEqual(one, { module: 'm', body: odd, requests: 1 });
    assert.equal(one.body, odd);
  });

  it('countRows: each timestamp once', () => {
    assert.equal(
      H.countRows([
        { beg_time: 0, step_time: 0, value: [[1], [2]] },
        { beg_time: 5, step_time: 1, value: [[1], [2]] },
      ]),
      3,
    );
    assert.equal(H.countRows(null), 0);
  });
});
