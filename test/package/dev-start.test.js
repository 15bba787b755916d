'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/**
 * `npm start` (test/dev/start.js) as a new user runs it after a fresh clone: Node-RED with the token
 * example and an API example sharing one account, against the simulator with devices, already
 * authorized. The demo must show readings, not an empty `{homes: []}`.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { freePort } = require('../helpers/nodered');
const { until } = require('../helpers/until');
const rt = require('../helpers/runtime');

describe('npm start (the offline demo)', function () {
  this.timeout(60000);
  let child;
  let userDir;
  let out = '';
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('deploys the token and the weather examples with one account and shows readings of the simulated station', async () => {
    userDir = rt.tmpDir('netatmo-start-');
    const port = await freePort();
    child = spawn(process.execPath, [path.join(TEST_ROOT, 'dev', 'start.js')], {
      env: { ...process.env, PORT: String(port), NETATMO_DEV_USERDIR: userDir, NETATMO_API_BASE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    // The weather example's inject fires 2 s after the start; its debug node prints to the console.
    await until(() => /\[debug:readings\][\s\S]*NAModule1/.test(out), 'readings of the station and its outdoor module', 45000, 50);
    await until(() => /\[debug:Netatmo answer\][\s\S]*homes/.test(out), 'the token example calling homesdata', 45000, 50);
    assert.match(out, /accepts any client id/);
    const flows = JSON.parse(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8'));
    assert.equal(flows.filter((n) => n.type === 'netatmo-account').length, 1);
    assert.ok(flows.some((n) => n.type === 'netatmo-api'));
    assert.ok(flows.some((n) => n.type === 'netatmo-token'));
    assert.doesNotMatch(out, /\[error\]/);
  });
});
