'use strict';
/** The webhook core (src/core/events): signature over raw bytes, normalisation, filters, dedup. Plain functions. */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { signBody, checkSignature } = require('../../../dist/core/events/signature');
const { RecentEvents, eventKey } = require('../../../dist/core/events/dedup');
const { normaliseEvent, familyOf, parseFilter, matchesFilter, topicOf } = require('../../../dist/core/events/payload');
const { EventReceiver, MAX_BODY_BYTES } = require('../../../dist/core/events/receiver');

const SECRET = 'app-client-secret-0123456789';
/** As Netatmo's backend writes it: escaped slashes and \u escapes, which JSON.stringify would not reproduce. */
const RAW = Buffer.from(
  '{"push_type":"NACamera-person","event_type":"person","event_id":"5f1e","home_id":"5d9a","camera_id":"70:ee:50:aa:bb:cc",' +
    '"persons":[{"id":"p1","is_known":true}],"snapshot_url":"https:\\/\\/netatmocameraimage.blob.core.windows.net\\/x","message":"Caf\\u00e9"}',
);
const hmac = (secret, raw) => crypto.createHmac('sha256', secret).update(raw).digest('hex');

describe('webhook signature', () => {
  it('is the hex HMAC-SHA256 of the raw bytes keyed by the client secret', () => {
    assert.equal(signBody(SECRET, RAW), hmac(SECRET, RAW));
    assert.equal(checkSignature(SECRET, RAW, hmac(SECRET, RAW)), 'ok');
    assert.equal(checkSignature(SECRET, RAW, hmac(SECRET, RAW).toUpperCase()), 'ok', 'hex digits in either case');
    assert.equal(checkSignature(SECRET, RAW, [hmac(SECRET, RAW)]), 'ok', 'a header given as an array');
  });

  it('is checked over the bytes as sent: the same JSON serialised again is refused', () => {
    const again = Buffer.from(JSON.stringify(JSON.parse(RAW.toString())));
    assert.notDeepEqual(again, RAW);
    assert.equal(checkSignature(SECRET, again, hmac(SECRET, RAW)), 'wrong');
  });

  it('a missing, empty, short, non-hex or other-key signature is refused', () => {
    assert.equal(checkSignature(SECRET, RAW, undefined), 'missing');
    assert.equal(checkSignature(SECRET, RAW, '  '), 'missing');
    assert.equal(checkSignature(SECRET, RAW, hmac(SECRET, RAW).slice(0, 63)), 'wrong');
    assert.equal(checkSignature(SECRET, RAW, 'z'.repeat(64)), 'wrong');
    assert.equal(checkSignature(SECRET, RAW, hmac('another-secret', RAW)), 'wrong');
    const flipped = Buffer.from(RAW);
    flipped[10] ^= 1;
    assert.equal(checkSignature(SECRET, flipped, hmac(SECRET, RAW)), 'wrong');
  });

  it('compares with crypto.timingSafeEqual (constant time) over the whole digest', () => {
    const real = crypto.timingSafeEqual;
    const calls = [];
    crypto.timingSafeEqual = (a, b) => (calls.push([a.length, b.length]), real(a, b));
    try {
      assert.equal(checkSignature(SECRET, RAW, hmac(SECRET, RAW)), 'ok');
      assert.equal(checkSignature(SECRET, RAW, hmac('x', RAW)), 'wrong');
    } finally {
      crypto.timingSafeEqual = real;
    }
    assert.deepEqual(calls, [
      [32, 32],
      [32, 32],
    ]);
  });
});

