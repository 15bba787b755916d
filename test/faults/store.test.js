'use strict';
/**
 * A damaged or unreachable token store: a clear error naming the file, the bad file kept aside
 * (never silently overwritten), and the account usable again once re-authorized. Then the
 * encryption with Node-RED's credential secret in a real Node-RED 4 process: the generated secret
 * (.config.runtime.json), files written before it existed, a user secret set later.
 */
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startFaultSimulator, findSecrets, CLIENT_ID, CLIENT_SECRET } = require('../helpers/fault-sim');
const h = require('../helpers/fault-nodered');
const { TokenStore } = require('../../dist/core/token/store');
const { TokenManager } = require('../../dist/core/token/manager');
const { OAuthClient } = require('../../dist/core/token/oauth');

const ACCOUNT = 'acc1';
const REDIRECT = 'http://localhost/';
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The core and its runtime dependencies, copied where any user can read them: a child running as
 * `nobody` cannot load them from a checkout under a private folder (a clone in a 0700 temp dir).
 */
function stageCoreForAnyUser(stage) {
  fs.cpSync(path.join(ROOT, 'dist', 'core'), path.join(stage, 'dist', 'core'), { recursive: true });
  const copied = new Set();
  const copy = (name) => {
    const from = path.join(ROOT, 'node_modules', name);
    if (copied.has(name) || !fs.existsSync(from)) return; // nested ones come with their parent
    copied.add(name);
    fs.cpSync(from, path.join(stage, 'node_modules', name), { recursive: true, dereference: true });
    Object.keys(require(path.join(from, 'package.json')).dependencies || {}).forEach(copy);
  };
  Object.keys(require(path.join(ROOT, 'package.json')).dependencies).forEach(copy);
  return stage;
}

