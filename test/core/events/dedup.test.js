'use strict';
/** src/core/events/dedup.ts value by value: the keys, the repeat window and its bounds. */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const { RecentEvents, eventKey, RAW_REPEAT_MS } = require('../../../dist/core/events/dedup');

describe('webhook dedup, exactly', () => {
  it('a key is the id (event_id, id, then extra_params.event_id) and the type (event_type, then push_type)', () => {
    assert.equal(eventKey({ event_id: 'e1', id: 'i1', event_type: 'person', push_type: 'p' }, Buffer.from('x')), 'id:e1|person');
    assert.equal(eventKey({ id: 'i1', push_type: 'NOC-human' }, Buffer.from('x')), 'id:i1|NOC-human');
    assert.equal(eventKey({ extra_params: { event_id: 'x1' } }, Buffer.from('x')), 'id:x1|');
    assert.equal(eventKey({ event_id: 42, event_type: 'movement' }, Buffer.from('x')), 'id:42|movement');
    assert.equal(eventKey({ event_id: 0 }, Buffer.from('x')), 'id:0|');
  });

  it('no usable id: the key is the SHA-256 of the bytes, in base64', () => {
    const raw = Buffer.from('{"push_type":"display_change"}');
    const key = `raw:${crypto.createHash('sha256').update(raw).digest('base64')}`;
    for (const body of [
      { push_type: 'display_change' },
      { event_id: '', event_type: 't' },
      { event_id: true },
      { event_id: { a: 1 } },
      { extra_params: null },
      { extra_params: ['e1'] },
      { extra_params: 'e1' },
    ])
      assert.equal(eventKey(body, raw), key, JSON.stringify(body));
  });

  it('a key without id is a repeat for RAW_REPEAT_MS after it was first seen, counted from then', () => {
    assert.equal(RAW_REPEAT_MS, 600_000);
    const r = new RecentEvents(10);
    assert.equal(r.firstTime('raw:k', 5000), true);
    assert.equal(r.firstTime('raw:k', 5000 + RAW_REPEAT_MS - 1), false);
    assert.equal(r.firstTime('raw:k', 5000 + RAW_REPEAT_MS), true, 'seen anew: the window starts again');
    assert.equal(r.firstTime('raw:k', 5000 + 2 * RAW_REPEAT_MS - 1), false);
    assert.equal(r.size, 1);
  });

  it('a key with id is a repeat for as long as it is kept; a new key is never a repeat', () => {
    const r = new RecentEvents(10);
    assert.equal(r.firstTime('id:a|t', -1e15), true);
    assert.equal(r.firstTime('id:a|t', 1e15), false);
    assert.equal(r.firstTime('id:b|t', 0), true);
    assert.equal(r.firstTime('raw:c', 0), true);
    assert.equal(r.size, 3);
  });

  it('a capacity below one keeps one key; a fraction is rounded down', () => {
    const one = new RecentEvents(0);
    one.firstTime('id:a');
    one.firstTime('id:b');
    assert.equal(one.size, 1);
    assert.equal(one.firstTime('id:b'), false);
    const two = new RecentEvents(2.9);
    for (const k of ['id:a', 'id:b', 'id:c']) two.firstTime(k);
    assert.equal(two.size, 2);
    assert.equal(two.firstTime('id:a'), true);
  });
});
