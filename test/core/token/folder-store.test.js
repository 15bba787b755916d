'use strict';
/** The PHP script's folder as a TokenStore (src/core/folder-store.ts), on real files. */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { FolderTokenStore, TokenFileError } = require('../../../dist/core/token/folder-store');
const { TokenManager } = require('../../../dist/core/token/manager');
const { OAuthClient } = require('../../../dist/core/token/oauth');
const { startSimulator } = require('../../simulator/simulator');

describe('core: FolderTokenStore', () => {
  let dir;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-folder-store-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const put = (name, text) => fs.writeFileSync(path.join(dir, name), text);
  const get = (name) => fs.readFileSync(path.join(dir, name), 'utf8');

  it('reads the three files as the PHP script writes them (no final newline; a CRLF tolerated)', async () => {
    put('file_access_token.txt', 'u1|access');
    put('file_refresh_token.txt', 'u1|refresh\r\n');
    put('file_expire_time.txt', '1737385729');
    const acc = await new FolderTokenStore({ dir }).read('any');
    assert.equal(acc.tokens.access_token, 'u1|access');
    assert.equal(acc.tokens.refresh_token, 'u1|refresh');
    assert.equal(acc.tokens.expires_at, 1737385729000);
    assert.ok(acc.tokens.obtained_at <= acc.tokens.expires_at);
    assert.deepEqual(acc.tokens.scope, []);
    assert.equal(acc.invalid, undefined);
  });

  it('no refresh token: no login; a refresh token copied by hand with expiry 0 or none: expired', async () => {
    const store = new FolderTokenStore({ dir });
    assert.equal(await store.read('x'), null);
    put('file_refresh_token.txt', '');
    assert.equal(await store.read('x'), null);
    put('file_refresh_token.txt', 'u1|by-hand');
    const acc = await store.read('x');
    assert.deepEqual([acc.tokens.access_token, acc.tokens.expires_at], ['', 0]);
  });

  it('writes the pair (refresh token first), 0600, no final newline, and only the tokens', async () => {
    const store = new FolderTokenStore({ dir });
    const tokens = { access_token: 'u1|a2', refresh_token: 'u1|r2', expires_at: 1737385729999, obtained_at: 1, scope: ['read_station'] };
    await store.write('x', { tokens, invalid: { code: 'invalid_grant', message: 'm', at: 1 }, pending: 5 });
    assert.equal(get('file_refresh_token.txt'), 'u1|r2');
    assert.equal(get('file_access_token.txt'), 'u1|a2');
    assert.equal(get('file_expire_time.txt'), '1737385729');
    for (const f of fs.readdirSync(dir)) assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['file_access_token.txt', 'file_expire_time.txt', 'file_refresh_token.txt']);
    assert.equal((await store.read('x')).invalid, undefined, 'the files have no place for a mark');
  });

  it('a file that cannot be written is named, and remembered for the exit code', async () => {
    const store = new FolderTokenStore({ dir });
    fs.mkdirSync(path.join(dir, 'file_access_token.txt')); // a rename onto a folder fails, for root too
    const tokens = { access_token: 'u1|a', refresh_token: 'u1|r', expires_at: 0, obtained_at: 0, scope: [] };
    await assert.rejects(store.write('x', { tokens }), (err) => {
      assert.ok(err instanceof TokenFileError);
      assert.equal(err.code, 'STORE');
      assert.equal(err.fileName, 'file_access_token.txt');
      assert.equal(err.problem, 'not-written');
      assert.match(err.message, /file_access_token\.txt cannot be written in .* \(E[A-Z]+\)/);
      return true;
    });
    assert.equal(store.lastWriteError.fileName, 'file_access_token.txt');
    assert.equal(get('file_refresh_token.txt'), 'u1|r', 'the refresh token, first, was written');
  });

  it('locks file_refresh_token.txt.lock (as every earlier netatmo-tokens), and keeps files aside under one name', async () => {
    const store = new FolderTokenStore({ dir });
    await store.withLock('x', async () => assert.ok(fs.existsSync(path.join(dir, 'file_refresh_token.txt.lock'))));
    assert.ok(!fs.existsSync(path.join(dir, 'file_refresh_token.txt.lock')));
    put('file_refresh_token.txt', 'u1|r');
    put('file_expire_time.txt', '0');
    const aside = await store.keepAside('x');
    assert.equal(fs.readFileSync(aside, 'utf8'), 'u1|r');
    const suffix = aside.slice(path.join(dir, 'file_refresh_token.txt').length);
    assert.equal(get(`file_expire_time.txt${suffix}`), '0');
    assert.equal(await store.read('x'), null);
    assert.equal(await store.keepAside('x'), undefined);
  });

  describe('under TokenManager, as the command line uses it', () => {
    let sim;
    before(async () => (sim = await startSimulator({ clients: { cid: 'csecret' } })));
    after(() => sim.close());

    const manager = (store) =>
      new TokenManager({
        accountId: 'folder',
        store,
        client: new OAuthClient({ clientId: 'cid', clientSecret: 'csecret', apiBase: sim.url }),
        autoRefresh: false,
      });
    const login = () => {
      const t = sim.issueTokens({ clientId: 'cid' });
      put('file_access_token.txt', t.access_token);
      put('file_refresh_token.txt', t.refresh_token);
      put('file_expire_time.txt', String(Math.floor(Date.now() / 1000) + 10800));
      return t;
    };

    it('a forced refresh writes the new pair; one that finds the pair changed since its start adopts it', async () => {
      const old = login();
      const first = manager(new FolderTokenStore({ dir }));
      const second = manager(new FolderTokenStore({ dir }));
      await Promise.all([first.start(), second.start()]); // both read the same pair
      sim.resetStats();
      const a = await first.refresh({ force: true });
      assert.equal(get('file_refresh_token.txt'), a.refresh_token);
      assert.notEqual(a.refresh_token, old.refresh_token);
      const b = await second.refresh({ force: true });
      assert.equal(b.refresh_token, a.refresh_token, 'adopted, not refreshed again');
      assert.equal(sim.stats.refreshRequests, 1);
      // Started after that write: a forced refresh asks Netatmo again.
      const third = manager(new FolderTokenStore({ dir }));
      await third.start();
      const c = await third.refresh({ force: true });
      assert.notEqual(c.refresh_token, a.refresh_token);
      assert.equal(sim.stats.refreshRequests, 2);
      assert.ok(sim.isValidRefreshToken(get('file_refresh_token.txt')));
    });

    it('invalid_grant: REAUTHORIZE, and the files keep the refused pair (they have no place for the mark)', async () => {
      const t = login();
      await new OAuthClient({ clientId: 'cid', clientSecret: 'csecret', apiBase: sim.url }).refresh(t.refresh_token);
      const mgr = manager(new FolderTokenStore({ dir }));
      await mgr.start();
      await assert.rejects(mgr.refresh({ force: true }), (err) => err.code === 'REAUTHORIZE' && err.oauthError === 'invalid_grant');
      assert.equal(get('file_refresh_token.txt'), t.refresh_token);
    });
  });
});
