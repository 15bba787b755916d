'use strict';
/** Ids for the api dialog's pickers (src/core/api/ids.ts): listings and the cache, exact values. */
const assert = require('node:assert/strict');

const { IdsCache, MEASURE_SCALES, MEASURE_TYPES, buildListing, coachesOf, homesOf, stationsOf } = require('../../../dist/core/api/ids');

const CLIMATE = ['temperature', 'humidity', 'min_temp', 'max_temp', 'min_hum', 'max_hum'];

describe('ids: measure types and scales', () => {
  it('the measure types of each device type and the scales of each endpoint, as Netatmo documents them', () => {
    assert.deepEqual(MEASURE_TYPES, {
      NAMain: [...CLIMATE, 'co2', 'pressure', 'noise', 'min_co2', 'max_co2', 'min_pressure', 'max_pressure', 'min_noise', 'max_noise'],
      NAModule1: CLIMATE,
      NAModule2: ['windstrength', 'windangle', 'guststrength', 'gustangle'],
      NAModule3: ['rain', 'sum_rain'],
      NAModule4: [...CLIMATE, 'co2', 'min_co2', 'max_co2'],
      NHC: ['temperature', 'humidity', 'co2', 'pressure', 'noise', 'health_idx'],
      NATherm1: ['temperature', 'sp_temperature', 'sum_boiler_on', 'sum_boiler_off', 'boileron', 'boileroff'],
      room: ['temperature', 'min_temp', 'max_temp'],
    });
    assert.deepEqual(MEASURE_SCALES, {
      getmeasure: ['max', '30min', '1hour', '3hours', '1day', '1week', '1month'],
      getroommeasure: ['30min', '1hour', '3hours', '1day', '1week', '1month'],
    });
  });
});