describe('faults: damaged, unreadable or missing token store', function () {
  this.timeout(20000);
  let sim;
  let dir;
  const logs = [];
  const logger = { debug: (m) => logs.push(m), info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };

  before(async () => {
    sim = await startFaultSimulator();
  });
  after(async () => {
    const found = findSecrets(logs.join('\n'), sim.allSecrets());
    console.log(`      [store] ${logs.length} log lines and errors searched for secrets: ${found.length} found`);
    await sim.close();
    assert.deepEqual(found, []);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-store-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const tokenDir = () => path.join(dir, 'netatmo-tokens');
  const manager = (store = new TokenStore({ dir: tokenDir() })) =>
    new TokenManager({
      accountId: ACCOUNT,
      store,
      client: new OAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, apiBase: sim.url }),
      autoRefresh: false,
      logger,
    });
  const code = () => sim.issueCode({ clientId: CLIENT_ID, redirectUri: REDIRECT, scope: 'read_station' });
  async function failsWith(p, code) {
    const err = await p.then(
      () => undefined,
      (e) => e,
    );
    assert.ok(err, `expected ${code}`);
    assert.equal(err.code, code, err.message);
    logs.push(err.message);
    return err;
  }

  it('truncated JSON: STORE_CORRUPT naming the file, kept aside as it was; re-authorizing makes the account usable', async () => {
    const store = new TokenStore({ dir: tokenDir() });
    await store.write(ACCOUNT, { tokens: sim.login() });
    const file = store.file(ACCOUNT);
    const cut = fs.readFileSync(file, 'utf8').slice(0, 40);
    fs.writeFileSync(file, cut);
    const mgr = manager(store);
    await mgr.start();
    assert.equal(mgr.state.status, 'error');
    assert.equal(mgr.state.error.code, 'STORE_CORRUPT');
    assert.ok(mgr.state.error.message.includes(file), mgr.state.error.message);
    const aside = fs.readdirSync(tokenDir()).filter((f) => f.startsWith(`${ACCOUNT}.json.corrupt-`));
    assert.equal(aside.length, 1);
    assert.ok(mgr.state.error.message.includes(aside[0]));
    assert.equal(fs.readFileSync(path.join(tokenDir(), aside[0]), 'utf8'), cut, 'kept as it was');
    // Every message keeps saying why (not a bare "not authorized").
    const err = await failsWith(mgr.getToken(), 'STORE_CORRUPT');
    assert.ok(err.message.includes(file));
    await mgr.authorizeWithCode(code(), REDIRECT, 'read_station');
    assert.equal(mgr.state.status, 'ok');
    const t = await mgr.getToken();
    const stored = (await store.read(ACCOUNT)).tokens;
    assert.deepEqual(t, stored, 'the token handed out is the new login, as stored');
    assert.equal(sim.isValidRefreshToken(stored.refresh_token), true);
    const api = await fetch(`${sim.url}/api/homesdata`, { headers: { Authorization: `Bearer ${t.access_token}` } });
    assert.equal(api.status, 200, 'Netatmo accepts the access token');
    assert.equal(fs.readFileSync(path.join(tokenDir(), aside[0]), 'utf8'), cut, 'the kept file is never overwritten');
  });

  it('unreadable file (owner/permissions): STORE naming the file and the cause, file left in place; re-authorizing keeps it aside', async function () {
    const store = new TokenStore({ dir: tokenDir() });
    await store.write(ACCOUNT, { tokens: sim.login() });
    const file = store.file(ACCOUNT);
    const original = fs.readFileSync(file, 'utf8');
    const asRoot = process.getuid && process.getuid() === 0;
    let out;
    if (asRoot) {
      // root reads anything: the node runs as another user (nobody) over a root-owned 0600 file.
      fs.chmodSync(dir, 0o755);
      fs.chownSync(tokenDir(), 65534, 65534);
      const DIST = path.join(stageCoreForAnyUser(path.join(dir, 'stage')), 'dist'); // dir is 0755 now
      const script = `
        const { TokenStore } = require(${JSON.stringify(path.join(DIST, 'core/token/store'))});
        const { TokenManager } = require(${JSON.stringify(path.join(DIST, 'core/token/manager'))});
        const { OAuthClient } = require(${JSON.stringify(path.join(DIST, 'core/token/oauth'))});
        (async () => {
          const lines = [];
          const log = (m) => lines.push(m);
          const mgr = new TokenManager({ accountId: 'acc1', store: new TokenStore({ dir: ${JSON.stringify(tokenDir())} }),
            client: new OAuthClient({ clientId: ${JSON.stringify(CLIENT_ID)}, clientSecret: ${JSON.stringify(CLIENT_SECRET)}, apiBase: ${JSON.stringify(sim.url)} }),
            autoRefresh: false, logger: { debug: log, info: log, warn: log, error: log } });
          await mgr.start();
          const out = { start: mgr.state };
          await mgr.getToken().catch((e) => (out.get = { code: e.code, message: e.message }));
          await mgr.authorizeWithCode(${JSON.stringify(code())}, ${JSON.stringify(REDIRECT)}, 'read_station');
          out.after = mgr.state;
          out.lines = lines;
          process.stdout.write(JSON.stringify(out));
        })().catch((e) => process.stdout.write(JSON.stringify({ crash: String(e && e.stack) })));`;
      const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      await new Promise((r) => child.once('exit', r));
      out = JSON.parse(text);
      assert.equal(out.crash, undefined, out.crash);
      logs.push(...out.lines);
    } else {
      fs.chmodSync(file, 0);
      const mgr = manager(store);
      await mgr.start();
      out = { start: mgr.state };
      await mgr.getToken().catch((e) => (out.get = { code: e.code, message: e.message }));
      await mgr.authorizeWithCode(code(), REDIRECT, 'read_station');
      out.after = mgr.state;
    }
    assert.equal(out.start.status, 'error');
    assert.equal(out.start.error.code, 'STORE');
    assert.ok(out.start.error.message.includes(file), out.start.error.message);
    assert.match(out.start.error.message, /EACCES.*owner and permissions/);
    assert.equal(out.get.code, 'STORE');
    assert.equal(out.after.status, 'ok', JSON.stringify(out.after));
    const aside = fs.readdirSync(tokenDir()).filter((f) => f.startsWith(`${ACCOUNT}.json.unreadable-`));
    assert.equal(aside.length, 1, fs.readdirSync(tokenDir()).join(' '));
    assert.equal(fs.readFileSync(path.join(tokenDir(), aside[0]), 'utf8'), original, 'the unreadable file is kept, not overwritten');
    const stored = await new TokenStore({ dir: tokenDir() }).read(ACCOUNT);
    assert.equal(sim.isValidRefreshToken(stored.tokens.refresh_token), true);
  });

  it('token folder removed while running: NOT_AUTHORIZED naming the missing file; re-authorizing recreates it 0700/0600', async () => {
    const store = new TokenStore({ dir: tokenDir() });
    const old = sim.login();
    await store.write(ACCOUNT, { tokens: { ...old, expires_at: Date.now() - 1 } });
    const mgr = manager(store);
    await mgr.start();
    fs.rmSync(tokenDir(), { recursive: true, force: true });
    const err = await failsWith(mgr.getToken(), 'NOT_AUTHORIZED');
    assert.ok(err.message.includes(store.file(ACCOUNT)), err.message);
    assert.match(err.message, /disappeared/);
    await failsWith(mgr.getToken(), 'NOT_AUTHORIZED');
    await mgr.authorizeWithCode(code(), REDIRECT, 'read_station');
    assert.equal(fs.statSync(tokenDir()).mode & 0o777, 0o700);
    assert.equal(fs.statSync(store.file(ACCOUNT)).mode & 0o777, 0o600);
    assert.equal(mgr.state.status, 'ok');
  });

  it('token folder cannot be created (a file in its place): clear STORE errors naming it; fixed, re-authorizing works', async () => {
    fs.writeFileSync(tokenDir(), 'not a folder');
    const store = new TokenStore({ dir: tokenDir() });
    const mgr = manager(store);
    await mgr.start();
    assert.equal(mgr.state.error.code, 'STORE');
    assert.ok(mgr.state.error.message.includes(store.file(ACCOUNT)), mgr.state.error.message);
    const err = await failsWith(mgr.authorizeWithCode(code(), REDIRECT, 'read_station'), 'STORE');
    assert.ok(err.message.includes(tokenDir()), err.message);
    assert.equal(fs.readFileSync(tokenDir(), 'utf8'), 'not a folder', 'the file in the way is left alone');
    fs.rmSync(tokenDir());
    await mgr.authorizeWithCode(code(), REDIRECT, 'read_station');
    assert.equal(mgr.state.status, 'ok');
  });

  it('several secrets: the first encrypts, any decrypts; start() re-encrypts an old or clear-text file with the first', async () => {
    const t = sim.login();
    await new TokenStore({ dir: tokenDir(), secret: 'generated-by-node-red' }).write(ACCOUNT, { tokens: t });
    const both = new TokenStore({ dir: tokenDir(), secret: ['chosen-by-the-user', 'generated-by-node-red'] });
    assert.deepEqual((await both.read(ACCOUNT)).tokens, t);
    assert.equal(both.isOutdated(ACCOUNT), true);
    const mgr = manager(both);
    await mgr.start();
    assert.equal(mgr.state.status, 'ok');
    assert.deepEqual(
      (await new TokenStore({ dir: tokenDir(), secret: 'chosen-by-the-user' }).read(ACCOUNT)).tokens,
      t,
      'now encrypted with the new secret',
    );
    assert.equal(both.isOutdated(ACCOUNT), false);

    // A file written before any secret existed is encrypted as soon as one appears.
    let secret;
    const lazy = new TokenStore({ dir: tokenDir(), secret: () => secret });
    await lazy.write(ACCOUNT, { tokens: t });
    assert.equal(JSON.parse(fs.readFileSync(lazy.file(ACCOUNT), 'utf8')).encrypted, undefined);
    secret = 'appeared-later';
    await manager(lazy).start();
    const text = fs.readFileSync(lazy.file(ACCOUNT), 'utf8');
    assert.equal(JSON.parse(text).encrypted, 'aes-256-gcm');
    assert.ok(!text.includes(t.refresh_token));
    assert.deepEqual((await new TokenStore({ dir: tokenDir(), secret: 'appeared-later' }).read(ACCOUNT)).tokens, t);
  });
});

