'use strict';
/**
 * The endpoints the netatmo-api node knows by name (src/core/api/catalogue.ts): how each is sent and what
 * it needs, as Netatmo's PHP SDK, pyatmo and openHAB send them (see the facts file). The runtime checks
 * messages against it and the editor shows it: each entry is a contract, asserted whole.
 */
const assert = require('node:assert/strict');

const { endpoints, findEndpoint, missingScopes } = require('../../../dist/core/api/catalogue');

const { HOME_READ, HOME_WRITE } = require('../../helpers/netatmo-scopes');
const EVENTS = ['read_camera', 'read_presence', 'read_doorbell', 'read_smokedetector', 'read_carbonmonoxidedetector'];
const SCALES = ['max', '30min', '1hour', '3hours', '1day', '1week', '1month'];

const read = (name, group, required, optional, scopes, values) => ({
  name,
  method: 'GET',
  encoding: 'query',
  write: false,
  group,
  required,
  optional,
  scopes,
  ...(values ? { values } : {}),
});
const change = (name, encoding, required, optional, values) => ({
  name,
  method: 'POST',
  encoding,
  write: true,
  group: name === 'setstate' ? 'homes' : 'energy',
  required,
  optional,
  scopes: name === 'setstate' ? HOME_WRITE : ['write_thermostat'],
  ...(values ? { values } : {}),
});

const EXPECTED = [
  read('homesdata', 'homes', [], ['home_id', 'gateway_types'], HOME_READ),
  read('homestatus', 'homes', ['home_id'], ['device_types'], HOME_READ),
  read(
    'getevents',
    'security',
    ['home_id'],
    ['device_types', 'event_id', 'person_id', 'device_id', 'module_id', 'offset', 'size', 'locale'],
    EVENTS,
  ),
  change('setstate', 'json', ['home'], []),
  read('getstationsdata', 'weather', [], ['device_id', 'get_favorites'], ['read_station']),
  read(
    'getmeasure',
    'weather',
    ['device_id', 'scale', 'type'],
    ['module_id', 'date_begin', 'date_end', 'limit', 'optimize', 'real_time'],
    ['read_station', 'read_thermostat', 'read_homecoach'],
    { scale: SCALES },
  ),
  read('gethomecoachsdata', 'aircare', [], ['device_id'], ['read_homecoach']),
  read(
    'getroommeasure',
    'energy',
    ['home_id', 'room_id', 'scale', 'type'],
    ['date_begin', 'date_end', 'limit', 'optimize', 'real_time'],
    ['read_thermostat'],
    { scale: SCALES },
  ),
  change('setroomthermpoint', 'form', ['home_id', 'room_id', 'mode'], ['temp', 'endtime'], { mode: ['manual', 'max', 'home'] }),
  change('setthermmode', 'form', ['home_id', 'mode'], ['endtime', 'schedule_id'], { mode: ['schedule', 'away', 'hg'] }),
  change('switchhomeschedule', 'form', ['home_id', 'schedule_id'], []),
  change('synchomeschedule', 'json', ['home_id', 'timetable', 'zones'], ['schedule_id', 'name', 'hg_temp', 'away_temp']),
];

describe('api catalogue: the endpoints known by name', () => {
  it('each endpoint is sent as Netatmo takes it, with the parameters and scopes it needs', () => {
    const withoutPurpose = endpoints().map((e) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'purpose')));
    assert.deepEqual(withoutPurpose, EXPECTED);
  });

  it('each endpoint says in a sentence what it is for (shown in the editor)', () => {
    const purposes = endpoints().map((e) => e.purpose);
    for (const p of purposes) assert.match(p, /^[A-Z"].{20,}$/, p);
    assert.equal(new Set(purposes).size, purposes.length, 'no two alike');
    assert.match(findEndpoint('setstate').purpose, /\{"home": \{"id": \.\., "modules": \[\{"id": \.\., \.\.\}\]\}\}/);
    assert.match(findEndpoint('setthermmode').purpose, /schedule, away or frost guard \(hg\)/);
  });

  it('findEndpoint finds each by its exact name only', () => {
    for (const e of endpoints()) assert.deepEqual(findEndpoint(e.name), e);
    for (const name of ['', 'HOMESDATA', ' homesdata', '/api/homesdata', 'constructor', 'toString']) {
      assert.equal(findEndpoint(name), undefined, JSON.stringify(name));
    }
  });

  it('each call hands out a copy of its own: what one caller changes, no other sees', () => {
    const mine = endpoints();
    mine[0].scopes.push('x');
    mine[0].required.push('x');
    findEndpoint('getmeasure').values.scale.push('x');
    assert.deepEqual(
      endpoints(),
      EXPECTED.map((e, i) => ({ ...e, purpose: endpoints()[i].purpose })),
    );
    assert.deepEqual(findEndpoint('getmeasure').values, { scale: SCALES });
  });

  it('missingScopes: none when the login holds one of them or the endpoint is not ours; all of them otherwise', () => {
    const measure = findEndpoint('getmeasure');
    assert.deepEqual(missingScopes(measure, ['read_homecoach']), []);
    assert.deepEqual(missingScopes(measure, ['read_station', 'write_thermostat']), []);
    assert.deepEqual(missingScopes(measure, ['write_thermostat']), ['read_station', 'read_thermostat', 'read_homecoach']);
    assert.deepEqual(missingScopes(measure, []), ['read_station', 'read_thermostat', 'read_homecoach']);
    assert.deepEqual(missingScopes(undefined, []), []);
    assert.deepEqual(missingScopes(findEndpoint('homestatus'), ['read_mhs1']), []);
    assert.deepEqual(missingScopes(findEndpoint('getevents'), ['read_station']), EVENTS);
  });
});