describe('ids: reading the answers', () => {
  it('stations: the main module first (named by module_name, else station_name), then its modules', () => {
    const body = {
      devices: [
        { _id: 's1', module_name: 'Indoor', type: 'NAMain', modules: [{ _id: 'm1', module_name: 'Out', type: 'NAModule1' }] },
        { _id: 's2', station_name: 'Cabin', modules: 'none' },
      ],
    };
    assert.deepEqual(stationsOf(body), [
      {
        id: 's1',
        name: 'Indoor',
        type: 'NAMain',
        modules: [
          { id: 's1', name: 'Indoor', type: 'NAMain' },
          { id: 'm1', name: 'Out', type: 'NAModule1' },
        ],
      },
      { id: 's2', name: 'Cabin', modules: [{ id: 's2', name: 'Cabin' }] },
    ]);
  });

  it('drops what has no id (text, not empty), names an empty or missing name by the id, cuts text at 100 characters', () => {
    const long = 'n'.repeat(150);
    const body = {
      devices: [
        { station_name: 'no id', modules: [] },
        { _id: '', station_name: 'empty id' },
        { _id: 5, station_name: 'number id' },
        null,
        {
          _id: 's',
          station_name: '',
          module_name: '',
          type: '',
          modules: [{ _id: 'm', module_name: long, type: 7 }, { module_name: 'x' }, 'y'],
        },
      ],
    };
    assert.deepEqual(stationsOf(body), [
      {
        id: 's',
        name: 's',
        modules: [
          { id: 's', name: 's' },
          { id: 'm', name: 'n'.repeat(100) },
        ],
      },
    ]);
    assert.deepEqual(stationsOf({ devices: [{ _id: long }] })[0].id, 'n'.repeat(100));
  });

  it('a body that is not an object, or devices that is not a list: nothing', () => {
    for (const body of [null, undefined, 'devices', 5, Object.assign([], { devices: [{ _id: 'a' }] }), { devices: { _id: 'a' } }]) {
      assert.deepEqual(stationsOf(body), []);
      assert.deepEqual(coachesOf(body), []);
    }
    for (const body of [null, Object.assign([], { homes: [{ id: 'h' }] }), { homes: 'h' }]) assert.deepEqual(homesOf(body), []);
    const fn = Object.assign(() => 0, { devices: [{ _id: 'a' }], homes: [{ id: 'h' }] });
    assert.deepEqual([stationsOf(fn), coachesOf(fn), homesOf(fn)], [[], [], []], 'a function is no body');
    assert.deepEqual(coachesOf({ devices: [Object.assign(() => 0, { _id: 'f' }), { _id: 'b' }] }), [{ id: 'b', name: 'b' }]);
  });

  it('at most 200 devices, homes, rooms and modules are read', () => {
    const many = (key) => Array.from({ length: 201 }, (_, i) => ({ [key]: `x${i}` }));
    assert.equal(stationsOf({ devices: many('_id') }).length, 200);
    assert.equal(stationsOf({ devices: [{ _id: 's', modules: many('_id') }] })[0].modules.length, 201, 'the main module and 200');
    assert.equal(coachesOf({ devices: many('_id') }).length, 200);
    const [h] = homesOf({ homes: [{ id: 'h', rooms: many('id'), modules: many('id') }] });
    assert.equal(h.rooms.length, 200);
    assert.equal(h.modules.length, 200);
    assert.equal(homesOf({ homes: many('id') }).length, 200);
  });

  it('coaches: by station_name, else name, else id', () => {
    assert.deepEqual(
      coachesOf({
        devices: [
          { _id: 'a', station_name: 'Office', name: 'x', type: 'NHC' },
          { _id: 'b', name: 'Bedroom' },
          { _id: 'c' },
          { name: 'no id' },
        ],
      }),
      [
        { id: 'a', name: 'Office', type: 'NHC' },
        { id: 'b', name: 'Bedroom' },
        { id: 'c', name: 'c' },
      ],
    );
  });

  it('homes: a home without id is left out; rooms and modules without id too', () => {
    assert.deepEqual(
      homesOf({
        homes: [
          { name: 'no id', rooms: [{ id: 'r0' }] },
          {
            id: 'h',
            name: 'Home',
            type: 'ignored',
            rooms: [{ id: 'r', name: 'Kitchen', type: 'kitchen' }, { name: 'x' }],
            modules: [{ id: 'm', type: 'NATherm1' }, {}],
          },
          { id: 'h2' },
        ],
      }),
      [
        {
          id: 'h',
          name: 'Home',
          rooms: [{ id: 'r', name: 'Kitchen', type: 'kitchen' }],
          modules: [{ id: 'm', name: 'm', type: 'NATherm1' }],
        },
        { id: 'h2', name: 'h2', rooms: [], modules: [] },
      ],
    );
  });

  it('the listing: endpoints not asked give nothing; the first name of an id wins', () => {
    const l = buildListing(
      {
        stations: { devices: [{ _id: 'a', module_name: 'Indoor', station_name: 'Station' }] },
        homes: { homes: [{ id: 'h', name: 'Home', rooms: [{ id: 'a', name: 'Other' }], modules: [{ id: 'v', name: 'Valve' }] }] },
      },
      [],
      42,
    );
    assert.deepEqual(l.stations, [{ id: 'a', name: 'Station', modules: [{ id: 'a', name: 'Indoor' }] }]);
    assert.deepEqual(l.coaches, []);
    assert.deepEqual(l.names, { a: 'Indoor', h: 'Home', v: 'Valve' });
    assert.equal(l.fetched_at, 42);
    assert.equal(l.types, MEASURE_TYPES);
    assert.equal(l.scales, MEASURE_SCALES);
    const empty = buildListing({}, [], 0);
    assert.deepEqual([empty.stations, empty.coaches, empty.homes, empty.names, empty.errors], [[], [], [], {}, []]);
  });
});

describe('ids: the cache', () => {
  const listing = (n) => buildListing({}, [], n);

  it('keeps a listing 5 minutes by default, on the clock it is given', async () => {
    let now = 1000;
    let fetches = 0;
    const cache = new IdsCache(undefined, () => now);
    const fetch = async () => listing(++fetches);
    assert.equal((await cache.get('k', fetch)).fetched_at, 1);
    now += 299_999;
    assert.equal((await cache.get('k', fetch)).fetched_at, 1);
    now += 1;
    assert.equal((await cache.get('k', fetch)).fetched_at, 2);
  });

  it('keeps a failure 30 s by default, counted from when it failed', async () => {
    let now = 0;
    let fail;
    const cache = new IdsCache(undefined, () => now);
    const failing = cache.get('k', () => new Promise((_, reject) => (fail = reject)));
    now = 10_000;
    fail(new Error('down'));
    await assert.rejects(failing, /down/);
    now = 39_999;
    await assert.rejects(
      cache.get('k', async () => listing(1)),
      /down/,
    );
    now = 40_000;
    assert.equal((await cache.get('k', async () => listing(2))).fetched_at, 2);
  });

  it('the default clock is Date.now', async () => {
    const cache = new IdsCache(60_000);
    let fetches = 0;
    const fetch = async () => listing(++fetches);
    await cache.get('k', fetch);
    await cache.get('k', fetch);
    assert.equal(fetches, 1);
    const expired = new IdsCache(0);
    await expired.get('k', fetch);
    await expired.get('k', fetch);
    assert.equal(fetches, 3, 'a time to live of 0 keeps nothing');
  });
});
