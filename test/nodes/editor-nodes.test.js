'use strict';
/**
 * What a first-time user meets in the runtime (issue 16): a token node without an account sends
 * every message to Catch (NO_ACCOUNT) instead of dropping it; a login authorized in a dialog that
 * was then cancelled does not stay on disk after the next deploy, while one whose dialog is still
 * open survives until the deploy that adds its account.
 */
const assert = require('node:assert/strict');
const { until: waitUntil } = require('../helpers/until');
const fs = require('node:fs');
const path = require('node:path');
const rt = require('../helpers/runtime');
const { helper, NODES } = rt;
const { authorizeStates } = require('../../dist/nodes/authorize-state.js');
const { editorLogins, EditorLogins } = require('../../dist/nodes/editor-logins.js');

const REDIRECT_URI = 'http://localhost/';

describe('editor-facing behaviour of the nodes (issue 16)', function () {
  this.timeout(15000);
  const env = rt.useRuntime({ each: () => [authorizeStates, editorLogins].forEach((s) => s.clear()) });

  const tokenFile = (id) => path.join(env.userDir, 'netatmo-tokens', `${id}.json`);
  const sink = { id: 'out', z: 'f1', type: 'helper' };
  const catcher = [
    { id: 'c1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
  /** The dialog's fields, as the editor sends them for an account that is not deployed. */
  const typed = { clientId: rt.CLIENT_ID, clientSecret: rt.CLIENT_SECRET, scope: 'read_station', redirectUri: REDIRECT_URI };

  /** The browser's cookie that authorize binds a login to; the callback wants it back. */
  const cookieOf = (res) => (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('netatmo_tokens_browser=')).split(';')[0];

  /** The dialog: Authorize, consent on the (simulated) Netatmo page, the callback. Returns the status answer. */
  async function authorizeInDialog(id) {
    const start = await helper
      .request()
      .post(`/netatmo-tokens/${id}/authorize`)
      .send({ ...typed, apiBase: env.sim.url })
      .expect(200);
    const html = await (await fetch(start.body.url)).text();
    const accept = /<a id="accept" href="([^"]+)"/.exec(html)[1].replace(/&amp;/g, '&');
    const back = new URL((await fetch(env.sim.url + accept, { redirect: 'manual' })).headers.get('location'));
    await helper.request().get(`/netatmo-tokens/callback/${back.search}`).set('Cookie', cookieOf(start)).expect(200);
    await helper.request().post(`/netatmo-tokens/${id}/dialog`).send({ open: true }).expect(200); // as the dialog's poll does
    return (await helper.request().get(`/netatmo-tokens/${id}/status`).expect(200)).body;
  }

  // ------------------------------------------------------------ item 3: no account

  for (const [type, what, account] of [
    ['netatmo-token', 'no account selected', ''],
    ['netatmo-token', 'an account that is not deployed', 'gone-account'],
    ['netatmo-api', 'no account selected', ''],
    ['netatmo-api', 'an account that is not deployed', 'gone-account'],
  ]) {
    it(`a ${type} node with ${what} sends each message to Catch with NO_ACCOUNT, and nothing on`, async () => {
      await helper.load(
        rt.API_NODES,
        [{ id: 'tok', z: 'f1', type, account, interval: 0, endpoint: 'homesdata', wires: [['out']] }, sink, ...catcher],
        {},
      );
      const tok = helper.getNode('tok');
      let sent = 0;
      helper.getNode('out').on('input', () => sent++);
      const caught = rt.collect(helper.getNode('caught'), 2);
      tok.receive({ payload: 'first' });
      tok.receive({ payload: 'second' });
      const msgs = await caught;
      assert.deepEqual(
        msgs.map((m) => [m.payload, m.error.code]),
        [
          ['first', 'NO_ACCOUNT'],
          ['second', 'NO_ACCOUNT'],
        ],
      );
      assert.match(msgs[0].error.message, /No Netatmo account selected, or it is not deployed/);
      assert.equal(sent, 0);
      assert.deepEqual(tok.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'no account' });
    });
  }

  // ------------------------------------------------------------ item 2: Cancel after Authorize

  it('a login authorized in a dialog that was cancelled is removed at the next deploy', async () => {
    await helper.load(NODES, [rt.account(env.sim), sink], rt.credentials());
    await rt.seedTokens(env.userDir, 'acc1', env.sim);
    const st = await authorizeInDialog('newacc');
    assert.equal(st.authorized, true);
    assert.equal(st.deployed, false);
    assert.equal(st.attempt.outcome, 'authorized');
    const stored = JSON.parse(fs.readFileSync(tokenFile('newacc'), 'utf8'));
    assert.ok(stored, 'the login is on disk before the deploy');

    // Cancel: the dialog says it is closed; the deploy does not hold the account.
    await helper.request().post('/netatmo-tokens/newacc/dialog').send({ open: false }).expect(200);
    await helper.setFlows([rt.account(env.sim), sink], 'full', rt.credentials());
    await until(() => !fs.existsSync(tokenFile('newacc')), 'the orphan login to be removed');
    assert.ok(fs.existsSync(tokenFile('acc1')), "the deployed account's login stays");
    const after = (await helper.request().get('/netatmo-tokens/newacc/status').expect(200)).body;
    assert.equal(after.authorized, false);
  });

  it('a login whose dialog is still open survives a deploy without its account, and is used by the deploy that adds it', async () => {
    await helper.load(NODES, [sink], {});
    await authorizeInDialog('newacc');
    // Another deploy (another tab) while the dialog is open: the login stays.
    await helper.setFlows([sink, { id: 'other', z: 'f1', type: 'helper' }], 'full', {});
    await new Promise((r) => setImmediate(r));
    assert.ok(fs.existsSync(tokenFile('newacc')), 'removed while its dialog was open');
    // The dialog goes on polling: it was open at that deploy.
    await helper.request().post('/netatmo-tokens/newacc/dialog').send({ open: true }).expect(200);

    // Done, then the deploy that adds the account: it uses the login, and later deploys leave it alone.
    await helper.request().post('/netatmo-tokens/newacc/dialog').send({ open: false }).expect(200);
    const requests = env.sim.stats.tokenRequests;
    await helper.setFlows([rt.account(env.sim, { id: 'newacc' }), sink], 'full', rt.credentials('newacc'));
    const st = await until(async () => {
      const body = (await helper.request().get('/netatmo-tokens/newacc/status').expect(200)).body;
      return body.deployed && body.authorized ? body : undefined;
    }, 'the deployed account to use the login');
    assert.equal(st.status, 'ok');
    assert.equal(env.sim.stats.tokenRequests, requests, 'no new login was needed');
    await helper.setFlows([rt.account(env.sim, { id: 'newacc', name: 'renamed' }), sink], 'full', rt.credentials('newacc'));
    assert.ok(fs.existsSync(tokenFile('newacc')));
  });

  it("a Cancel's close that reaches the runtime after the deploy removes the login then (issue 25 item 5)", async () => {
    await helper.load(NODES, [sink], {});
    await authorizeInDialog('newacc'); // its last poll just now: the deploy holds the login
    await helper.setFlows([sink, { id: 'other', z: 'f1', type: 'helper' }], 'full', {});
    await new Promise((r) => setImmediate(r));
    assert.ok(fs.existsSync(tokenFile('newacc')), 'held at the deploy');
    await helper.request().post('/netatmo-tokens/newacc/dialog').send({ open: false }).expect(200);
    await until(() => !fs.existsSync(tokenFile('newacc')), 'the late close to remove the login');
  });

  it('the status answer carries the outcome of the last attempt: pending, then refused', async () => {
    await helper.load(NODES, [sink], {});
    const start = await helper
      .request()
      .post('/netatmo-tokens/newacc/authorize')
      .send({ ...typed, apiBase: env.sim.url })
      .expect(200);
    const pending = (await helper.request().get('/netatmo-tokens/newacc/status').expect(200)).body;
    assert.equal(pending.attempt.outcome, 'pending');
    assert.equal(JSON.stringify(pending).includes(new URL(start.body.url).searchParams.get('state')), false, 'the state is not echoed');
    const html = await (await fetch(start.body.url)).text();
    const refuse = /<a id="refuse" href="([^"]+)"/.exec(html)[1].replace(/&amp;/g, '&');
    const back = new URL((await fetch(env.sim.url + refuse, { redirect: 'manual' })).headers.get('location'));
    await helper.request().get(`/netatmo-tokens/callback/${back.search}`).set('Cookie', cookieOf(start)).expect(400);
    const refused = (await helper.request().get('/netatmo-tokens/newacc/status').expect(200)).body;
    assert.equal(refused.attempt.outcome, 'denied');
    assert.equal(refused.authorized, false);
  });

  const until = (check, what, ms = 3000) => waitUntil(check, what, ms, 20);
});

