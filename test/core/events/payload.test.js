'use strict';
/** src/core/events/payload.ts value by value: each family, each field's sources, the bounds of a filter. */
const assert = require('node:assert/strict');

const { normaliseEvent, familyOf, parseFilter, matchesFilter, topicOf, EVENT_FAMILIES } = require('../../../dist/core/events/payload');

describe('webhook payload, exactly', () => {
  it('each event type names its family, whatever the push type', () => {
    const byType = {
      webhook_activation: 'lifecycle',
      webhook_deactivation: 'lifecycle',
      tag_open: 'door-tag',
      tag_big_move: 'door-tag',
      tag_small_move: 'door-tag',
      alarm_started: 'alarm',
      incoming_call: 'doorbell',
      accepted_call: 'doorbell',
      missed_call: 'doorbell',
      set_point: 'thermostat',
      cancel_set_point: 'thermostat',
      therm_mode: 'thermostat',
      schedule: 'thermostat',
      siren_sounding: 'siren',
      co_detected: 'co',
      smoke: 'smoke',
    };
    for (const [type, family] of Object.entries(byType)) {
      assert.equal(familyOf(undefined, type), family, type);
      assert.equal(familyOf('NOC-x', type), family, `${type} before the push's prefix`);
      assert.equal(familyOf(type, undefined), family, `${type} as the push type`);
    }
  });

  it('each push prefix names its family when the type says nothing; no push type is other', () => {
    const byPrefix = {
      NACamera: 'camera',
      NOC: 'camera',
      NPC: 'camera',
      NDB: 'doorbell',
      NSD: 'smoke',
      NCO: 'co',
      NIS: 'siren',
      NACamDoorTag: 'door-tag',
    };
    for (const [prefix, family] of Object.entries(byPrefix)) {
      assert.equal(familyOf(`${prefix}-anything`, 'anything'), family, prefix);
      assert.equal(familyOf(prefix, undefined), family, `${prefix} alone`);
    }
    assert.equal(familyOf(undefined, undefined), 'other');
    assert.equal(familyOf('', ''), 'other');
    assert.equal(familyOf('display_change', undefined), 'thermostat');
    assert.equal(familyOf('device_event', 'hush'), 'device');
    assert.equal(familyOf('-NOC', undefined), 'other');
    assert.deepEqual(EVENT_FAMILIES.includes('other'), true);
  });

  it('a field is text: a number becomes its digits; empty, non-finite and other values are absent', () => {
    assert.deepEqual(normaliseEvent({ home_id: 123, module_id: 0, device_id: 1.5 }), {
      family: 'other',
      home_id: '123',
      module_id: '0',
      device_id: '1.5',
      verified: true,
    });
    assert.deepEqual(normaliseEvent({ home_id: Infinity, module_id: NaN, device_id: true, event_id: {}, room_id: [] }), {
      family: 'other',
      verified: true,
    });
    assert.deepEqual(normaliseEvent({ home_id: '', home: { id: 'h9' } }), { family: 'other', home_id: 'h9', verified: true });
    assert.equal(normaliseEvent({ home_id: 'a'.repeat(200) }).home_id.length, 200);
    assert.equal(normaliseEvent({ home_id: 'a'.repeat(201) }).home_id, 'a'.repeat(200));
  });

  it('each field is read from the body first, then from extra_params', () => {
    const extra = {
      event_type: 'hush',
      home_id: 'h1',
      device_id: 'd1',
      module_id: 'm1',
      room_id: 'r1',
      event_id: 'e1',
      time: 1700000001,
    };
    assert.deepEqual(normaliseEvent({ push_type: 'device_event', extra_params: extra }), {
      family: 'device',
      push_type: 'device_event',
      ...extra,
      verified: true,
    });
    const body = { event_type: 'smoke', home_id: 'H', device_id: 'D', module_id: 'M', room_id: 'R', event_id: 'E', time: 5 };
    assert.deepEqual(normaliseEvent({ ...body, extra_params: extra }), { family: 'smoke', ...body, verified: true });
    assert.equal(normaliseEvent({ camera_id: 'c1', extra_params: { device_id: 'd2' } }).device_id, 'c1', 'camera_id of the body first');
    assert.equal(normaliseEvent({ extra_params: { id: 'x1' } }).device_id, 'x1', "the envelope's own id names its device");
    assert.equal(normaliseEvent({ id: 'x1' }).device_id, undefined, "the body's id is not a device");
    assert.equal(
      normaliseEvent({ extra_params: { push_type: 'NOC-x', snapshot_url: 'u' } }).push_type,
      undefined,
      'push_type: the body only',
    );
    assert.equal(normaliseEvent({ extra_params: { snapshot_url: 'u' } }).snapshot_url, undefined, 'snapshot_url: the body only');
    assert.equal(normaliseEvent({ extra_params: ['x'], home_id: 'h' }).home_id, 'h', 'extra_params as a list is ignored');
    assert.equal(normaliseEvent({ extra_params: null, home_id: 'h' }).home_id, 'h');
  });

  it("the room of a thermostat push: room_id, else the home's only room (objects only)", () => {
    assert.equal(normaliseEvent({ home: { rooms: [{ id: 'r1' }] } }).room_id, 'r1');
    assert.equal(normaliseEvent({ home: { rooms: [{ id: 'r1' }, { id: 'r2' }] } }).room_id, undefined, 'two rooms: which one?');
    assert.equal(normaliseEvent({ home: { rooms: ['x', null, [], { id: 'r1' }] } }).room_id, 'r1', 'what is not a room is skipped');
    assert.equal(normaliseEvent({ home: { rooms: { id: 'r1' } } }).room_id, undefined, 'rooms not a list');
    assert.equal(normaliseEvent({ home: [{ id: 'r1' }], home_id: 'h' }).room_id, undefined, 'home as a list is ignored');
    assert.equal(normaliseEvent({ room_id: 'r0', home: { rooms: [{ id: 'r1' }] } }).room_id, 'r0');
  });

  it('person_ids: the ids of the persons that are objects with an id; none is absent', () => {
    assert.deepEqual(normaliseEvent({ persons: [null, 'p0', { id: 'p1' }, {}, { id: 7 }, { id: '' }] }).person_ids, ['p1', '7']);
    assert.equal('person_ids' in normaliseEvent({ persons: [{}] }), false);
    assert.equal('person_ids' in normaliseEvent({ persons: { id: 'p1' } }), false);
  });

  it('time: body, then extra_params, then event_time; only a positive finite number', () => {
    assert.equal(normaliseEvent({ time: 10, extra_params: { time: 20 }, event_time: 30 }).time, 10);
    assert.equal(normaliseEvent({ extra_params: { time: 20 }, event_time: 30 }).time, 20);
    assert.equal(normaliseEvent({ event_time: '30' }).time, 30);
    assert.equal(normaliseEvent({ time: 1 }).time, 1);
    for (const time of [0, -5, 'abc', Infinity, '1e400', null]) assert.equal('time' in normaliseEvent({ time }), false, String(time));
  });

  it('the topic is the event type, the push type, else empty', () => {
    assert.equal(topicOf({ family: 'other', event_type: 'a', push_type: 'b' }), 'a');
    assert.equal(topicOf({ family: 'other', push_type: 'b' }), 'b');
    assert.equal(topicOf({ family: 'other' }), '');
  });

  it('a filter: trimmed, without repeats or empties, each name at most 100 characters', () => {
    assert.deepEqual(parseFilter([' camera ', 'smoke', 'camera', '', 5]), ['camera', 'smoke', '5']);
    assert.deepEqual(parseFilter('a,,b  c\n\td'), ['a', 'b', 'c', 'd']);
    assert.deepEqual(parseFilter(['x'.repeat(100), 'y'.repeat(101)]), ['x'.repeat(100)]);
    assert.deepEqual(parseFilter(`${'x'.repeat(100)} ${'y'.repeat(101)}`), ['x'.repeat(100)]);
    assert.deepEqual(parseFilter(42), []);
    assert.deepEqual(parseFilter(''), []);
  });

  it('an event passes when any name of the filter is its family, event type or push type', () => {
    const info = { family: 'camera', event_type: 'person', push_type: 'NACamera-person' };
    assert.equal(matchesFilter(['smoke', 'camera'], info), true);
    assert.equal(matchesFilter(['smoke', 'person'], info), true);
    assert.equal(matchesFilter(['smoke', 'NACamera-person'], info), true);
    assert.equal(matchesFilter(['smoke'], info), false);
    assert.equal(matchesFilter(['smoke'], { family: 'other' }), false);
  });
});
