'use strict';
/** src/core/events/receiver.ts and signature.ts value by value: bounds, unsigned bodies, what is not a JSON object. */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { EventReceiver, MAX_BODY_BYTES, parseBody } = require('../../../dist/core/events/receiver');
const { checkSignature } = require('../../../dist/core/events/signature');

const SECRET = 'app-client-secret-0123456789';
const hmac = (raw) => crypto.createHmac('sha256', SECRET).update(raw).digest('hex');

describe('webhook receiver, exactly', () => {
  it('a body of exactly MAX_BODY_BYTES (64 KiB) is read; one byte more is refused unread', () => {
    assert.equal(MAX_BODY_BYTES, 65536);
    const json = '{"a":"';
    const raw = Buffer.from(json + 'x'.repeat(MAX_BODY_BYTES - json.length - 2) + '"}');
    assert.equal(raw.length, MAX_BODY_BYTES);
    const r = new EventReceiver();
    assert.deepEqual(
      { ...r.receive(raw, hmac(raw), SECRET), body: undefined },
      { outcome: 'event', status: 200, body: undefined, info: { family: 'other', verified: true } },
    );
    const more = Buffer.concat([raw, Buffer.from(' ')]);
    assert.deepEqual(r.receive(more, hmac(more), SECRET), { outcome: 'too-large', status: 413, body: undefined, info: undefined });
  });

  it('without a client secret: unsigned (401) unless allowed; allowed, even a signed body is unverified', () => {
    const raw = Buffer.from('{"event_id":"e1","event_type":"person"}');
    const r = new EventReceiver();
    assert.equal(r.receive(raw, undefined, undefined).outcome, 'unsigned');
    assert.equal(r.receive(raw, hmac(raw), undefined, false).status, 401);
    const d = r.receive(raw, hmac(raw), undefined, true);
    assert.equal(d.outcome, 'event');
    assert.equal(d.info.verified, false);
    assert.deepEqual(r.counters, { events: 1, duplicates: 0, refused: 2, lastEventAt: r.counters.lastEventAt });
  });

  it('a signed body is verified; its duplicate counts as one', () => {
    const raw = Buffer.from('{"event_id":"e1","event_type":"person"}');
    const r = new EventReceiver({ now: () => 77 });
    assert.equal(r.receive(raw, hmac(raw), SECRET).info.verified, true);
    assert.deepEqual(r.receive(raw, hmac(raw), SECRET), { outcome: 'duplicate', status: 200, body: undefined, info: undefined });
    assert.deepEqual(r.counters, { events: 1, duplicates: 1, refused: 0, lastEventAt: 77 });
  });

  it('only a JSON object is a body: null, numbers, strings, lists and broken JSON are not (400)', () => {
    assert.deepEqual(parseBody(Buffer.from('{"a":1}')), { a: 1 });
    for (const text of ['null', '42', '"x"', 'true', '[]', '[{"a":1}]', '{', '']) {
      assert.equal(parseBody(Buffer.from(text)), undefined, text);
      const raw = Buffer.from(text);
      assert.equal(new EventReceiver().receive(raw, hmac(raw), SECRET).status, 400, text);
    }
  });

  it('a signature is read trimmed, from the first of several headers', () => {
    const raw = Buffer.from('{}');
    assert.equal(checkSignature(SECRET, raw, `  ${hmac(raw)}\t`), 'ok');
    assert.equal(checkSignature(SECRET, raw, [` ${hmac(raw)} `, 'x']), 'ok');
    assert.equal(checkSignature(SECRET, raw, ['x', hmac(raw)]), 'wrong');
    assert.equal(checkSignature(SECRET, raw, []), 'missing');
    assert.equal(checkSignature(SECRET, raw, 42), 'missing');
    assert.equal(checkSignature(SECRET, raw, `x${hmac(raw)}`), 'wrong', 'nothing before the digest');
    assert.equal(checkSignature(SECRET, raw, `${hmac(raw)}x`), 'wrong', 'nothing after it');
    assert.equal(checkSignature(SECRET, raw, `${hmac(raw)}0`), 'wrong');
  });
});
