'use strict';
/**
 * Mocha root hooks (loaded by .mocharc.json): a run that hangs fails loudly instead of waiting
 * for CI's own limit.
 *  - Each test file has a time budget (MOCHA_FILE_LIMIT_S, default 600 s) counted from its first
 *    test; a file over budget (a hook or test that never ends) ends the run with exit code 1.
 *  - After the last test, the process must exit by itself within MOCHA_EXIT_LIMIT_S (default 20 s):
 *    a leaked handle (a server, a timer, a child) that keeps it alive is listed and the run fails.
 * Both timers are unref'd: they never keep a clean run alive.
 */
const FILE_LIMIT_MS = Number(process.env.MOCHA_FILE_LIMIT_S || 600) * 1000;
const EXIT_LIMIT_MS = Number(process.env.MOCHA_EXIT_LIMIT_S || 20) * 1000;

let file;
let fileStart = Date.now();

function fail(why) {
  const handles = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
  process.stderr.write(`\n[watchdog] ${why}\n[watchdog] still active: ${handles.join(', ') || '(nothing listed)'}\n`);
  // Mocha sets the exit code in its own 'exit' listener (0 when the tests passed): have the last word.
  process.on('exit', () => {
    process.exitCode = 1;
  });
  process.exit(1);
}

const check = setInterval(() => {
  const spent = Date.now() - fileStart;
  if (file !== undefined && spent > FILE_LIMIT_MS) {
    fail(`${file} has run for ${Math.round(spent / 1000)} s, over its budget of ${FILE_LIMIT_MS / 1000} s (MOCHA_FILE_LIMIT_S)`);
  }
}, 1000);
check.unref();

exports.mochaHooks = {
  beforeEach() {
    const current = this.currentTest && this.currentTest.file;
    if (current !== file) {
      file = current;
      fileStart = Date.now();
    }
  },
  afterAll() {
    clearInterval(check);
    const started = Date.now();
    setTimeout(() => {
      fail(`the tests ended ${Math.round((Date.now() - started) / 1000)} s ago but something keeps the process alive (MOCHA_EXIT_LIMIT_S)`);
    }, EXIT_LIMIT_MS).unref();
  },
};
