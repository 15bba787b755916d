'use strict';
/** Netatmo's two answer forms of getmeasure read into rows (src/core/api/rows.ts), exact values. */
const assert = require('node:assert/strict');

const { dedupe, isOptimized, measureRows, mergeBodies } = require('../../../dist/core/api/rows');

describe('rows: reading an answer', () => {
  it('optimized blocks: beg_time + i * step_time, values that are not finite numbers read as null', () => {
    const body = [
      {
        beg_time: 100,
        step_time: 10,
        value: [
          [1, 'x'],
          [NaN, Infinity],
          [null, 2.5],
          [-3, undefined],
        ],
      },
    ];
    assert.deepEqual(measureRows(body), [
      { t: 100, values: [1, null] },
      { t: 110, values: [null, null] },
      { t: 120, values: [null, 2.5] },
      { t: 130, values: [-3, null] },
    ]);
  });

  it('a value that is not a list is one value', () => {
    assert.deepEqual(measureRows({ 100: 5, 200: '6' }), [
      { t: 100, values: [5] },
      { t: 200, values: [null] },
    ]);
    assert.deepEqual(measureRows([{ beg_time: 7, step_time: 1, value: [4] }]), [{ t: 7, values: [4] }]);
  });

  it('a missing, zero, negative or text step_time reads as 0: each value on beg_time, the first kept', () => {
    for (const step_time of [undefined, 0, -10, '10']) {
      assert.deepEqual(measureRows([{ beg_time: 50, step_time, value: [[1], [2]] }]), [{ t: 50, values: [1] }], String(step_time));
    }
  });

  it('skips blocks that are not objects, lack a numeric beg_time or a value list', () => {
    const fn = Object.assign(() => 0, { beg_time: 1, step_time: 1, value: [[9]] });
    const body = [
      null,
      5,
      'x',
      fn,
      { beg_time: '1', step_time: 1, value: [[1]] },
      { beg_time: 2, step_time: 1, value: 'abc' },
      { beg_time: 3, step_time: 1 },
      { beg_time: 4, step_time: 1, value: [[4]] },
    ];
    assert.deepEqual(measureRows(body), [{ t: 4, values: [4] }]);
  });

  it('keyed answers: only keys of 1 to 12 digits are timestamps', () => {
    const body = { '1e3': [1], ' 100': [2], '100 ': [3], '0x10': [4], 1.5: [5], 1234567890123: [6], abc: [7], 123456789012: [8], 9: [9] };
    assert.deepEqual(measureRows(body), [
      { t: 9, values: [9] },
      { t: 123456789012, values: [8] },
    ]);
  });

  it('anything else is no rows: text, numbers, null, empty', () => {
    for (const body of ['57', '', 5, null, undefined, true, {}, []]) assert.deepEqual(measureRows(body), [], String(body));
  });

  it('sorted by time, each timestamp once, the first wins', () => {
    const body = [
      { beg_time: 200, step_time: 10, value: [[2], [3]] },
      { beg_time: 100, step_time: 100, value: [[1], [9]] },
    ];
    assert.deepEqual(measureRows(body), [
      { t: 100, values: [1] },
      { t: 200, values: [2] },
      { t: 210, values: [3] },
    ]);
  });

  it('at most max rows, in either form (the first ones given)', () => {
    const value = [[1], [2], [3], [4]];
    assert.deepEqual(
      measureRows([{ beg_time: 0, step_time: 1, value }], 3).map((r) => r.t),
      [0, 1, 2],
    );
    assert.deepEqual(
      measureRows(
        [
          { beg_time: 0, step_time: 1, value },
          { beg_time: 10, step_time: 1, value },
        ],
        5,
      ).map((r) => r.t),
      [0, 1, 2, 3, 10],
    );
    assert.deepEqual(
      measureRows({ 1: [1], 2: [2], 3: [3], 4: [4] }, 3).map((r) => r.t),
      [1, 2, 3],
    );
    assert.equal(measureRows({ 1: [1], 2: [2], 3: [3] }, 3).length, 3);
    assert.equal(measureRows([{ beg_time: 0, step_time: 1, value: value.slice(0, 3) }], 3).length, 3);
  });

  it('dedupe and isOptimized', () => {
    assert.deepEqual(
      dedupe([
        { t: 3, values: [3] },
        { t: 1, values: [1] },
        { t: 3, values: [4] },
      ]),
      [
        { t: 1, values: [1] },
        { t: 3, values: [3] },
      ],
    );
    assert.deepEqual(dedupe([]), []);
    assert.equal(isOptimized([]), true);
    assert.equal(isOptimized({}), false);
  });
});

describe('rows: merging pages', () => {
  it('no page: an empty list of blocks', () => {
    assert.deepEqual(mergeBodies([]), []);
  });

  it('keyed pages stay keyed; one optimized page among them makes blocks', () => {
    assert.deepEqual(mergeBodies([{ 300: [3] }, { 100: [1] }]), { 100: [1], 300: [3] });
    assert.deepEqual(mergeBodies([{ 100: [1], 110: [2] }, [{ beg_time: 120, step_time: 10, value: [[3]] }]]), [
      { beg_time: 100, step_time: 10, value: [[1], [2], [3]] },
    ]);
    assert.deepEqual(mergeBodies([[{ beg_time: 120, step_time: 10, value: [[3]] }], { 100: [1], 110: [2] }]), [
      { beg_time: 100, step_time: 10, value: [[1], [2], [3]] },
    ]);
  });

  it('a new block where the step changes; a lone row is a block of step 0', () => {
    assert.deepEqual(mergeBodies([{ 100: [1], 110: [2], 120: [3], 150: [4], 180: [5], 190: [6] }, []]), [
      { beg_time: 100, step_time: 10, value: [[1], [2], [3]] },
      { beg_time: 150, step_time: 30, value: [[4], [5]] },
      { beg_time: 190, step_time: 0, value: [[6]] },
    ]);
    assert.deepEqual(mergeBodies([[{ beg_time: 5, step_time: 0, value: [[1, 2]] }]]), [{ beg_time: 5, step_time: 0, value: [[1, 2]] }]);
  });

  it('a page of more than the max rows of one answer still merges in full', () => {
    const keyed = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [String(i), [i]]));
    assert.equal(Object.keys(mergeBodies([keyed, {}])).length, 20);
  });
});
