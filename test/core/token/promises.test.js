'use strict';
/**
 * The promises a user relies on, each shown by a test that fails when it is broken (issue #17):
 * persist before use for every caller, fsync, temp file + rename, stale temp files removed,
 * adoption after invalid_grant, the minimum remaining lifetime, the timers, single flight.
 *
 * Real files, the real simulator over HTTP, a virtual clock. Observations only: a spy that counts
 * fsync calls still calls the real one; a store without the file lock only removes a safety net.
 */
const assert = require('node:assert/strict');
const child = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { useCoreEnv, until, tick, rejectsWith, ACCOUNT, TTL, T0, MIN } = require('../../helpers/core-env');

/** Fixed tokens for store tests. */
const tokens = (n) => ({
  access_token: `access${n}|${String(n).repeat(16)}`,
  refresh_token: `refresh${n}|${String(n).repeat(16)}`,
  scope: ['read_station'],
  expires_at: T0 + TTL * 1000,
  obtained_at: T0,
});

/** The text of the token file, or undefined when there is none. */
function readFileOrUndefined(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Records every fsync of this process (FileHandle.sync/datasync and fs.fsync & co.), with the path
 * of the synced file (from /proc/self/fd) and what `onSync(path)` returns at that instant, then calls
 * the real one. Returns the list and a function that puts the real ones back.
 */
async function spyOnFsync(onSync) {
  const calls = [];
  const record = (fd) => {
    let where;
    try {
      where = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      where = `fd ${fd}`;
    }
    calls.push({ path: where, seen: onSync(where) });
  };
  const probe = await fs.promises.open(__filename, 'r');
  const proto = Object.getPrototypeOf(probe);
  await probe.close();
  const restore = [];
  const wrap = (obj, name, fdOf) => {
    const real = obj[name];
    if (typeof real !== 'function') return;
    obj[name] = function (...args) {
      record(fdOf(this, args));
      return real.apply(this, args);
    };
    restore.push(() => (obj[name] = real));
  };
  wrap(proto, 'sync', (fh) => fh.fd);
  wrap(proto, 'datasync', (fh) => fh.fd);
  for (const name of ['fsync', 'fsyncSync', 'fdatasync', 'fdatasyncSync']) wrap(fs, name, (_, args) => args[0]);
  return { calls, restore: () => restore.forEach((r) => r()) };
}

describe('core: what a user would feel if it broke', () => {
  const env = useCoreEnv();

  describe('persist before use', () => {
    it('other callers never see the new access token before the new pair is on disk', async () => {
      const old = await env.storedLogin();
      const mgr = env.manager({ marginMs: 5 * MIN });
      await mgr.start();
      env.now = old.expires_at - 4 * MIN; // inside the margin: the old token is handed out meanwhile
      const release = env.sim.hold();
      let settled = false;
      const p = mgr.refresh().finally(() => (settled = true));
      await until(() => env.sim.stats.refreshRequests === 1, 'the refresh request');
      release();
      let duringWrite = 0; // looks taken after Netatmo rotated, before the new pair was on disk
      while (!settled) {
        const handed = [mgr.fresh(), await Promise.race([mgr.getToken(), tick().then(() => undefined)])];
        const disk = readFileOrUndefined(env.file());
        const rotated = !env.sim.isValidRefreshToken(old.refresh_token);
        for (const t of handed) {
          if (!t || t.access_token === old.access_token) continue;
          assert.ok(disk && disk.includes(t.access_token), 'a caller was handed the new access token before it was on disk');
        }
        if (rotated && disk && disk.includes(old.refresh_token)) duringWrite++;
        await tick();
      }
      const next = await p;
      assert.ok(duringWrite > 0, 'the test never looked while the new pair was being written');
      assert.notEqual(next.access_token, old.access_token);
      assert.deepEqual(env.onDisk(), { tokens: next });
      assert.deepEqual(mgr.fresh(), next);
    });
  });

  describe('the token file', () => {
    it('a write fsyncs the temp file before the rename, and the folder after it', async () => {
      const store = env.store();
      await store.write(ACCOUNT, { tokens: tokens(1) });
      const file = env.file();
      const spy = await spyOnFsync(() => readFileOrUndefined(file));
      try {
        await store.write(ACCOUNT, { tokens: tokens(2) });
      } finally {
        spy.restore();
      }
      const ours = spy.calls.filter((c) => c.path === env.dir || c.path.startsWith(`${env.dir}${path.sep}`));
      const temp = ours.filter((c) => path.basename(c.path).startsWith(`${ACCOUNT}.json.tmp-`));
      assert.equal(temp.length, 1, `the temp file is fsynced once: ${JSON.stringify(ours.map((c) => c.path))}`);
      assert.ok(temp[0].seen.includes('refresh1|'), 'when the temp file is synced, the old file is still in force');
      const dir = ours.filter((c) => c.path === env.dir);
      assert.equal(dir.length, 1, `the folder is fsynced once: ${JSON.stringify(ours.map((c) => c.path))}`);
      assert.ok(dir[0].seen.includes('refresh2|'), 'the folder is synced after the rename');
      assert.ok(ours.indexOf(temp[0]) < ours.indexOf(dir[0]));
      assert.deepEqual(await env.store().read(ACCOUNT), { tokens: tokens(2) });
    });

    it('a write replaces the file (temp file + rename): a reader of the old file still reads it whole', async () => {
      const store = env.store();
      await store.write(ACCOUNT, { tokens: tokens(1) });
      const before = fs.readFileSync(env.file());
      const inode = fs.statSync(env.file()).ino;
      const fd = fs.openSync(env.file(), 'r'); // a reader (another process) that opened the file just before
      try {
        await store.write(ACCOUNT, { tokens: tokens(2) });
        const buf = Buffer.alloc(before.length + 4096);
        const n = fs.readSync(fd, buf, 0, buf.length, 0);
        assert.deepEqual(buf.subarray(0, n), before, 'the file was rewritten in place');
      } finally {
        fs.closeSync(fd);
      }
      assert.notEqual(fs.statSync(env.file()).ino, inode, 'the file was rewritten in place');
      assert.deepEqual(await env.store().read(ACCOUNT), { tokens: tokens(2) });
      assert.deepEqual(fs.readdirSync(env.dir), [`${ACCOUNT}.json`]);
    });

    it('a write removes the temp files of dead processes, and keeps those of live ones and of other accounts', async () => {
      const dead = child.spawnSync(process.execPath, ['-e', '0']).pid;
      const names = {
        dead: `${ACCOUNT}.json.tmp-${dead}-0badcafe`,
        dead2: `${ACCOUNT}.json.tmp-${dead}-1badcafe`,
        live: `${ACCOUNT}.json.tmp-${process.ppid}-2badcafe`,
        self: `${ACCOUNT}.json.tmp-${process.pid}-3badcafe`,
        other: `acc2.json.tmp-${dead}-4badcafe`,
        nopid: `${ACCOUNT}.json.tmp-x${dead}-5badcafe`,
        suffix: `${ACCOUNT}.json.tmp-${dead}-6badcafe.old`, // not a name write makes: not ours to remove
      };
      fs.mkdirSync(env.dir, { recursive: true });
      for (const n of Object.values(names)) fs.writeFileSync(path.join(env.dir, n), '{"version":1,"acc');
      await env.store().write(ACCOUNT, { tokens: tokens(1) });
      const left = fs.readdirSync(env.dir).sort();
      assert.deepEqual(left, [`${ACCOUNT}.json`, names.live, names.self, names.nopid, names.other, names.suffix].sort());
      assert.deepEqual(await env.store().read(ACCOUNT), { tokens: tokens(1) });
    });
  });

  describe('refresh', () => {
    it('invalid_grant after another process rotated the token meanwhile: its newer pair is adopted, no re-authorization', async () => {
      const old = await env.storedLogin();
      const mgr = env.manager();
      await mgr.start();
      env.now = old.expires_at + 1;
      const release = env.sim.hold();
      const p = mgr.getToken();
      await until(() => env.sim.stats.refreshRequests === 1, 'the refresh request');
      // Meanwhile another process (which took a stale lock over) refreshes with the same token and stores its pair.
      const newer = env.rotateElsewhere(old.refresh_token);
      await env.store().write(ACCOUNT, { tokens: newer });
      release(); // Netatmo now answers our request: invalid_grant, the token is spent
      const got = await p;
      assert.deepEqual(got, newer);
      assert.equal(env.sim.stats.refreshRequests, 1);
      assert.equal(mgr.state.status, 'ok');
      assert.equal(mgr.state.authorized, true);
      assert.deepEqual(env.onDisk(), { tokens: newer }, 'the file is not marked invalid');
      assert.deepEqual(mgr.fresh(), newer);
      assert.equal(
        await (
          await fetch(`${env.sim.url}/api/homesdata`, { headers: { Authorization: `Bearer ${got.access_token}` } })
        ).status,
        200,
      );
    });

    it('invalid_grant without a newer pair on disk: REAUTHORIZE, marked in the file', async () => {
      const old = await env.storedLogin();
      const mgr = env.manager();
      await mgr.start();
      env.now = old.expires_at + 1;
      env.rotateElsewhere(old.refresh_token); // rotated by someone who did not store it
      await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
      assert.equal(mgr.state.status, 'reauthorize');
      assert.equal(env.onDisk().invalid.code, 'invalid_grant');
    });

    it('an almost-expired token is not handed out (minimum remaining lifetime: 10 s)', async () => {
      const old = await env.storedLogin();
      const mgr = env.manager({ marginMs: 5 * MIN });
      await mgr.start();
      const release = env.sim.hold();
      env.now = old.expires_at - 10_001;
      assert.deepEqual(mgr.fresh(), old, 'still 10 s left: handed out while a refresh starts');
      assert.equal(mgr.state.status, 'refreshing');
      env.now = old.expires_at - 9_999;
      assert.equal(mgr.fresh(), undefined, 'less than 10 s left: not handed out');
      const waiting = mgr.getToken();
      release();
      const next = await waiting;
      assert.notEqual(next.access_token, old.access_token);
      assert.equal(next.expires_at, env.now + TTL * 1000);
      assert.equal(env.sim.stats.refreshRequests, 1);
    });

    it('for short tokens the minimum remaining lifetime is a quarter of it', async () => {
      env.sim.setTtl(20); // margin 10 s (half), minimum 5 s (a quarter)
      const old = await env.storedLogin();
      const mgr = env.manager({ marginMs: 5 * MIN });
      await mgr.start();
      const release = env.sim.hold();
      env.now = old.expires_at - 10_001;
      assert.deepEqual(mgr.fresh(), old);
      assert.equal(mgr.state.status, 'ok', 'outside the margin: no refresh');
      env.now = old.expires_at - 5_001;
      assert.deepEqual(mgr.fresh(), old);
      assert.equal(mgr.state.status, 'refreshing');
      env.now = old.expires_at - 4_999;
      assert.equal(mgr.fresh(), undefined);
      release();
      const next = await mgr.getToken();
      assert.notEqual(next.access_token, old.access_token);
    });

    it('single flight: concurrent callers share one request, even without the file lock', async () => {
      const real = env.store();
      // The same store without its inter-process lock: only the manager's single flight is left.
      const unlocked = new Proxy(real, {
        get(target, key) {
          if (key === 'withLock') return (_id, fn) => fn();
          const v = target[key];
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const old = await env.storedLogin(real);
      const mgr = env.manager({ store: unlocked });
      await mgr.start();
      env.now = old.expires_at + 1;
      const release = env.sim.hold();
      const all = Array.from({ length: 20 }, () => mgr.getToken());
      await until(() => env.sim.stats.refreshRequests >= 1, 'the refresh request');
      for (let i = 0; i < 20; i++) await tick();
      release();
      const got = await Promise.all(all);
      assert.equal(env.sim.stats.tokenRequests, 1);
      for (const t of got) assert.deepEqual(t, got[0]);
      assert.notEqual(got[0].access_token, old.access_token);
      assert.deepEqual(env.onDisk(), { tokens: got[0] });
    });

    it('single flight: concurrent forced refreshes share one request', async () => {
      const old = await env.storedLogin();
      const mgr = env.manager();
      await mgr.start();
      const release = env.sim.hold();
      const all = Array.from({ length: 5 }, () => mgr.refresh({ force: true }));
      await until(() => env.sim.stats.refreshRequests >= 1, 'the refresh request');
      release();
      const got = await Promise.all(all);
      assert.equal(env.sim.stats.tokenRequests, 1);
      for (const t of got) assert.deepEqual(t, got[0]);
      assert.notEqual(got[0].refresh_token, old.refresh_token);
    });
  });

  describe('timers (no message traffic)', () => {
    it('refreshes ahead of expiry on its own', async () => {
      const old = await env.storedLogin();
      const mgr = env.manager({ autoRefresh: true, marginMs: 5 * MIN });
      env.now = old.expires_at - 5 * MIN - 30; // due in 30 ms of real time
      await mgr.start();
      assert.equal(env.sim.stats.refreshRequests, 0);
      env.now += 31; // the virtual clock, as the real one, is past the due time when the timer fires
      await until(() => env.sim.stats.refreshRequests === 1 && mgr.state.status === 'ok', 'a refresh on the timer');
      const next = env.onDisk().tokens;
      assert.notEqual(next.refresh_token, old.refresh_token);
      assert.deepEqual(mgr.fresh(), next);
      assert.equal(env.sim.isValidRefreshToken(next.refresh_token), true);
    });

    it('retries a failed refresh on its own, with the same refresh token', async () => {
      const old = await env.storedLogin();
      const mgr = env.manager({ autoRefresh: true, marginMs: 5 * MIN, retryBaseMs: 40 });
      env.sim.injectFault('http500');
      env.now = old.expires_at - 5 * MIN - 20;
      await mgr.start();
      env.now += 21;
      const sent = [];
      const seen = () => env.sim.lastTokenRequest && sent.push(env.sim.lastTokenRequest.refresh_token);
      await until(() => env.sim.stats.refreshRequests === 1 && mgr.state.status === 'retrying', 'the failed refresh');
      seen();
      assert.equal(mgr.state.error.code, 'SERVER');
      assert.ok(mgr.state.retry_at > env.now && mgr.state.retry_at <= env.now + 50, `retry_at ${mgr.state.retry_at - env.now} ms ahead`);
      await until(() => env.sim.stats.refreshRequests === 2 && mgr.state.status === 'ok', 'the retry on the timer');
      seen();
      assert.deepEqual(sent, [old.refresh_token, old.refresh_token]);
      assert.notEqual(env.onDisk().tokens.refresh_token, old.refresh_token);
    });

    it('stop() clears the timer: a stopped manager sends nothing', async () => {
      const old = await env.storedLogin();
      const mgr = env.manager({ autoRefresh: true, marginMs: 5 * MIN });
      env.now = old.expires_at - 5 * MIN - 50;
      await mgr.start();
      await mgr.stop();
      // A witness (another login, another folder) due later shows when the first timer would have fired.
      const other = env.store({ dir: path.join(env.dir, 'witness') });
      const w = await env.storedLogin(other);
      const witness = env.manager({ autoRefresh: true, marginMs: 5 * MIN, store: other });
      env.now = w.expires_at - 5 * MIN - 100;
      await witness.start();
      env.now += 101;
      await until(async () => (await other.read(ACCOUNT)).tokens.refresh_token !== w.refresh_token, 'the witness refresh');
      assert.equal(env.sim.stats.refreshRequests, 1, 'the stopped manager sent a refresh');
      assert.equal(env.onDisk().tokens.refresh_token, old.refresh_token);
    });
  });
});