describe("faults: the token file and Node-RED's credential secret, in a real Node-RED 4", function () {
  this.timeout(90000);
  let sim;
  let userDir;
  const outputs = [];
  before(async () => {
    sim = await startFaultSimulator({ ttlSeconds: 2 });
  });
  // Each test starts from a fresh userDir and makes its own history: none depends on another.
  beforeEach(() => {
    userDir = h.newUserDir('nr-fault-secret-');
  });
  afterEach(async () => {
    await h.killAll();
    fs.rmSync(userDir, { recursive: true, force: true });
  });
  after(async () => {
    const found = findSecrets(outputs.join('\n'), sim.allSecrets());
    console.log(`      [secret] ${outputs.join('\n').split('\n').length} log lines searched for secrets: ${found.length} found`);
    await sim.close();
    assert.deepEqual(found, []);
  });

  const flows = () => h.tokenFlow({ apiBase: sim.url });
  const generated = () => JSON.parse(fs.readFileSync(path.join(userDir, '.config.runtime.json'), 'utf8'))._credentialSecret;
  const envelope = () => JSON.parse(fs.readFileSync(path.join(userDir, 'netatmo-tokens', `${ACCOUNT}.json`), 'utf8'));
  const settings = (credentialSecret) => h.faultSettings(sim, {}, { credentialSecret });

  /** Runs Node-RED (log level debug, NA_DEBUG off) until it has refreshed twice, then stops it. */
  async function run(credentialSecret, withCreds = true) {
    const n = sim.rec.refreshes.length;
    const red = await h.startFaultRed({
      userDir,
      sim,
      flows: withCreds ? flows() : undefined,
      settings: settings(credentialSecret),
      env: { NA_DEBUG: '' },
    });
    try {
      await h.waitFor(() => sim.rec.refreshes.length >= n + 2, { timeoutMs: 15000, what: 'two refreshes' });
      await h.waitFor(() => h.statuses(red).some((s) => s.fill === 'green'), { what: 'green' });
    } catch (err) {
      err.message += `\n${red.logs
        .filter((l) => !/STATUS|CAUGHT/.test(l))
        .slice(-25)
        .join('\n')}`;
      throw err;
    } finally {
      await red.stop();
      outputs.push(red.output());
    }
    assert.ok(!/STORE_CORRUPT|cannot decrypt|another credentialSecret/.test(red.output()), red.output());
    // Node-RED's log level debug alone shows the refresh flow, tokens cut to 4 characters.
    assert.match(red.output(), /\[debug\] \[netatmo-account:home\] refresh: sending refresh token [0-9a-f]{4}…/);
    assert.match(
      red.output(),
      /\[debug\] \[netatmo-account:home\] refresh: stored new refresh token [0-9a-f]{4}…, access token [0-9a-f]{4}…/,
    );
    return red;
  }

  /** A clear-text file, then Node-RED without credentialSecret: it generates one and encrypts the file with it. */
  async function startWithGeneratedSecret() {
    await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') }).write(ACCOUNT, { tokens: sim.login() });
    await run(undefined);
    const secret = generated();
    assert.equal(typeof secret, 'string');
    assert.equal(envelope().encrypted, 'aes-256-gcm');
    return secret;
  }

  /** Then the user sets credentialSecret: the file is re-encrypted with it. */
  async function thenUserSecret() {
    await run('user-chosen-secret-42', false);
    assert.equal(envelope().encrypted, 'aes-256-gcm');
  }

  it('no credentialSecret: Node-RED generates one; a clear-text file written before is read, then encrypted with it', async () => {
    const t = sim.login();
    await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') }).write(ACCOUNT, { tokens: t });
    assert.equal(envelope().encrypted, undefined);
    // Whatever the umask: the children inherit ours, 0 here.
    const umask = process.umask(0);
    try {
      await run(undefined);
    } finally {
      process.umask(umask);
    }
    assert.equal(fs.statSync(path.join(userDir, 'netatmo-tokens', `${ACCOUNT}.json`)).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(userDir, 'netatmo-tokens')).mode & 0o777, 0o700);
    const secret = generated();
    assert.equal(typeof secret, 'string', "RED.settings.get('_credentialSecret') has something to return");
    assert.equal(envelope().encrypted, 'aes-256-gcm');
    const stored = await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens'), secret }).read(ACCOUNT);
    assert.equal(sim.isValidRefreshToken(stored.tokens.refresh_token), true);
  });

  it('restarted with the generated secret: still readable, refreshing', async () => {
    const secret = await startWithGeneratedSecret();
    const before = sim.rec.refreshes.length;
    await run(undefined, false);
    assert.equal(generated(), secret, 'the same generated secret');
    assert.ok(sim.rec.refreshes.length >= before + 2, 'refreshed after the restart');
    const stored = await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens'), secret }).read(ACCOUNT);
    assert.equal(sim.isValidRefreshToken(stored.tokens.refresh_token), true);
  });

  it('the user sets credentialSecret: the file written with the generated one is read and re-encrypted with the new one', async () => {
    const old = await startWithGeneratedSecret();
    await thenUserSecret();
    const mine = new TokenStore({ dir: path.join(userDir, 'netatmo-tokens'), secret: 'user-chosen-secret-42' });
    const stored = await mine.read(ACCOUNT);
    assert.equal(mine.isOutdated(ACCOUNT), false, 'encrypted with the new secret');
    assert.equal(sim.isValidRefreshToken(stored.tokens.refresh_token), true);
    // No longer with the generated one: peek (no side effect) cannot decode it with that secret.
    await assert.rejects(new TokenStore({ dir: path.join(userDir, 'netatmo-tokens'), secret: old }).peek(ACCOUNT), {
      code: 'STORE',
      reason: 'secret',
    });
  });

  it('after a deploy Node-RED drops the generated secret: the file stays readable across restarts', async () => {
    await startWithGeneratedSecret();
    await thenUserSecret();
    assert.equal(typeof generated(), 'string', 'the generated secret is still there before the deploy');
    const red = await h.startFaultRed({ userDir, sim, settings: settings('user-chosen-secret-42') });
    try {
      const current = await (await fetch(`${red.adminUrl}flows`)).json();
      const res = await fetch(`${red.adminUrl}flows`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify(current),
      });
      assert.equal(res.status, 204);
      await h.waitFor(() => generated() === undefined, { what: 'Node-RED dropping _credentialSecret' });
    } finally {
      await red.stop();
      outputs.push(red.output());
    }
    await run('user-chosen-secret-42', false);
    const stored = await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens'), secret: 'user-chosen-secret-42' }).read(ACCOUNT);
    assert.equal(sim.isValidRefreshToken(stored.tokens.refresh_token), true);
    assert.equal(fs.statSync(path.join(userDir, 'netatmo-tokens', `${ACCOUNT}.json`)).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(userDir, 'netatmo-tokens')).mode & 0o777, 0o700);
  });
});
