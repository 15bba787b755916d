'use strict';
const assert = require('node:assert/strict');

/**
 * Resolves with `check()` once it is truthy; fails after `ms` of real time. The condition decides,
 * never a sleep: `every` is only how often it is asked.
 */
async function until(check, what, ms = 5000, every = 5) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

module.exports = { until };