describe('webhook payload', () => {
  it('names the same fields the same way for each family', () => {
    const camera = normaliseEvent(JSON.parse(RAW.toString()));
    assert.deepEqual(camera, {
      family: 'camera',
      push_type: 'NACamera-person',
      event_type: 'person',
      home_id: '5d9a',
      device_id: '70:ee:50:aa:bb:cc',
      event_id: '5f1e',
      person_ids: ['p1'],
      snapshot_url: 'https://netatmocameraimage.blob.core.windows.net/x',
      verified: true,
    });
    const thermostat = normaliseEvent({
      push_type: 'display_change',
      event_type: 'set_point',
      home_id: 'h1',
      room_id: 'r1',
      home: { id: 'h1', rooms: [{ id: 'r1', therm_setpoint_temperature: 21 }] },
    });
    assert.deepEqual(thermostat, {
      family: 'thermostat',
      push_type: 'display_change',
      event_type: 'set_point',
      home_id: 'h1',
      room_id: 'r1',
      verified: true,
    });
    const fromHome = normaliseEvent({ push_type: 'display_change', home: { id: 'h2', rooms: [{ id: 'r9' }] } }, false);
    assert.deepEqual(fromHome, { family: 'thermostat', push_type: 'display_change', home_id: 'h2', room_id: 'r9', verified: false });
    const device = normaliseEvent({
      push_type: 'device_event',
      extra_params: { event_type: 'hush', home_id: 'h3', device_id: 'd3', time: 1700000000 },
    });
    assert.deepEqual(device, {
      family: 'device',
      push_type: 'device_event',
      event_type: 'hush',
      home_id: 'h3',
      device_id: 'd3',
      time: 1700000000,
      verified: true,
    });
  });

  it('tells the families apart by event type first, then by the push type prefix', () => {
    const cases = [
      ['webhook_activation', undefined, 'lifecycle'],
      ['NACamera-tag_open', 'tag_open', 'door-tag'],
      ['NACamera-alarm_started', 'alarm_started', 'alarm'],
      ['NOC-human', 'human', 'camera'],
      ['NDB-incoming_call', 'incoming_call', 'doorbell'],
      ['NSD-smoke', 'smoke', 'smoke'],
      ['NCO-co_detected', 'co_detected', 'co'],
      ['NIS-siren_sounding', 'siren_sounding', 'siren'],
      ['display_change', 'therm_mode', 'thermostat'],
      ['device_event', undefined, 'device'],
      ['Unknown-thing', 'thing', 'other'],
    ];
    for (const [push, type, family] of cases) assert.equal(familyOf(push, type), family, `${push} ${type}`);
  });

  it('the topic is the event type, else the push type', () => {
    assert.equal(topicOf(normaliseEvent({ push_type: 'NOC-human', event_type: 'human' })), 'human');
    assert.equal(topicOf(normaliseEvent({ push_type: 'webhook_activation' })), 'webhook_activation');
  });

  it('a filter names families, event types or push types; empty lets everything through', () => {
    assert.deepEqual(parseFilter(' camera, smoke  person,,camera '), ['camera', 'smoke', 'person']);
    assert.deepEqual(parseFilter(undefined), []);
    const person = normaliseEvent({ push_type: 'NACamera-person', event_type: 'person' });
    assert.equal(matchesFilter([], person), true);
    assert.equal(matchesFilter(['camera'], person), true);
    assert.equal(matchesFilter(['person'], person), true);
    assert.equal(matchesFilter(['NACamera-person'], person), true);
    assert.equal(matchesFilter(['smoke', 'thermostat'], person), false);
  });

  it('outside values are bounded: no field of msg.netatmo holds more than 200 characters', () => {
    const info = normaliseEvent({ push_type: 'x'.repeat(5000), home_id: 'h'.repeat(5000) });
    assert.equal(info.push_type.length, 200);
    assert.equal(info.home_id.length, 200);
  });
});

