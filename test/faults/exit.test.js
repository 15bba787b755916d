'use strict';
/**
 * No timer, socket or lock left behind: Node-RED embedded in a plain node process runs two accounts
 * refreshing continuously (token nodes with their own timers too), is redeployed (one account edited,
 * the other removed), then stopped with RED.stop() and its HTTP server closed. The process must then
 * exit by itself within a few seconds, leaving the login of the edited account valid on disk and the
 * file of the removed one deleted, and no lock or temp file.
 */
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startFaultSimulator, findSecrets, CLIENT_ID, CLIENT_SECRET } = require('../helpers/fault-sim');
const h = require('../helpers/fault-nodered');

const EMBEDDED = path.join(__dirname, '..', 'helpers', 'fault-embedded.js');

async function runEmbedded(sim, userDir, stopWhileRefreshing) {
  const child = h.track(
    spawn(
      process.execPath,
      [
        EMBEDDED,
        JSON.stringify({
          userDir,
          apiBase: sim.url,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          secret: h.CREDENTIAL_SECRET,
          withOurNodes: true,
          stopWhileRefreshing,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NA_DEBUG: '1' } },
    ),
  );
  let out = '';
  let stoppedAt;
  let inFlightAt;
  const onData = (d) => {
    out += d;
    if (!inFlightAt && out.includes('IN_FLIGHT')) inFlightAt = Date.now();
    if (!stoppedAt && out.includes('STOPPED')) stoppedAt = Date.now();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const result = await Promise.race([exited, h.sleep(30000).then(() => undefined)]);
  if (!result) {
    child.kill('SIGKILL');
    await exited;
  }
  return { result, out, stoppedAt, inFlightAt };
}

describe('faults: a runtime must exit by itself after its flows are stopped', function () {
  this.timeout(60000);
  let sim;
  const logs = [];
  before(async () => {
    sim = await startFaultSimulator({ ttlSeconds: 1 });
  });
  after(async () => {
    await h.killAll();
    if (sim) await sim.close();
  });

  for (const [label, delayMs] of [
    ['idle between refreshes', 0],
    ['stopped with a refresh in flight, Netatmo answering in 400 ms', 400],
  ]) {
    it(`redeploy, node removal, RED.stop(): exits within 5 s (${label})`, async () => {
      sim.delayMs = delayMs;
      const userDir = h.newUserDir('nr-fault-exit-');
      const store = h.storeOf(userDir);
      await store.write('acc1', { tokens: sim.login() });
      await store.write('acc2', { tokens: sim.login() });
      const refreshesBefore = sim.rec.refreshes.length;
      const { result, out, stoppedAt, inFlightAt } = await runEmbedded(sim, userDir, delayMs > 0);
      logs.push(out);
      sim.delayMs = 0;
      assert.ok(out.includes('DEPLOYED 200'), out);
      if (delayMs > 0) {
        assert.ok(out.includes('IN_FLIGHT refreshing'), 'the stop did not hit a refresh in flight');
        const answeredAfterStop = sim.rec.refreshes.filter((r) => r.at >= inFlightAt).length;
        console.log(`      [exit] refreshes in flight when the stop began, answered after it: ${answeredAfterStop}`);
        assert.ok(answeredAfterStop >= 1);
      }
      assert.ok(stoppedAt, `never stopped:\n${out}`);
      assert.ok(
        result,
        `still running 30 s after start:\n${out
          .split('\n')
          .filter((l) => /ALIVE|STOPPED|error/.test(l))
          .join('\n')}`,
      );
      const lag = result.at - stoppedAt;
      console.log(
        `      [exit] exited ${lag} ms after RED.stop() and server.close(), code ${result.code}; refreshes during the run: ${sim.rec.refreshes.length - refreshesBefore}`,
      );
      assert.ok(
        lag < 5000,
        `exited only ${lag} ms after stop: ${out
          .split('\n')
          .filter((l) => /ALIVE/.test(l))
          .join('\n')}`,
      );
      assert.equal(result.code, 0, out);
      assert.ok(sim.rec.refreshes.length - refreshesBefore >= 4, 'the accounts were refreshing');
      // The edited account kept its login (an in-flight refresh was persisted), the removed one is gone.
      const acc1 = await store.read('acc1');
      assert.equal(sim.isValidRefreshToken(acc1.tokens.refresh_token), true, 'the edited account lost its login');
      assert.equal(await store.read('acc2'), null, 'the removed account left its token file');
      assert.deepEqual(fs.readdirSync(store.dir), ['acc1.json'], 'no lock or temp file left');
      fs.rmSync(userDir, { recursive: true, force: true });
    });
  }

  it('SIGTERM to Node-RED with a refresh in flight (Netatmo answering in 1 s): the new pair is stored before it exits, 5 times out of 5', async () => {
    const userDir = h.newUserDir('nr-fault-sigterm-');
    const store = h.storeOf(userDir);
    await store.write('acc1', { tokens: sim.login() });
    const flows = h.tokenFlow({ apiBase: sim.url });
    let kept = 0;
    try {
      for (let i = 0; i < 5; i++) {
        sim.delayMs = 0;
        const red = await h.startFaultRed({ userDir, sim, flows });
        const mark = red.logs.length;
        sim.delayMs = 1000;
        const sending = () => red.logs.slice(mark).some((l) => /refresh: sending refresh token/.test(l));
        await h.waitFor(sending, { timeoutMs: 10000, everyMs: 5, what: 'a refresh in flight' }).catch(() => undefined);
        const sent = sending();
        const t0 = Date.now();
        await red.stop();
        logs.push(red.output());
        const stored = await store.read('acc1');
        assert.ok(sent, 'a refresh was in flight');
        assert.equal(sim.isValidRefreshToken(stored.tokens.refresh_token), true, `login lost by a graceful stop (round ${i + 1})`);
        assert.ok(Date.now() - t0 < 8000);
        kept++;
      }
    } finally {
      sim.delayMs = 0;
      console.log(`      [exit] SIGTERM during a refresh: login kept ${kept}/5`);
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('no secret in the output of the embedded runtimes', () => {
    const text = logs.join('\n');
    const found = findSecrets(text, sim.allSecrets());
    console.log(`      [secrets] ${text.split('\n').length} lines searched for ${sim.allSecrets().length} secrets: ${found.length} found`);
    assert.deepEqual(found, []);
  });
});
