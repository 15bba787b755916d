'use strict';
/** Chart points for Dashboard 2 (src/core/api/chart.ts): names, units and points, exact values. */
const assert = require('node:assert/strict');

const { chartPoints, seriesName, typeList, typeName, unitOf } = require('../../../dist/core/api/chart');

describe('chart: type names and units', () => {
  it('typeName trims and strips only a trailing $n (one or more digits)', () => {
    assert.equal(typeName('  sum_energy_elec$12  '), 'sum_energy_elec');
    assert.equal(typeName('sum_energy_elec$1'), 'sum_energy_elec');
    assert.equal(typeName('a$1b'), 'a$1b', 'a $n inside the name stays');
    assert.equal(typeName('temperature$'), 'temperature$', 'a $ without digits stays');
    assert.equal(typeName('x$1$2'), 'x$1');
  });

  it('unitOf knows every measure type of Netatmo, in any case, and Wh for energy sums', () => {
    const want = {
      temperature: '°C',
      min_temp: '°C',
      max_temp: '°C',
      sp_temperature: '°C',
      humidity: '%',
      min_hum: '%',
      max_hum: '%',
      co2: 'ppm',
      min_co2: 'ppm',
      max_co2: 'ppm',
      noise: 'dB',
      min_noise: 'dB',
      max_noise: 'dB',
      pressure: 'mbar',
      min_pressure: 'mbar',
      max_pressure: 'mbar',
      rain: 'mm',
      sum_rain: 'mm',
      windstrength: 'km/h',
      guststrength: 'km/h',
      windangle: '°',
      gustangle: '°',
      boileron: 's',
      boileroff: 's',
      sum_boiler_on: 's',
      sum_boiler_off: 's',
    };
    for (const [type, unit] of Object.entries(want)) {
      assert.equal(unitOf(type), unit, type);
      assert.equal(unitOf(` ${type.toUpperCase()} `), unit, type.toUpperCase());
    }
    assert.equal(unitOf('sum_energy_elec$3'), 'Wh');
    assert.equal(unitOf('SUM_ENERGY_buy_from_grid'), 'Wh');
    assert.equal(unitOf('energy_sum'), '', 'energy only as a prefix sum_energy');
    assert.equal(unitOf('health_idx'), '');
    assert.equal(unitOf('constructor'), '', 'no unit from the prototype');
    assert.equal(unitOf(''), '');
  });

  it('seriesName: type with its unit, with a label before, without parentheses when there is no unit', () => {
    assert.equal(seriesName('Temperature'), 'Temperature (°C)');
    assert.equal(seriesName('Humidity', 'Outdoor'), 'Outdoor Humidity (%)');
    assert.equal(seriesName('health_idx', 'Office'), 'Office health_idx');
    assert.equal(seriesName('health_idx', ''), 'health_idx');
    assert.equal(seriesName(' sum_energy_elec$1 ', 'Meter'), 'Meter sum_energy_elec (Wh)');
  });

  it('typeList: a list or comma text, trimmed, empty entries and missing types left out', () => {
    assert.deepEqual(typeList(' Temperature , Humidity ,, '), ['Temperature', 'Humidity']);
    assert.deepEqual(typeList([' co2 ', '', 5]), ['co2', '5']);
    assert.deepEqual(typeList(undefined), []);
    assert.deepEqual(typeList(null), []);
    assert.deepEqual(typeList(''), []);
  });
});

describe('chart: points', () => {
  it('one series per requested type, x in ms, values that are not numbers left out', () => {
    const body = { 100: [1.5, null], 200: [2, 40], 300: [null, 41] };
    assert.deepEqual(chartPoints([{ body }], ' temperature , humidity '), [
      { series: 'temperature (°C)', x: 100000, y: 1.5 },
      { series: 'temperature (°C)', x: 200000, y: 2 },
      { series: 'humidity (%)', x: 200000, y: 40 },
      { series: 'humidity (%)', x: 300000, y: 41 },
    ]);
  });

  it('a type more than the answer has values: no points for it; no history: no points', () => {
    assert.deepEqual(chartPoints([{ body: [{ beg_time: 10, step_time: 5, value: [[1], [2]] }] }], 'rain,sum_rain'), [
      { series: 'rain (mm)', x: 10000, y: 1 },
      { series: 'rain (mm)', x: 15000, y: 2 },
    ]);
    assert.deepEqual(chartPoints([], 'rain'), []);
    assert.deepEqual(chartPoints([{ body: { 10: [1] } }], ''), []);
  });

  it('labelled histories follow one another, each named with its label', () => {
    assert.deepEqual(
      chartPoints(
        [
          { label: 'A', body: { 5: [1] } },
          { label: 'B', body: { 5: [2] } },
        ],
        ['noise'],
      ),
      [
        { series: 'A noise (dB)', x: 5000, y: 1 },
        { series: 'B noise (dB)', x: 5000, y: 2 },
      ],
    );
  });
});