describe('the last login attempt of an account (issue 16 item 1)', () => {
  it('pending, then the outcome of its state; a pending one expires with its state; a success is not overwritten', () => {
    const logins = new EditorLogins();
    let now = 1000;
    logins.clock = () => now;
    assert.equal(logins.attempt('a'), null);
    logins.started('a', 'state-one');
    assert.equal(logins.attempt('a').outcome, 'pending');
    logins.ended('other-state', 'denied');
    assert.equal(logins.attempt('a').outcome, 'pending', 'another state changes nothing');
    now += logins.ttlMs;
    assert.equal(logins.attempt('a').outcome, 'expired');
    logins.started('a', 'state-two');
    logins.ended('state-two', 'failed', { code: 'INVALID_CLIENT', message: 'wrong secret' });
    assert.deepEqual(logins.attempt('a'), { outcome: 'failed', at: now, code: 'INVALID_CLIENT', message: 'wrong secret' });
    logins.started('a', 'state-three');
    logins.ended('state-three', 'authorized');
    logins.ended('state-three', 'expired');
    assert.equal(logins.attempt('a').outcome, 'authorized');
    assert.ok(!JSON.stringify(logins.attempt('a')).includes('state-three'));
  });
});

describe("the dialog's signals arriving out of order (issue 25 item 5)", () => {
  /** An EditorLogins on a virtual clock, with a login stored for the undeployed account `a`. */
  function withStoredLogin() {
    const logins = new EditorLogins();
    const clock = { now: 1_000_000 };
    logins.clock = () => clock.now;
    const removed = [];
    logins.onOrphan = (id) => removed.push(id);
    logins.dialog('a', true);
    logins.storedUndeployed('a');
    return { logins, clock, removed };
  }
  const absent = () => false;

  it('a Cancel whose close reaches the runtime after the deploy: the login goes at the close, once', () => {
    const { logins, clock, removed } = withStoredLogin();
    clock.now += 500;
    assert.deepEqual(logins.orphans(absent), [], 'polled 500 ms ago: held at the deploy');
    assert.deepEqual(removed, []);
    clock.now += 300;
    logins.dialog('a', false);
    assert.deepEqual(removed, ['a']);
    logins.dialog('a', false);
    clock.now += 60_000;
    assert.deepEqual(logins.orphans(absent), [], 'not watched any more');
    assert.deepEqual(removed, ['a']);
  });

  it('a poll sent before the close that lands after it does not reopen the dialog: the deploy removes the login', () => {
    const { logins, clock, removed } = withStoredLogin();
    clock.now += 100;
    logins.dialog('a', false);
    clock.now += 999;
    logins.dialog('a', true); // the closed dialog's last poll
    clock.now += 1;
    assert.deepEqual(logins.orphans(absent), ['a']);
    assert.deepEqual(removed, [], 'removed by the deploy, not twice');
  });

  it('a dialog opened again 1 s after a close is open: a deploy holds its login', () => {
    const { logins, clock } = withStoredLogin();
    logins.dialog('a', false);
    clock.now += 1000;
    logins.dialog('a', true);
    clock.now += 14_000;
    assert.deepEqual(logins.orphans(absent), []);
  });

  it('a dialog still polling after a deploy of another editor keeps its login through Done, for the deploy that adds it', () => {
    const { logins, clock, removed } = withStoredLogin();
    clock.now += 1500;
    assert.deepEqual(logins.orphans(absent), [], 'held: polled 1.5 s ago');
    clock.now += 500;
    logins.dialog('a', true); // it goes on polling: it was open at that deploy
    clock.now += 3000;
    logins.dialog('a', false); // Done
    assert.deepEqual(removed, []);
    assert.deepEqual(
      logins.orphans((id) => id === 'a'),
      [],
    );
    logins.dialog('a', false);
    assert.deepEqual(logins.orphans(absent), [], 'deployed: not watched any more');
    assert.deepEqual(removed, []);
  });

  it('a deploy that adds a held account stops holding it: a late close then removes nothing', () => {
    const { logins, clock, removed } = withStoredLogin();
    clock.now += 100;
    assert.deepEqual(logins.orphans(absent), []);
    assert.deepEqual(
      logins.orphans((id) => id === 'a'),
      [],
    );
    logins.dialog('a', false);
    assert.deepEqual(removed, []);
  });
});
