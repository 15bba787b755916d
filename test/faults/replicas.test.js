'use strict';
/**
 * Containers and replicas (issue 26): real Node-RED processes, each with its own user directory, on one
 * token folder chosen outside them (settings.js `netatmoTokens.dir`, or NETATMO_TOKENS_DIR relative to
 * the user directory).
 *   - Two replicas refresh one login in turn (simulator TTL 1 s: a refresh due every ~0.5 s) until
 *     Netatmo rotated it REPLICA_ROTATIONS (default 50) times, while a third process with another
 *     credentialSecret reads the same folder: 0 invalid_grant, every API call served, no more refreshes
 *     than one process alone would make, and the third one refreshes nothing and moves nothing.
 *   - A container restarted from its image (a fresh user directory, the same folder and credentialSecret)
 *     starts authorized with 0 token requests.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startFaultSimulator, findSecrets } = require('../helpers/fault-sim');
const h = require('../helpers/fault-nodered');
const { until } = require('../helpers/until');
const { TokenStore } = require('../../dist/core/token/store');

const ROTATIONS = Number(process.env.REPLICA_ROTATIONS || 50);
const ACCOUNT = 'acc1';

describe('faults: replicas on one token folder of their own choosing', function () {
  this.timeout(240_000);
  let sim;
  const dirs = [];
  const newDir = (prefix) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    await h.killAll();
    if (sim) await sim.close();
    sim = undefined;
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it(`two replicas rotate one login ${ROTATIONS} times beside a process with another credentialSecret: 0 invalid_grant`, async () => {
    sim = await startFaultSimulator({ ttlSeconds: 1 });
    const shared = path.join(newDir('nr-replica-storage-'), 'netatmo-tokens');
    const store = new TokenStore({ dir: shared, secret: h.CREDENTIAL_SECRET, lockStaleMs: 2000 });
    await store.write(ACCOUNT, { tokens: sim.login() });
    const flows = h.tokenFlow({ apiBase: sim.url });
    const dirA = newDir('nr-replica-a-');
    const dirB = newDir('nr-replica-b-');
    const dirW = newDir('nr-replica-wrong-');

    const t0 = Date.now();
    const [redA, redB, redW] = await Promise.all([
      h.startFaultRed({ userDir: dirA, sim, flows, settings: h.faultSettings(sim, { dir: shared }) }),
      // The same folder named the other way: the environment, relative to the user directory.
      h.startFaultRed({ userDir: dirB, sim, flows, env: { NETATMO_TOKENS_DIR: path.relative(dirB, shared) } }),
      h.startFaultRed({
        userDir: dirW,
        sim,
        flows,
        settings: { ...h.faultSettings(sim, { dir: shared }), credentialSecret: 'not-the-replicas-secret' },
      }),
    ]);
    const rotated = () => sim.rec.refreshes.filter((r) => r.status === 200).length;
    // A replica that meets any error (not authorized, a file set aside, a refused token) ends the wait: the checks below say which.
    const broken = () => sim.rec.invalidGrants > 0 || [redA, redB].some((r) => h.caught(r).length > 0);
    await until(() => rotated() >= ROTATIONS || broken(), `${ROTATIONS} rotations`, 180_000, 100);
    await Promise.all([redA.stop(), redB.stop(), redW.stop()]);
    const elapsed = Date.now() - t0;

    const refreshes = sim.rec.refreshes;
    const calls = sim.rec.apiCalls;
    const byProcess = [redA, redB, redW].map((r) => (r.output().match(/refresh: stored new refresh token/g) || []).length);
    const sent = (r) => (r.output().match(/refresh: sending refresh token/g) || []).length;
    // One process alone: a refresh every half lifetime (500 ms) at best, from the first rotation to the last.
    const span = refreshes.length ? refreshes[refreshes.length - 1].at - refreshes[0].at : 0;
    const alone = Math.floor(span / 500) + 1;
    const caughtAB = [redA, redB].flatMap((r) => h.caught(r));
    const wrong = h.caught(redW);
    const text = [redA.output(), redB.output(), redW.output()].join('\n');
    const found = findSecrets(text, sim.allSecrets());
    console.log(
      `      [replicas] ${(elapsed / 1000).toFixed(1)} s (start and stop included): rotations ${rotated()}, token requests ${refreshes.length} ` +
        `(by replica: ${byProcess[0]}/${byProcess[1]}; one process alone in those ${(span / 1000).toFixed(1)} s: at most ${alone}), ` +
        `invalid_grant ${sim.rec.invalidGrants}, ` +
        `API calls ${calls.length} (failed ${calls.filter((c) => c.status !== 200).length}), errors caught by the replicas ${caughtAB.length}; ` +
        `other credentialSecret: ${wrong.length} STORE errors caught, ${sent(redW)} token requests`,
    );
    assert.deepEqual(caughtAB.slice(0, 3), [], 'the replicas met errors');
    assert.equal(sim.rec.invalidGrants, 0, 'a refresh token was used twice');
    assert.ok(rotated() >= ROTATIONS, `${rotated()} rotations`);
    assert.ok(
      refreshes.every((r) => r.status === 200),
      'every refresh succeeded',
    );
    assert.ok(refreshes.length <= alone, `${refreshes.length} token requests, one process alone: at most ${alone}`);
    assert.ok(byProcess[0] > 0 && byProcess[1] > 0, `refreshed in turn: ${byProcess}`);
    assert.equal(calls.filter((c) => c.status !== 200).length, 0, 'every API call served');
    assert.ok(calls.length > ROTATIONS * 2, `the replicas kept calling the API (${calls.length})`);

    // The process with another credentialSecret: said so, never refreshed, never moved the file.
    assert.equal(byProcess[2] + sent(redW), 0, 'the process with another credentialSecret sent a refresh');
    assert.ok(wrong.length > 0 && wrong.every((c) => c.code === 'STORE'), JSON.stringify(wrong.slice(0, 2)));
    assert.match(wrong[0].message, /credentialSecret/);
    assert.match(redW.output(), /\[error\] \[netatmo-account:home\] .*written with another credentialSecret/);
    assert.doesNotMatch(redW.output(), /damaged|corrupt/i);
    assert.deepEqual(fs.readdirSync(shared), [`${ACCOUNT}.json`], 'no lock, temp, probe or set-aside file left');
    assert.equal(sim.isValidRefreshToken((await store.read(ACCOUNT)).tokens.refresh_token), true);
    assert.deepEqual(found, []);
    for (const d of [dirA, dirB, dirW]) assert.equal(fs.existsSync(path.join(d, 'netatmo-tokens')), false, `${d} got a token folder`);
  });

  it('a container restarted from its image (fresh user directory, same folder and credentialSecret) starts authorized with 0 token requests', async () => {
    sim = await startFaultSimulator(); // Netatmo's 3 h lifetime: nothing is due
    const shared = path.join(newDir('nr-replica-volume-'), 'tokens');
    const store = new TokenStore({ dir: shared, secret: h.CREDENTIAL_SECRET });
    await store.write(ACCOUNT, { tokens: sim.login() });
    const before = fs.readFileSync(store.file(ACCOUNT), 'utf8');
    const fresh = newDir('nr-replica-fresh-');
    const red = await h.startFaultRed({
      userDir: fresh,
      sim,
      flows: h.tokenFlow({ apiBase: sim.url }),
      settings: h.faultSettings(sim, { dir: shared }),
    });
    await until(() => sim.rec.apiCalls.filter((c) => c.status === 200).length >= 5, 'API calls served', 60_000, 50);
    await red.stop();
    assert.equal(sim.stats.tokenRequests, 0, 'token requests after the restart');
    assert.equal(h.caught(red).length, 0, JSON.stringify(h.caught(red).slice(0, 2)));
    assert.equal(fs.readFileSync(store.file(ACCOUNT), 'utf8'), before, 'the file is read, not rewritten');
    assert.equal(fs.existsSync(path.join(fresh, 'netatmo-tokens')), false);
  });
});
