'use strict';
/**
 * One writer: two Node-RED processes and a third process standing for the command line tool (the
 * same TokenManager + TokenStore) share one token folder and refresh the same login in a loop
 * (simulator TTL 1 s: a refresh due every ~0.5 s) for FAULT_SHARED_SECONDS (default 20) seconds.
 * Netatmo must never see a refresh token used twice (0 invalid_grant), every API call must succeed,
 * and the processes must not refresh more often than one process alone would (the others adopt
 * the stored result instead of refreshing again).
 */
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startFaultSimulator, findSecrets, CLIENT_ID, CLIENT_SECRET } = require('../helpers/fault-sim');
const h = require('../helpers/fault-nodered');

const SECONDS = Number(process.env.FAULT_SHARED_SECONDS || 20);
const ACCOUNT = 'acc1';

describe('faults: processes sharing one token store', function () {
  this.timeout((SECONDS + 60) * 1000);
  let sim;
  const dirs = [];
  after(async () => {
    await h.killAll();
    if (sim) await sim.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it(`two Node-RED processes and a command-line stand-in refresh one login for ${SECONDS} s: 0 invalid_grant`, async () => {
    sim = await startFaultSimulator({ ttlSeconds: 1 });
    const dirA = h.newUserDir('nr-fault-shared-a-');
    const dirB = h.newUserDir('nr-fault-shared-b-');
    dirs.push(dirA, dirB);
    const store = h.storeOf(dirA);
    await store.write(ACCOUNT, { tokens: sim.login() });
    fs.symlinkSync(path.join(dirA, 'netatmo-tokens'), path.join(dirB, 'netatmo-tokens'), 'dir');
    const flows = h.tokenFlow({ apiBase: sim.url });

    const t0 = Date.now();
    const refreshesBefore = sim.rec.refreshes.length;
    const apiBefore = sim.rec.apiCalls.length;
    const [redA, redB] = await Promise.all([
      h.startFaultRed({ userDir: dirA, sim, flows }),
      h.startFaultRed({ userDir: dirB, sim, flows }),
    ]);
    const cli = h.track(
      spawn(
        process.execPath,
        [
          path.join(__dirname, '..', 'helpers', 'fault-worker.js'),
          JSON.stringify({
            dir: store.dir,
            secret: h.CREDENTIAL_SECRET,
            accountId: ACCOUNT,
            apiBase: sim.url,
            clientId: CLIENT_ID,
            clientSecret: CLIENT_SECRET,
            intervalMs: 100,
            retryBaseMs: 100,
            retryMaxMs: 1000,
            lockStaleMs: 2000,
            timeoutMs: 2000,
            durationMs: SECONDS * 1000,
          }),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    let cliOut = '';
    cli.stdout.on('data', (d) => (cliOut += d));
    cli.stderr.on('data', (d) => (cliOut += d));
    const cliExit = new Promise((resolve) => cli.once('exit', resolve));

    await h.sleep(SECONDS * 1000);
    await Promise.all([redA.stop(), redB.stop()]);
    await Promise.race([cliExit, h.sleep(10000)]);
    assert.notEqual(cli.exitCode, null, 'the command-line stand-in exits by itself');
    const elapsed = Date.now() - t0;

    const refreshes = sim.rec.refreshes.slice(refreshesBefore);
    const calls = sim.rec.apiCalls.slice(apiBefore);
    const failedCalls = calls.filter((c) => c.status !== 200).length;
    const alone = Math.ceil(elapsed / 500); // one process alone: a refresh every half lifetime
    const reauth = [redA, redB].reduce((n, r) => n + h.caught(r).filter((c) => c.code === 'REAUTHORIZE').length, 0);
    const text = [redA.output(), redB.output(), cliOut].join('\n');
    const byProcess = [redA.output(), redB.output(), cliOut].map((o) => (o.match(/refresh: stored new refresh token/g) || []).length);
    const found = findSecrets(text, sim.allSecrets());
    console.log(
      `      [shared] ${(elapsed / 1000).toFixed(1)} s, 3 processes: refreshes ${refreshes.length} (by process: ${byProcess.join('/')}; one process alone: ~${alone}), ` +
        `invalid_grant ${sim.rec.invalidGrants}, API calls ${calls.length} (failed ${failedCalls}), REAUTHORIZE caught ${reauth}, ` +
        `secrets in ${text.split('\n').length} log lines: ${found.length}`,
    );
    assert.equal(sim.rec.invalidGrants, 0, 'a refresh token was used twice');
    assert.ok(
      refreshes.every((r) => r.status === 200),
      'every refresh succeeded',
    );
    assert.equal(reauth, 0);
    assert.equal(failedCalls, 0, 'every API call succeeded');
    assert.ok(calls.length > SECONDS * 15, `the processes kept calling the API (${calls.length})`);
    assert.ok(refreshes.length >= SECONDS, `they kept refreshing (${refreshes.length})`);
    assert.ok(refreshes.length <= alone * 1.5, `${refreshes.length} refreshes: the processes did not adopt each other's result`);
    // The work was shared: more than one process did refresh (nobody starved of the lock).
    assert.ok(byProcess.filter((n) => n > 0).length >= 2, `refreshes by process: ${byProcess}`);
    const stored = await store.read(ACCOUNT);
    assert.equal(sim.isValidRefreshToken(stored.tokens.refresh_token), true);
    assert.deepEqual(found, []);
    assert.deepEqual(fs.readdirSync(store.dir), [`${ACCOUNT}.json`], 'no lock or temp file left');
  });
});
