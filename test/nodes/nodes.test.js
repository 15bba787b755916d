'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
const assert = require('node:assert/strict');
const path = require('node:path');
const rt = require('../helpers/runtime');
const { helper, NODES } = rt;
const { findSecrets } = require('../helpers/secrets');

/**
 * Follows the timers that our own code (dist/) starts, with the real setTimeout/setInterval
 * underneath: `live()` lists those neither fired (one-shot) nor cleared. Node-RED's and the
 * simulator's timers are not counted.
 */
function trackOurTimers() {
  const ours = path.resolve(TEST_ROOT, '..', 'dist') + path.sep;
  const real = { setTimeout, setInterval, clearTimeout, clearInterval };
  const live = new Map(); // timer -> where it was started
  const caller = () => (new Error().stack || '').split('\n').find((l) => l.includes(ours));
  global.setTimeout = function (fn, ms, ...args) {
    const where = caller();
    if (!where || typeof fn !== 'function') return real.setTimeout(fn, ms, ...args);
    const t = real.setTimeout(
      (...a) => {
        live.delete(t);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.set(t, where.trim());
    return t;
  };
  global.setInterval = function (fn, ms, ...args) {
    const t = real.setInterval(fn, ms, ...args);
    const where = caller();
    if (where) live.set(t, where.trim());
    return t;
  };
  global.clearTimeout = (t) => {
    live.delete(t);
    real.clearTimeout(t);
  };
  global.clearInterval = (t) => {
    live.delete(t);
    real.clearInterval(t);
  };
  return {
    live: () => [...live.values()],
    restore: () => Object.assign(global, real),
  };
}

describe('netatmo-token in a Node-RED runtime', function () {
  const env = rt.useRuntime();

  function flow(extra = {}) {
    return [
      rt.account(env.sim),
      { id: 'tok', z: 'f1', type: 'netatmo-token', account: 'acc1', interval: 0, wires: [['out']], ...extra },
      { id: 'out', z: 'f1', type: 'helper' },
      { id: 'c1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f1', type: 'helper' },
    ];
  }

  it('adds the token to each message: access_token, merged headers, netatmo', async () => {
    const stored = await rt.seedTokens(env.userDir, 'acc1', env.sim);
    await helper.load(NODES, flow(), rt.credentials());
    const out = rt.collect(helper.getNode('out'), 1);
    helper.getNode('tok').receive({ payload: 42, headers: { 'X-Keep': 'yes', authorization: 'Bearer old' } });
    const [msg] = await out;
    assert.equal(msg.payload, 42);
    assert.equal(msg.access_token, stored.access_token);
    assert.deepEqual(msg.headers, { 'X-Keep': 'yes', Authorization: `Bearer ${stored.access_token}` });
    assert.deepEqual(msg.netatmo, { expires_at: stored.expires_at, scope: ['read_station'] });
    assert.equal(env.sim.stats.tokenRequests, 0, 'a valid stored token needs no HTTP call');
  });

  it('the token it hands out works against the API', async () => {
    await rt.seedTokens(env.userDir, 'acc1', env.sim);
    await helper.load(NODES, flow(), rt.credentials());
    const out = rt.collect(helper.getNode('out'), 1);
    helper.getNode('tok').receive({});
    const [msg] = await out;
    const res = await fetch(`${env.sim.url}/api/homesdata`, { headers: msg.headers });
    assert.equal(res.status, 200);
  });

  it('without a login: the message goes to Catch with NOT_AUTHORIZED, nothing is sent, status is grey not authorized', async () => {
    await helper.load(NODES, flow(), rt.credentials());
    const tok = helper.getNode('tok');
    let sent = 0;
    helper.getNode('out').on('input', () => sent++);
    const caught = rt.collect(helper.getNode('caught'), 1);
    tok.receive({ payload: 'keep me' });
    const [msg] = await caught;
    assert.equal(msg.payload, 'keep me');
    assert.equal(msg.error.code, 'NOT_AUTHORIZED');
    assert.match(msg.error.message, /Authorize/);
    assert.equal(sent, 0);
    const status = tok.status.lastCall.args[0];
    assert.deepEqual(status, { fill: 'grey', shape: 'ring', text: 'not authorized' });
  });

  it("msg.netatmo.scope is the message's own copy", async () => {
    await rt.seedTokens(env.userDir, 'acc1', env.sim);
    await helper.load(NODES, flow(), rt.credentials());
    const out = rt.collect(helper.getNode('out'), 2);
    helper.getNode('tok').receive({});
    helper.getNode('tok').receive({});
    const [a, b] = await out;
    a.netatmo.scope.push('changed_by_a_flow');
    assert.deepEqual(b.netatmo.scope, ['read_station']);
    assert.deepEqual(helper.getNode('acc1').manager.state.scope, ['read_station']);
  });

  it('a msg.headers that is not an object goes to Catch with INVALID_INPUT', async () => {
    await rt.seedTokens(env.userDir, 'acc1', env.sim);
    await helper.load(NODES, flow(), rt.credentials());
    const caught = rt.collect(helper.getNode('caught'), 1);
    helper.getNode('tok').receive({ headers: 'Authorization: x' });
    const [msg] = await caught;
    assert.equal(msg.error.code, 'INVALID_INPUT');
    assert.equal(msg.headers, 'Authorization: x', 'the message is not altered');
  });

  it('shows the account state as node status', async () => {
    await rt.seedTokens(env.userDir, 'acc1', env.sim);
    await helper.load(NODES, flow(), rt.credentials());
    const tok = helper.getNode('tok');
    const green = await rt.statusWhere(tok, (s) => s.fill === 'green');
    assert.equal(green.shape, 'dot');
    assert.match(green.text, /^token renews by \d\d:\d\d$/);
  });

  it('a missing account gives a clear error and no handlers', async () => {
    await helper.load(NODES, [{ id: 'tok', type: 'netatmo-token', account: 'nope', wires: [[]] }], {});
    const tok = helper.getNode('tok');
    assert.match(tok.error.lastCall.args[0], /^No Netatmo account selected, or it is not deployed/);
    assert.deepEqual(tok.status.lastCall.args[0], { fill: 'red', shape: 'ring', text: 'no account' });
    assert.equal(tok.listenerCount('input'), 0);
  });

  it('two token nodes on one account share a single refresh', async () => {
    env.sim.delayMs = 50;
    await rt.seedTokens(env.userDir, 'acc1', env.sim, { expiresInMs: -1000 }); // already expired
    const f = flow();
    f.push({ id: 'tok2', z: 'f1', type: 'netatmo-token', account: 'acc1', wires: [['out']] });
    await helper.load(NODES, f, rt.credentials());
    const out = rt.collect(helper.getNode('out'), 40);
    for (let i = 0; i < 20; i++) {
      helper.getNode('tok').receive({ i });
      helper.getNode('tok2').receive({ i });
    }
    const msgs = await out;
    env.sim.delayMs = 0;
    assert.equal(env.sim.stats.refreshRequests, 1);
    const tokens = new Set(msgs.map((m) => m.access_token));
    assert.equal(tokens.size, 1);
    const stored = await rt.readStored(env.userDir, 'acc1');
    assert.equal(stored.tokens.access_token, [...tokens][0]);
    assert.ok(env.sim.isValidRefreshToken(stored.tokens.refresh_token), 'the stored refresh token is the live one');
  });

  it('emits on its timer with msg.payload = token, and leaves no timer after close', async () => {
    const stored = await rt.seedTokens(env.userDir, 'acc1', env.sim);
    const timers = trackOurTimers();
    try {
      await helper.load(NODES, flow({ interval: 0.2 }), rt.credentials());
      const [m1, m2] = await rt.collect(helper.getNode('out'), 2);
      assert.equal(m1.payload, stored.access_token);
      assert.equal(m2.headers.Authorization, `Bearer ${stored.access_token}`);
      assert.equal(m1.netatmo.expires_at, stored.expires_at);
      assert.ok(timers.live().length >= 2, `the emit interval and the refresh timer are running: ${timers.live()}`);
      await helper.unload();
      assert.deepEqual(timers.live(), [], 'timers of ours left after close');
    } finally {
      timers.restore();
    }
  });

  it('keeps the login across a restart of the runtime, with no new authorization', async () => {
    await rt.seedTokens(env.userDir, 'acc1', env.sim, { expiresInMs: -1000 });
    await helper.load(NODES, flow(), rt.credentials());
    let out = rt.collect(helper.getNode('out'), 1);
    helper.getNode('tok').receive({});
    const [first] = await out;
    assert.equal(env.sim.stats.refreshRequests, 1);
    await helper.unload();

    // Same env.userDir, a new runtime: the rotated refresh token was persisted and is the live one.
    await helper.load(NODES, flow(), rt.credentials());
    out = rt.collect(helper.getNode('out'), 1);
    helper.getNode('tok').receive({});
    const [second] = await out;
    assert.equal(second.access_token, first.access_token);
    assert.equal(env.sim.stats.tokenRequests, 1, 'no token request after the restart');
    const stored = await rt.readStored(env.userDir, 'acc1');
    assert.ok(env.sim.isValidRefreshToken(stored.tokens.refresh_token));
  });

  it('with maxWait 0, a transient failure sends SERVER to Catch at once and shows the yellow retrying status, not red', async () => {
    await rt.seedTokens(env.userDir, 'acc1', env.sim, { expiresInMs: -1000 });
    env.sim.injectFault('http500');
    await helper.load(NODES, flow({ maxWait: 0 }), rt.credentials());
    const caught = rt.collect(helper.getNode('caught'), 1);
    const tok = helper.getNode('tok');
    tok.receive({ n: 1 });
    const [msg] = await caught;
    assert.equal(msg.error.code, 'SERVER');
    assert.deepEqual(tok.status.lastCall.args[0], { fill: 'yellow', shape: 'ring', text: 'retrying (SERVER)' });
  });

  it('a refused refresh token sends REAUTHORIZE to Catch and the status says so', async () => {
    await rt.seedTokens(env.userDir, 'acc1', env.sim, { expiresInMs: -1000 });
    env.sim.injectFault('invalid_grant');
    await helper.load(NODES, flow(), rt.credentials());
    const tok = helper.getNode('tok');
    const first = rt.collect(helper.getNode('caught'), 1);
    tok.receive({ n: 1 });
    const [a] = await first;
    // The second message comes after the refusal (not during the refresh): it is answered from the mark.
    const second = Promise.race([
      rt.collect(helper.getNode('caught'), 1),
      rt.collect(helper.getNode('out'), 1).then(() => assert.fail('a token came out after invalid_grant')),
    ]);
    tok.receive({ n: 2 });
    const [b] = await second;
    assert.equal(a.error.code, 'REAUTHORIZE');
    assert.equal(b.error.code, 'REAUTHORIZE');
    assert.equal(env.sim.stats.tokenRequests, 1, 'no retry loop on invalid_grant');
    const statuses = tok.status.getCalls().map((c) => c.args[0].text);
    assert.ok(statuses.includes('re-authorization needed'), statuses.join(','));
  });
});

describe('admin routes: paste a code, a URL or a refresh token; status', function () {
  const env = rt.useRuntime();

  const load = () => helper.load(NODES, [rt.account(env.sim, { scope: 'read_station read_thermostat' })], rt.credentials());
  const secretsIn = (text) => findSecrets(text, [rt.CLIENT_SECRET, ...env.sim.issuedSecrets()], [rt.CLIENT_ID]);

  it('status before authorization', async () => {
    await load();
    const res = await helper.request().get('/netatmo-tokens/acc1/status').expect(200);
    assert.equal(res.body.authorized, false);
    assert.equal(res.body.status, 'unauthorized');
  });

  it('exchanges a pasted code; status then says authorized with the scopes, and no secret', async () => {
    await load();
    const code = env.sim.issueCode({ clientId: rt.CLIENT_ID, redirectUri: 'http://localhost/', scope: 'read_station read_thermostat' });
    const res = await helper.request().post('/netatmo-tokens/acc1/code').send({ code }).expect(200);
    assert.equal(res.body.authorized, true);
    assert.deepEqual(res.body.scope, ['read_station', 'read_thermostat']);
    const status = await helper.request().get('/netatmo-tokens/acc1/status').expect(200);
    assert.equal(status.body.authorized, true);
    assert.ok(status.body.expires_at > Date.now());
    assert.deepEqual(secretsIn(JSON.stringify(res.body) + JSON.stringify(status.body)), []);
    const stored = await rt.readStored(env.userDir, 'acc1');
    assert.ok(env.sim.isValidRefreshToken(stored.tokens.refresh_token));
  });

  it('takes the whole redirected URL', async () => {
    await load();
    const code = env.sim.issueCode({ clientId: rt.CLIENT_ID, redirectUri: 'http://localhost/', scope: 'read_station' });
    const res = await helper
      .request()
      .post('/netatmo-tokens/acc1/code')
      .send({ url: `http://localhost/?state=abc&code=${code}` })
      .expect(200);
    assert.equal(res.body.authorized, true);
  });

  it('takes a refresh token from the token generator and rotates it at once', async () => {
    await load();
    const issued = env.sim.issueTokens({ clientId: rt.CLIENT_ID, scope: 'read_station' });
    const res = await helper.request().post('/netatmo-tokens/acc1/code').send({ refresh_token: issued.refresh_token }).expect(200);
    assert.equal(res.body.authorized, true);
    assert.equal(env.sim.isValidRefreshToken(issued.refresh_token), false, 'rotated');
    const stored = await rt.readStored(env.userDir, 'acc1');
    assert.ok(env.sim.isValidRefreshToken(stored.tokens.refresh_token));
  });

  it('refuses bad input with a clear message and changes nothing', async () => {
    await load();
    // Each input with the sentence that tells the user what to do about it.
    for (const [body, message] of [
      [{ code: '' }, /^The authorization code is empty\.$/],
      [{ code: 'abc def!' }, /^The authorization code must be letters and digits only \(copy the part after "code="\)\.$/],
      [{ url: 'http://localhost/?state=x' }, /^The pasted URL has no "code=" in it: paste the address the browser was sent to/],
      [
        { url: 'http://localhost/?error=access_denied' },
        /^The Netatmo login was refused \(access_denied\): authorize again and click "Accept"\.$/,
      ],
      [{}, /^The authorization code is empty\.$/],
      [{ code: 42 }, /^The authorization code is empty\.$/],
    ]) {
      const res = await helper.request().post('/netatmo-tokens/acc1/code').send(body).expect(400);
      assert.equal(res.body.error.code, 'INVALID_INPUT', JSON.stringify(body));
      assert.match(res.body.error.message, message, JSON.stringify(body));
    }
    assert.equal(await rt.readStored(env.userDir, 'acc1'), null);
  });

  it('a used code gives INVALID_GRANT', async () => {
    await load();
    const code = env.sim.issueCode({ clientId: rt.CLIENT_ID, redirectUri: 'http://localhost/', scope: 'read_station' });
    await helper.request().post('/netatmo-tokens/acc1/code').send({ code }).expect(200);
    const res = await helper.request().post('/netatmo-tokens/acc1/code').send({ code }).expect(400);
    assert.equal(res.body.error.code, 'INVALID_GRANT');
    assert.deepEqual(secretsIn(JSON.stringify(res.body)), []);
  });

  it('serves the scope list', async () => {
    await load();
    const res = await helper.request().get('/netatmo-tokens/scopes').expect(200);
    assert.equal(res.body.groups.flatMap((g) => g.scopes).length, 26);
  });
});
