'use strict';
/**
 * GET /netatmo-tokens/:id/status never changes the store: a damaged file is reported, not moved
 * aside; a good one is not rewritten. The editor polls this route; a read must not cost a login.
 * Real Node-RED runtime (node-red-node-test-helper), real files.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const rt = require('../helpers/runtime');

const { helper, NODES } = rt;

describe('admin: GET /status is read-only', function () {
  this.timeout(15000);
  const env = rt.useRuntime({ prefix: 'netatmo-status-ro-' });

  const dir = () => path.join(env.userDir, 'netatmo-tokens');
  const file = (id = 'acc1') => path.join(dir(), `${id}.json`);
  /** Every file of the token folder with its bytes and inode: what must not change. */
  const snapshot = () =>
    Object.fromEntries(
      fs
        .readdirSync(dir())
        .sort()
        .map((n) => {
          const p = path.join(dir(), n);
          const st = fs.statSync(p);
          return [n, st.isFile() ? { ino: st.ino, text: fs.readFileSync(p, 'utf8') } : { ino: st.ino }];
        }),
    );
  const status = (id = 'acc1') => helper.request().get(`/netatmo-tokens/${id}/status`);

  it('a damaged file of an account not deployed yet is reported and left in place, every time', async () => {
    await helper.load(NODES, [], {});
    fs.mkdirSync(dir(), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file(), '{"version":1,"account":{"tokens":{"access_tok', { mode: 0o600 });
    const before = snapshot();
    for (let i = 0; i < 3; i++) {
      const res = await status();
      assert.equal(res.status, 500, res.text);
      assert.equal(res.body.error.code, 'STORE_CORRUPT');
      assert.deepEqual(snapshot(), before, 'GET /status changed the token folder');
    }
  });

  it('a file encrypted with another credential secret is reported and left in place', async () => {
    await helper.load(NODES, [], {});
    const { TokenStore } = require('../../dist/core/token/store');
    await new TokenStore({ dir: dir(), secret: 'another-credential-secret' }).write('acc1', {
      tokens: env.sim.issueTokenSet({ clientId: rt.CLIENT_ID }),
    });
    const before = snapshot();
    const res = await status();
    assert.equal(res.status, 500, res.text);
    assert.equal(res.body.error.code, 'STORE');
    assert.deepEqual(snapshot(), before, 'GET /status changed the token folder');
  });

  it('a good file of an account not deployed yet is read, not rewritten', async () => {
    await helper.load(NODES, [], {});
    const tokens = await rt.seedTokens(env.userDir, 'acc1', env.sim);
    const before = snapshot();
    const res = await status();
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.expires_at, tokens.expires_at);
    assert.deepEqual(snapshot(), before);
  });

  it('a deployed account answers from memory: a file damaged since is left in place', async () => {
    await rt.seedTokens(env.userDir, 'acc1', env.sim);
    await helper.load(NODES, [rt.account(env.sim)], rt.credentials());
    const end = Date.now() + 5000;
    let ok;
    // Deployed and loaded: not the answer read from the file before the manager started.
    while (!((ok = await status()).body.status === 'ok' && ok.body.deployed)) {
      assert.ok(Date.now() < end, `the deployed account never said ok: ${ok.text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    fs.writeFileSync(file(), 'damaged');
    const before = snapshot();
    const res = await status();
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(snapshot(), before, 'GET /status changed the token folder');
  });
});