describe('webhook dedup', () => {
  it('remembers at most its capacity, forgetting the oldest first', () => {
    const r = new RecentEvents(3);
    assert.equal(r.firstTime('a'), true);
    assert.equal(r.firstTime('a'), false);
    for (const k of ['b', 'c', 'd']) r.firstTime(k);
    assert.equal(r.size, 3);
    assert.equal(r.firstTime('a'), true, 'a was forgotten when d came');
    assert.equal(r.firstTime('d'), false);
  });

  it('a body without id is a repeat for 10 minutes only (each webhook_activation is the same bytes)', () => {
    const r = new RecentEvents(10);
    const key = eventKey({ push_type: 'webhook_activation' }, Buffer.from('{"push_type":"webhook_activation"}'));
    assert.equal(r.firstTime(key, 0), true);
    assert.equal(r.firstTime(key, 10 * 60_000 - 1), false);
    assert.equal(r.firstTime(key, 10 * 60_000), true);
    assert.equal(r.firstTime('id:e1|person', 0), true);
    assert.equal(r.firstTime('id:e1|person', 10 ** 12), false, 'an id is remembered as long as it is kept');
  });

  it('the same id and type is one event; an event without id is known by its bytes', () => {
    const a = { event_id: 'e1', event_type: 'person' };
    assert.equal(eventKey(a, Buffer.from('1')), eventKey({ ...a, extra: 1 }, Buffer.from('2')));
    assert.notEqual(eventKey(a, Buffer.from('1')), eventKey({ event_id: 'e1', event_type: 'movement' }, Buffer.from('1')));
    assert.equal(eventKey({ push_type: 'display_change' }, Buffer.from('x')), eventKey({ push_type: 'display_change' }, Buffer.from('x')));
    assert.notEqual(
      eventKey({ push_type: 'display_change' }, Buffer.from('x')),
      eventKey({ push_type: 'display_change' }, Buffer.from('y')),
    );
  });
});

describe('webhook receiver', () => {
  const signed = (raw) => [raw, hmac(SECRET, raw), SECRET];

  it('answers each delivery with its status and counts it', () => {
    const r = new EventReceiver({ now: () => 1234 });
    const ok = r.receive(...signed(RAW));
    assert.equal(ok.outcome, 'event');
    assert.equal(ok.status, 200);
    assert.equal(ok.info.event_type, 'person');
    assert.equal(ok.body.message, 'Café');
    assert.equal(r.receive(...signed(RAW)).outcome, 'duplicate');
    assert.equal(r.receive(RAW, undefined, SECRET).status, 401);
    assert.equal(r.receive(RAW, hmac('x', RAW), SECRET).status, 403);
    assert.equal(r.receive(...signed(Buffer.from('{"broken"'))).status, 400);
    assert.equal(r.receive(...signed(Buffer.from('[1,2]'))).status, 400, 'not an object');
    assert.equal(r.receive(...signed(Buffer.alloc(MAX_BODY_BYTES + 1, 32))).status, 413);
    assert.deepEqual(r.counters, { events: 1, duplicates: 1, refused: 5, lastEventAt: 1234 });
  });

  it('webhook_activation is never a repeat (each registration sends the same bytes)', () => {
    const r = new EventReceiver();
    const raw = Buffer.from('{"push_type":"webhook_activation"}');
    assert.equal(r.receive(...signed(raw)).outcome, 'event');
    assert.equal(r.receive(...signed(raw)).outcome, 'event');
  });

  it('a refused delivery is not remembered: the genuine one that follows still passes', () => {
    const r = new EventReceiver();
    assert.equal(r.receive(RAW, hmac('x', RAW), SECRET).outcome, 'bad-signature');
    assert.equal(r.receive(...signed(RAW)).outcome, 'event');
  });

  it('unsigned bodies pass only when allowed, and are marked unverified; a wrong signature never passes', () => {
    const r = new EventReceiver();
    assert.equal(r.receive(RAW, undefined, SECRET, false).outcome, 'unsigned');
    const d = r.receive(RAW, undefined, SECRET, true);
    assert.equal(d.outcome, 'event');
    assert.equal(d.info.verified, false);
    assert.equal(r.receive(Buffer.from('{"a":1}'), hmac('x', RAW), SECRET, true).outcome, 'bad-signature');
  });
});
