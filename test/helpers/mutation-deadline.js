'use strict';
/**
 * Loaded by the mutation run only (stryker.config.json, mochaOptions.require). Stryker turns mocha's
 * timeout off and stops a run that outlives its own limit by killing the test process, which then has
 * to start again: seconds per mutant. A mutant that makes a promise never settle (a sleep that never
 * ends, a lock never released) hangs a test; here such a test fails after DEADLINE_MS instead, as any
 * failing test does: the mutant is killed and the process stays. The core tests take milliseconds
 * (the whole spec about 8 s for 324 tests); a test that needs longer says so with its own
 * `this.timeout(...)`, which this leaves alone.
 */
const DEADLINE_MS = 1000;

exports.mochaHooks = {
  beforeEach() {
    if (this.currentTest && this.currentTest.timeout() === 0) this.currentTest.timeout(DEADLINE_MS);
  },
};
