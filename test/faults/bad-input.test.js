'use strict';
/**
 * Bad input everywhere, one test per row: each gets a clear message (INVALID_INPUT or CONFIG, naming
 * what is wrong), nothing is thrown out of a handler (an exception would fail the run), nothing is
 * lost (a stored login stays as it was), and no answer or message holds the client secret or a token.
 * In a Node-RED runtime (node-red-node-test-helper) with the simulator.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startSimulator } = require('../simulator/simulator');
const rt = require('../helpers/runtime');
const { findSecrets } = require('../helpers/fault-sim');

const { helper } = rt;
const REDIRECT = 'http://localhost/';

const { NODES } = rt; // translated with our en-US catalog, as Node-RED would

describe('faults: bad input, one row each', function () {
  this.timeout(20000);
  let sim;
  let userDir;
  let seeded;
  const texts = [];
  let rows = 0;

  before(async () => {
    sim = await startSimulator({ clients: { [rt.CLIENT_ID]: rt.CLIENT_SECRET } });
  });
  after(async () => {
    await sim.close();
    const found = findSecrets(texts.join('\n'), [rt.CLIENT_SECRET, ...sim.issuedSecrets()], [rt.CLIENT_ID]);
    console.log(`      [bad input] ${rows} rows; ${texts.length} answers and messages searched for secrets: ${found.length} found`);
    assert.deepEqual(found, []);
  });
  beforeEach((done) => {
    userDir = rt.useUserDir(rt.tmpDir());
    sim.resetStats();
    seeded = undefined;
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((r) => helper.stopServer(r));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** An account (with a stored valid login unless told otherwise), a token node, a Catch. */
  async function load({ account = {}, creds = rt.credentials(), login = true, expired = false } = {}) {
    if (login) seeded = await rt.seedTokens(userDir, 'acc1', sim, expired ? { expiresInMs: -1000 } : {});
    await helper.load(
      NODES,
      [
        rt.account(sim, account),
        { id: 'tok', z: 'f1', type: 'netatmo-token', account: 'acc1', interval: 0, wires: [['out']] },
        { id: 'out', z: 'f1', type: 'helper' },
        { id: 'c1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'f1', type: 'helper' },
      ],
      creds,
    );
    listen();
    return { account: helper.getNode('acc1'), tok: helper.getNode('tok') };
  }

  /** Sends `msg` to the token node; resolves with what came out of it: { sent } or { caught }. */
  let waiting;
  function listen() {
    // Persistent listeners: a `once` on a node's input event breaks the runtime's own handler.
    helper.getNode('out').on('input', (m) => waiting && waiting({ sent: m }));
    helper.getNode('caught').on('input', (m) => {
      texts.push(JSON.stringify(m.error));
      if (waiting) waiting({ caught: m });
    });
  }
  function send(msg) {
    return new Promise((resolve) => {
      waiting = (r) => {
        waiting = undefined;
        resolve(r);
      };
      helper.getNode('tok').receive(msg);
    });
  }

  async function post(path, body, expect) {
    const res = await helper.request().post(path).send(body);
    texts.push(res.text);
    if (expect) assert.equal(res.status, expect, res.text);
    return res;
  }

  /** The stored login is untouched and still valid. */
  async function loginKept() {
    if (!seeded) return;
    const stored = await rt.readStored(userDir, 'acc1');
    assert.deepEqual(stored.tokens, seeded);
    assert.equal(sim.isValidRefreshToken(stored.tokens.refresh_token), true);
  }

  const errorsOf = (node) => node.error.getCalls().map((c) => String(c.args[0]));

  it('empty client id: the account says so, a due refresh goes to Catch with CONFIG, /authorize answers CONFIG', async () => {
    rows++;
    const { account } = await load({ creds: { acc1: { clientId: '', clientSecret: rt.CLIENT_SECRET } }, expired: true });
    assert.ok(
      errorsOf(account).some((e) => /client id is missing/.test(e)),
      errorsOf(account).join('\n'),
    );
    const { caught } = await send({ payload: 1 });
    assert.equal(caught.error.code, 'CONFIG');
    assert.match(caught.error.message, /client id or secret/);
    const res = await post(
      '/netatmo-tokens/other/authorize',
      { clientId: '', clientSecret: 'some-secret-123', scope: 'read_station', redirectUri: REDIRECT },
      400,
    );
    assert.equal(res.body.error.code, 'CONFIG');
    assert.match(res.body.error.message, /client id/);
    await loginKept();
  });

  it('malformed client id: "unexpected characters", in the node log and from /authorize', async () => {
    rows++;
    const { account } = await load({ creds: { acc1: { clientId: 'my id <script>', clientSecret: rt.CLIENT_SECRET } }, expired: true });
    assert.ok(
      errorsOf(account).some((e) => /client id has unexpected characters/.test(e)),
      errorsOf(account).join('\n'),
    );
    const { caught } = await send({});
    assert.equal(caught.error.code, 'CONFIG');
    const res = await post(
      '/netatmo-tokens/acc1/authorize',
      { clientId: 'my id <script>', clientSecret: 'some-secret-123', scope: 'read_station', redirectUri: REDIRECT },
      400,
    );
    assert.equal(res.body.error.code, 'INVALID_INPUT');
    assert.match(res.body.error.message, /client id has unexpected characters/);
    await loginKept();
  });

  it('empty client secret: the account says so, /authorize answers CONFIG', async () => {
    rows++;
    const { account } = await load({ creds: { acc1: { clientId: rt.CLIENT_ID, clientSecret: '' } }, expired: true });
    assert.ok(
      errorsOf(account).some((e) => /client secret is missing/.test(e)),
      errorsOf(account).join('\n'),
    );
    const { caught } = await send({});
    assert.equal(caught.error.code, 'CONFIG');
    const res = await post(
      '/netatmo-tokens/other/authorize',
      { clientId: rt.CLIENT_ID, clientSecret: '  ', scope: 'read_station', redirectUri: REDIRECT },
      400,
    );
    assert.equal(res.body.error.code, 'CONFIG');
    await loginKept();
  });

  it('malformed client secret (spaces, non-ASCII): "unexpected characters", never echoed', async () => {
    rows++;
    const bad = 'sécret with spaces';
    const { account } = await load({ creds: { acc1: { clientId: rt.CLIENT_ID, clientSecret: bad } }, expired: true });
    assert.ok(errorsOf(account).some((e) => /client secret has unexpected characters/.test(e)));
    assert.ok(!errorsOf(account).join('\n').includes(bad), 'the bad secret is not echoed');
    const res = await post(
      '/netatmo-tokens/acc1/authorize',
      { clientId: rt.CLIENT_ID, clientSecret: bad, scope: 'read_station', redirectUri: REDIRECT },
      400,
    );
    assert.equal(res.body.error.code, 'INVALID_INPUT');
    assert.ok(!res.text.includes(bad));
    await loginKept();
  });

  it('malformed scope: the account falls back to read_station and says so; /authorize refuses it', async () => {
    rows++;
    const { account } = await load({ account: { scope: 'read_station read_everything; drop' } });
    assert.ok(
      errorsOf(account).some((e) => /Invalid scopes/.test(e) && /read_station/.test(e)),
      errorsOf(account).join('\n'),
    );
    assert.equal(account.scope, 'read_station');
    const { sent } = await send({ payload: 'still works' });
    assert.equal(sent.access_token, seeded.access_token);
    const res = await post('/netatmo-tokens/acc1/authorize', { scope: 'read_station; DROP', redirectUri: REDIRECT }, 400);
    assert.equal(res.body.error.code, 'INVALID_INPUT');
    assert.match(res.body.error.message, /Scopes/);
    await loginKept();
  });

  it('empty or malformed redirect URI: /authorize and /code refuse it with a clear message', async () => {
    rows++;
    await load({ account: { redirectUri: '' } });
    for (const redirectUri of ['', 'not a url', 'ftp://example.com/', 'javascript:alert(1)']) {
      const res = await post('/netatmo-tokens/acc1/authorize', { redirectUri }, 400);
      assert.equal(res.body.error.code, 'INVALID_INPUT', redirectUri);
      assert.match(res.body.error.message, /redirect URI/i);
    }
    const code = sim.issueCode({ clientId: rt.CLIENT_ID, redirectUri: REDIRECT, scope: 'read_station' });
    const res = await post('/netatmo-tokens/acc1/code', { code, redirect_uri: 'not a url' }, 400);
    assert.equal(res.body.error.code, 'INVALID_INPUT');
    await loginKept();
  });

  it('empty or non-alphanumeric code: INVALID_INPUT, no request to Netatmo', async () => {
    rows++;
    await load();
    const empty = /^The authorization code is empty\.$/;
    const letters = /^The authorization code must be letters and digits only \(copy the part after "code="\)\.$/;
    for (const [code, message] of [
      ['', empty],
      ['   ', empty],
      ['abc def!', letters],
      ['a'.repeat(3), letters],
      ['<script>alert(1)</script>', letters],
      ['code;rm -rf', letters],
      [42, empty],
      [null, empty],
      [['x'], empty],
      [{ a: 1 }, empty],
    ]) {
      const res = await post('/netatmo-tokens/acc1/code', { code }, 400);
      assert.equal(res.body.error.code, 'INVALID_INPUT', JSON.stringify(code));
      assert.match(res.body.error.message, message, JSON.stringify(code));
    }
    assert.equal(sim.stats.tokenRequests, 0);
    await loginKept();
  });

  it('a pasted URL without a code, or with error=access_denied: INVALID_INPUT saying which', async () => {
    rows++;
    await load();
    let res = await post('/netatmo-tokens/acc1/code', { url: 'http://localhost/?state=abc' }, 400);
    assert.match(res.body.error.message, /no "code="/);
    res = await post('/netatmo-tokens/acc1/code', { text: 'http://localhost/?state=abc&error=access_denied' }, 400);
    assert.equal(res.body.error.code, 'INVALID_INPUT');
    assert.match(res.body.error.message, /access_denied/);
    // The browser comes back the same way: the callback page says so, with a valid state.
    const start = await post('/netatmo-tokens/acc1/authorize', { redirectUri: REDIRECT }, 200);
    const state = new URL(start.body.url).searchParams.get('state');
    // The browser that clicked Authorize (its cookie binds the login) comes back.
    const cookie = start.headers['set-cookie'][0].split(';')[0];
    let page = await helper.request().get(`/netatmo-tokens/callback?state=${state}&error=access_denied`).set('Cookie', cookie);
    texts.push(page.text);
    assert.equal(page.status, 400);
    assert.match(page.text, /access_denied/);
    const again = await post('/netatmo-tokens/acc1/authorize', { redirectUri: REDIRECT }, 200);
    page = await helper
      .request()
      .get(`/netatmo-tokens/callback?state=${new URL(again.body.url).searchParams.get('state')}`)
      .set('Cookie', again.headers['set-cookie'][0].split(';')[0]);
    texts.push(page.text);
    assert.equal(page.status, 400);
    assert.match(page.text, /code/);
    assert.equal(sim.stats.tokenRequests, 0);
    await loginKept();
  });

  it('a msg.headers that is not an object (string, number, array, Buffer, null): Catch with INVALID_INPUT, message unchanged', async () => {
    rows++;
    await load();
    for (const headers of ['Authorization: x', 42, ['a'], Buffer.from('x'), null, true]) {
      const { caught, sent } = await send({ payload: 'keep', headers });
      assert.ok(caught && !sent, JSON.stringify(headers));
      assert.equal(caught.error.code, 'INVALID_INPUT');
      assert.match(caught.error.message, /msg.headers/);
      assert.equal(caught.payload, 'keep');
      assert.deepEqual(caught.headers, headers);
    }
    // Fields the node does not read may hold anything.
    for (const payload of [undefined, null, 0, { deep: { x: 1 } }, Buffer.from('b'), ['a']]) {
      const { sent } = await send({ payload, topic: 42 });
      assert.equal(sent.access_token, seeded.access_token);
    }
    await loginKept();
  });

  it('a config id that does not exist: the token node says so, handles no input; the routes answer cleanly', async () => {
    rows++;
    await helper.load(NODES, [{ id: 'tok', z: 'f1', type: 'netatmo-token', account: 'does-not-exist', wires: [[]] }], {});
    const tok = helper.getNode('tok');
    assert.match(tok.error.lastCall.args[0], /No Netatmo account selected, or it is not deployed/);
    assert.deepEqual(tok.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'no account' });
    assert.equal(tok.listenerCount('input'), 0);
    tok.receive({ payload: 1 }); // nothing happens, nothing is thrown
    let res = await helper.request().get('/netatmo-tokens/does-not-exist/status');
    texts.push(res.text);
    assert.equal(res.status, 200);
    assert.equal(res.body.deployed, false);
    assert.equal(res.body.status, 'unauthorized');
    res = await helper.request().get('/netatmo-tokens/..%2F..%2Fetc/status');
    texts.push(res.text);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'INVALID_INPUT');
    res = await post('/netatmo-tokens/does-not-exist/code', { code: 'abcdef0123456789' }, 400);
    assert.equal(res.body.error.code, 'CONFIG');
    res = await helper.request().post('/netatmo-tokens/acc1/code').set('Content-Type', 'text/plain').send('garbage');
    texts.push(res.text);
    assert.equal(res.status, 403, 'a write that is not JSON is refused (a form on another site could send it)');
    assert.equal(res.body.error.code, 'CROSS_SITE');
  });
});
