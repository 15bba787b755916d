'use strict';
/**
 * Admin routes of the netatmo-account node in a real Node-RED runtime (node-red-node-test-helper),
 * against the Netatmo simulator: authorize, callback, paste, status; and, with a real Node-RED
 * process started with adminAuth, the permission checks.
 */
const assert = require('node:assert/strict');
const { until: waitUntil } = require('../helpers/until');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, NODES } = require('../helpers/runtime'); // initialised for NODE_RED_MODULE, nodes with their catalog
const { authorizeStates } = require('../../dist/nodes/authorize-state.js');
const { startSimulator } = require('../simulator/simulator');
const { startNodeRed, hashPassword, adminToken } = require('../helpers/nodered');

const CLIENT_ID = 'admin-test-client';
const CLIENT_SECRET = 'admin-test-secret-0123456789';
const REDIRECT_URI = 'http://localhost/';
const SCOPE = 'read_station read_thermostat';

describe('admin routes (authorize from the editor)', function () {
  this.timeout(15000);
  let sim;
  let userDir;
  /** Every answer of our routes, to check that none holds a secret. */
  let answers;

  before(async () => {
    sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET } });
  });
  after(() => sim.close());

  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-admin-'));
    helper.settings({ userDir, netatmoTokens: {} });
    authorizeStates.clear();
    authorizeStates.clock = Date.now;
    sim.resetStats();
    answers = [];
    browserCookie = undefined;
  });
  afterEach(async () => {
    await helper.unload();
    authorizeStates.clear();
    authorizeStates.clock = Date.now;
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  // ------------------------------------------------------------ helpers

  const account = (extra = {}) => ({
    id: 'acc1',
    type: 'netatmo-account',
    name: 'home',
    scope: SCOPE,
    redirectUri: REDIRECT_URI,
    apiBase: sim.url,
    ...extra,
  });
  const tokenUser = (accountId = 'acc1') => ({ id: 'tok1', type: 'netatmo-token', account: accountId, interval: 0, wires: [['out']] });
  const sink = { id: 'out', type: 'helper' };
  const creds = { acc1: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } };
  /** The dialog's fields as the editor sends them for an account not deployed yet. */
  const typed = (extra = {}) => ({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    scope: SCOPE,
    redirectUri: REDIRECT_URI,
    apiBase: sim.url,
    ...extra,
  });

  const loadDeployed = () => helper.load(NODES, [account(), tokenUser(), sink], creds);
  const loadEmpty = () => helper.load(NODES, [sink], {});

  /** The cookie jar of the one browser these tests play: authorize binds a login to it. */
  let browserCookie;
  const keep = (res) => {
    answers.push(res.text);
    const set = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('netatmo_tokens_browser='));
    if (set) browserCookie = set.split(';')[0];
    return res;
  };
  const withCookie = (req) => (browserCookie ? req.set('Cookie', browserCookie) : req);
  const post = (url, body) => withCookie(helper.request().post(url)).send(body).then(keep);
  const get = (url) => withCookie(helper.request().get(url)).then(keep);
  const status = async (id) => {
    const res = await get(`/netatmo-tokens/${id}/status`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const authorize = async (id, body = {}) => {
    const res = await post(`/netatmo-tokens/${id}/authorize`, body);
    assert.equal(res.status, 200, res.text);
    return new URL(res.body.url);
  };
  /** Follows the simulator's consent page like a browser; returns where Netatmo sends the browser back. */
  async function consent(authorizeUrl, decision = 'accept') {
    const html = await (await fetch(authorizeUrl)).text();
    const match = new RegExp(`<a id="${decision}" href="([^"]+)"`).exec(html);
    assert.ok(match, `no ${decision} link on the consent page`);
    const res = await fetch(sim.url + match[1].replace(/&amp;/g, '&'), { redirect: 'manual' });
    assert.equal(res.status, 302);
    return new URL(res.headers.get('location'));
  }
  const callback = (back) => get(`/netatmo-tokens/callback/${back.search}`);
  const tokenFile = (id) => path.join(userDir, 'netatmo-tokens', `${id}.json`);
  const storedTokens = (id) => JSON.parse(fs.readFileSync(tokenFile(id), 'utf8')).account.tokens;
  const until = (check, what, ms = 3000) => waitUntil(check, what, ms, 20);
  /** Sends a message through the token node and resolves with what comes out. */
  function tokenMessage() {
    return new Promise((resolve, reject) => {
      const out = helper.getNode('out');
      out.once('input', resolve);
      helper.getNode('tok1').receive({ payload: 'go', headers: { 'X-Keep': '1' } });
      setTimeout(() => reject(new Error('no message from the token node')), 3000);
    });
  }
  function assertNoSecrets(texts) {
    const secrets = [...sim.issuedSecrets(), CLIENT_SECRET];
    for (const t of texts) {
      for (const s of secrets)
        assert.ok(!String(t).includes(s), `an answer holds a secret (${s.slice(0, 4)}…): ${String(t).slice(0, 200)}`);
    }
  }

  // ------------------------------------------------------------ authorize

  it('authorize answers the Netatmo URL: code flow, client id, redirect URI, scopes, a 256-bit state, no secret', async () => {
    await loadDeployed();
    const res = await post('/netatmo-tokens/acc1/authorize', { clientSecret: '__PWRD__' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    const url = new URL(res.body.url);
    assert.equal(url.origin + url.pathname, `${sim.url}/oauth2/authorize`);
    const q = url.searchParams;
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), CLIENT_ID);
    assert.equal(q.get('redirect_uri'), REDIRECT_URI);
    assert.equal(q.get('scope'), SCOPE);
    assert.match(res.body.url, /scope=read_station%20read_thermostat/);
    const state = q.get('state');
    assert.match(state, /^[A-Za-z0-9_-]+$/);
    assert.ok(Buffer.from(state, 'base64url').length >= 16, 'state must hold at least 128 bits');
    assert.equal(q.get('client_secret'), null);
    assert.ok(!res.text.includes(CLIENT_SECRET));
    // Each click makes a new state.
    const again = await authorize('acc1', {});
    assert.notEqual(again.searchParams.get('state'), state);
    assert.equal(authorizeStates.size, 2);
  });

  it('authorize takes what was typed in the dialog over the deployed account (scopes, redirect URI)', async () => {
    await loadDeployed();
    const url = await authorize('acc1', {
      clientId: CLIENT_ID,
      scope: 'read_homecoach, read_station',
      redirectUri: 'http://127.0.0.1:1880/netatmo-tokens/callback/',
    });
    assert.equal(url.searchParams.get('scope'), 'read_homecoach read_station');
    assert.equal(url.searchParams.get('redirect_uri'), 'http://127.0.0.1:1880/netatmo-tokens/callback/');
  });

  it('the saved secret only goes to the saved client id and API base; a typed secret may go elsewhere', async () => {
    await loadDeployed();
    for (const body of [{ apiBase: 'http://127.0.0.1:9/' }, { clientId: 'another-client' }]) {
      const res = await post('/netatmo-tokens/acc1/authorize', { redirectUri: REDIRECT_URI, ...body });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, 'CONFIG');
      assert.match(res.body.error.message, /Type the client secret again/);
      const pasted = await post('/netatmo-tokens/acc1/code', { code: 'abcdef0123456789abcdef0123456789', ...body });
      assert.equal(pasted.body.error.code, 'CONFIG');
    }
    assert.equal(sim.stats.tokenRequests, 0, 'nothing was sent anywhere');
    const url = await authorize('acc1', { apiBase: 'http://127.0.0.1:9/', clientSecret: 'a-typed-secret' });
    assert.equal(url.origin, 'http://127.0.0.1:9');
  });

  it('a login for new, undeployed credentials is stored for the deploy; the deployed account keeps its client meanwhile', async () => {
    sim.addClient('new-client', 'new-client-secret-123');
    await loadDeployed();
    const before = await status('acc1');
    const back = await consent(await authorize('acc1', { clientId: 'new-client', clientSecret: 'new-client-secret-123' }));
    const res = await callback(back);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /deploy the flow so that it uses them/);
    assert.ok(sim.isValidRefreshToken(storedTokens('acc1').refresh_token), 'stored for the deploy');
    const after = await status('acc1');
    assert.equal(after.attempt.outcome, 'authorized', 'the dialog learns that its login was stored');
    assert.equal(before.authorized, false);
    assert.equal(
      helper.getNode('acc1').manager.state.authorized,
      false,
      'the deployed account with the old client does not take the new login',
    );
    // The dialog shows one state: the stored login, authorized, waiting for the deploy (issue 23).
    assert.deepEqual(
      { authorized: after.authorized, deployed: after.deployed, scope: after.scope },
      { authorized: true, deployed: false, scope: ['read_station', 'read_thermostat'] },
    );
    await helper.unload();
    await helper.load(NODES, [account(), tokenUser(), sink], { acc1: { clientId: 'new-client', clientSecret: 'new-client-secret-123' } });
    const deployed = await until(async () => {
      const st = await status('acc1');
      return st.authorized && st;
    }, 'the deployed account to use the new login');
    assert.deepEqual(deployed.scope, ['read_station', 'read_thermostat']);
    assertNoSecrets(answers);
  });

  it('authorize refuses bad input with a clear 400', async () => {
    await loadEmpty();
    const missing = await post('/netatmo-tokens/newacc/authorize', typed({ clientSecret: '' }));
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'CONFIG');
    assert.match(missing.body.error.message, /client secret/);
    const saved = await post('/netatmo-tokens/newacc/authorize', typed({ clientSecret: '__PWRD__' }));
    assert.equal(saved.body.error.code, 'CONFIG', 'a saved password of an account not deployed is not known here');
    const scope = await post('/netatmo-tokens/newacc/authorize', typed({ scope: 'read_station DROP TABLE' }));
    assert.equal(scope.status, 400);
    assert.match(scope.body.error.message, /not a Netatmo scope/);
    const redirect = await post('/netatmo-tokens/newacc/authorize', typed({ redirectUri: '' }));
    assert.equal(redirect.status, 400);
    assert.match(redirect.body.error.message, /redirect URI/);
    const base = await post('/netatmo-tokens/newacc/authorize', typed({ apiBase: 'ftp://x' }));
    assert.equal(base.status, 400);
    const id = await post('/netatmo-tokens/..%2Fetc/authorize', typed());
    assert.equal(id.status, 400);
    assert.equal(authorizeStates.size, 0);
    assertNoSecrets(answers);
  });

  // ------------------------------------------------------------ callback

  it('callback with the state and a code stores the tokens and the account turns authorized at once', async () => {
    await loadDeployed();
    assert.equal((await status('acc1')).authorized, false);
    const back = await consent(await authorize('acc1'));
    assert.equal(back.origin + back.pathname, REDIRECT_URI);
    const res = await callback(back);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers['content-type'], /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.match(res.text, /Authorized for scopes read_station read_thermostat\./);
    assert.match(res.text, /close this tab/);
    assert.equal(sim.stats.authCodeRequests, 1);
    assert.equal(sim.lastTokenRequest.redirect_uri, REDIRECT_URI);

    const st = await status('acc1');
    assert.equal(st.deployed, true);
    assert.equal(st.authorized, true);
    assert.equal(st.status, 'ok');
    assert.deepEqual(st.scope, ['read_station', 'read_thermostat']);
    assert.ok(st.expires_at > Date.now() + 3 * 3600_000 - 60_000);

    const stored = storedTokens('acc1');
    assert.ok(sim.isValidRefreshToken(stored.refresh_token));
    const msg = await tokenMessage();
    assert.equal(msg.access_token, stored.access_token);
    assert.equal(msg.headers.Authorization, `Bearer ${stored.access_token}`);
    assert.equal(msg.headers['X-Keep'], '1');
    const api = await fetch(`${sim.url}/api/homesdata`, { headers: { Authorization: msg.headers.Authorization } });
    assert.equal(api.status, 200);
    assertNoSecrets(answers);
  });

  it('a state works once: the second callback is refused and changes nothing', async () => {
    await loadDeployed();
    const back = await consent(await authorize('acc1'));
    assert.equal((await callback(back)).status, 200);
    const before = fs.readFileSync(tokenFile('acc1'), 'utf8');
    const requests = sim.stats.tokenRequests;
    const again = await callback(back);
    assert.equal(again.status, 400);
    assert.match(again.text, /already completed/);
    assert.match(again.text, /Nothing was changed/);
    assert.equal(sim.stats.tokenRequests, requests, 'no token request for a used state');
    assert.equal(fs.readFileSync(tokenFile('acc1'), 'utf8'), before);
    assert.equal((await status('acc1')).authorized, true);
  });

  it('an expired state (10 minutes) is refused and changes nothing', async () => {
    await loadDeployed();
    const back = await consent(await authorize('acc1'));
    const started = Date.now();
    authorizeStates.clock = () => started + 10 * 60_000 + 1;
    const res = await callback(back);
    assert.equal(res.status, 400);
    assert.match(res.text, /expired/);
    assert.equal(sim.stats.tokenRequests, 0);
    assert.equal(fs.existsSync(tokenFile('acc1')), false);
    assert.equal((await status('acc1')).authorized, false);
    // Reported as expired again, not as a success.
    assert.match((await callback(back)).text, /expired/);
  });

  it('a state just inside its 10 minutes is still accepted', async () => {
    await loadDeployed();
    const back = await consent(await authorize('acc1'));
    const started = Date.now();
    authorizeStates.clock = () => started + 9 * 60_000;
    assert.equal((await callback(back)).status, 200);
  });

  it('unknown, missing or malformed states are refused with a readable page; echoed text is escaped', async () => {
    await loadDeployed();
    const unknown = await get(`/netatmo-tokens/callback/?state=${'A'.repeat(43)}&code=abcdef0123456789`);
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /unknown state/);
    const none = await get('/netatmo-tokens/callback/?code=abcdef0123456789');
    assert.equal(none.status, 400);
    assert.match(none.text, /no state/);
    const evil = await get('/netatmo-tokens/callback/?state=%3Cscript%3Ealert(1)%3C%2Fscript%3E&code=x');
    assert.equal(evil.status, 400);
    assert.ok(!evil.text.includes('<script>'));
    assert.equal(sim.stats.tokenRequests, 0);

    // Netatmo's own error text is shown escaped.
    const url = await authorize('acc1');
    const state = url.searchParams.get('state');
    const err = await get(
      `/netatmo-tokens/callback/?state=${state}&error=server_error&error_description=${encodeURIComponent('<img src=x onerror=alert(1)>')}`,
    );
    assert.equal(err.status, 400);
    assert.match(err.text, /server_error: &lt;img src=x onerror=alert\(1\)&gt;/);
    assert.ok(!err.text.includes('<img'));
    assert.equal(fs.existsSync(tokenFile('acc1')), false);
  });

  it('error=access_denied (the user clicked Refuse) gives a readable page and stores nothing', async () => {
    await loadDeployed();
    const back = await consent(await authorize('acc1'), 'refuse');
    assert.equal(back.searchParams.get('error'), 'access_denied');
    const res = await callback(back);
    assert.equal(res.status, 400);
    assert.match(res.headers['content-type'], /^text\/html/);
    assert.match(res.text, /Access was refused on the Netatmo page \(access_denied\)/);
    assert.match(res.text, /click Authorize again/);
    assert.equal(sim.stats.tokenRequests, 0);
    assert.equal(fs.existsSync(tokenFile('acc1')), false);
    assert.equal((await status('acc1')).authorized, false);
    assert.equal(authorizeStates.size, 0, 'the login is over');
  });

  it('a failed code exchange (redirect URI not registered) explains what to fix', async () => {
    await loadDeployed();
    const url = await authorize('acc1');
    // The browser came back, but the code is dead (used, expired, or for another redirect URI).
    const res = await get(`/netatmo-tokens/callback/?state=${url.searchParams.get('state')}&code=deadbeefdeadbeefdeadbeefdeadbeef`);
    assert.equal(res.status, 400);
    assert.match(res.text, /invalid_grant/);
    assert.match(res.text, /exactly http:\/\/localhost\/ \(including the final &quot;\/&quot;\)/);
    assert.equal(fs.existsSync(tokenFile('acc1')), false);
  });

  // ------------------------------------------------------------ paste path

  it('a pasted address whose state belongs to another account is refused; the right account can still use it', async () => {
    await loadDeployed();
    const back = await consent(await authorize('acc1'));
    const wrong = await post('/netatmo-tokens/acc2/code', typed({ text: back.href }));
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.error.message, /another Netatmo account/);
    assert.equal(fs.existsSync(tokenFile('acc2')), false);
    assert.equal(sim.stats.tokenRequests, 0);

    const right = await post('/netatmo-tokens/acc1/code', { text: back.href });
    assert.equal(right.status, 200, right.text);
    assert.equal(right.body.kind, 'url');
    assert.equal(right.body.authorized, true);
    assert.equal(right.body.deployed, true);
    assert.equal((await status('acc1')).authorized, true);
    // And it was single use there too.
    const again = await post('/netatmo-tokens/acc1/code', { text: back.href });
    assert.equal(again.status, 400);
    assert.match(again.body.error.message, /already completed/);
    assertNoSecrets(answers);
  });

  it('paste works before the first deploy with the dialog fields: a code, then a refresh token', async () => {
    await loadEmpty();
    const code = sim.issueCode({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI, scope: SCOPE });
    const res = await post('/netatmo-tokens/newacc/code', typed({ text: ` ${code} ` }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.kind, 'code');
    assert.equal(res.body.deployed, false);
    assert.equal(res.body.authorized, true);
    assert.deepEqual((await status('newacc')).scope, ['read_station', 'read_thermostat']);

    // A refresh token from dev.netatmo.com's token generator: it rotates at once.
    const generated = sim.issueTokens({ clientId: CLIENT_ID, scope: 'read_station' });
    const rt = await post('/netatmo-tokens/newacc/code', typed({ text: generated.refresh_token }));
    assert.equal(rt.status, 200, rt.text);
    assert.equal(rt.body.kind, 'refresh_token');
    assert.equal(sim.isValidRefreshToken(generated.refresh_token), false, 'the pasted token was used once');
    const stored = storedTokens('newacc');
    assert.ok(sim.isValidRefreshToken(stored.refresh_token));
    assert.deepEqual((await status('newacc')).scope, ['read_station']);

    const bad = await post('/netatmo-tokens/newacc/code', typed({ text: 'http://localhost/?error=access_denied&state=x' }));
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /access_denied/);
    const nothing = await post('/netatmo-tokens/newacc/code', typed({ text: '   ' }));
    assert.equal(nothing.status, 400);
    assertNoSecrets(answers);
  });

  // ------------------------------------------------------------ before the first deploy, and deletion

  it('authorizes an account before its first deploy; the account uses those tokens once deployed', async () => {
    await loadEmpty();
    const url = await authorize('newacc', typed({ scope: 'read_station' }));
    assert.equal(url.searchParams.get('client_id'), CLIENT_ID);
    const res = await callback(await consent(url));
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /Deploy the flow/);
    const st = await status('newacc');
    assert.equal(st.deployed, false);
    assert.equal(st.authorized, true);
    const before = storedTokens('newacc');

    // Deploy: the editor sends the account with its credentials.
    const requests = sim.stats.tokenRequests;
    await helper.setFlows([
      account({ id: 'newacc', scope: 'read_station', credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } }),
      tokenUser('newacc'),
      sink,
    ]);
    await until(
      async () => (await status('newacc')).deployed && (await status('newacc')).authorized,
      'the deployed account to be authorized',
    );
    const msg = await tokenMessage();
    assert.equal(msg.access_token, before.access_token);
    assert.equal(sim.stats.tokenRequests, requests, 'no refresh: the stored token is used');
    assertNoSecrets(answers);
  });

  it('deleting an account and deploying removes its token file; editing it keeps the file', async () => {
    await loadDeployed();
    assert.equal((await callback(await consent(await authorize('acc1')))).status, 200);
    assert.ok(fs.existsSync(tokenFile('acc1')));

    // An edit (new name) restarts the account: the login stays.
    await helper.setFlows([account({ name: 'renamed', credentials: creds.acc1 }), tokenUser(), sink]);
    await until(async () => (await status('acc1')).authorized, 'the edited account to be authorized');
    assert.ok(fs.existsSync(tokenFile('acc1')));

    await helper.setFlows([sink]);
    await until(() => !fs.existsSync(tokenFile('acc1')), 'the token file to be removed');
    const st = await status('acc1');
    assert.equal(st.deployed, false);
    assert.equal(st.authorized, false);
  });

  it('scopes lists the 26 scopes in groups with the camera hint', async () => {
    await loadEmpty();
    const res = await get('/netatmo-tokens/scopes');
    assert.equal(res.status, 200);
    const body = res.body;
    assert.equal(body.default, 'read_station');
    const all = body.groups.flatMap((g) => g.scopes);
    assert.equal(all.length, 26);
    assert.equal(new Set(all).size, 26);
    assert.match(body.groups.find((g) => g.scopes.includes('access_camera')).hint, /approve/);
  });
});

describe('admin routes with adminAuth (a real Node-RED process)', function () {
  this.timeout(40000);
  let sim;
  let red;
  let admin;

  before(async () => {
    sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET } });
    red = await startNodeRed({
      settings: {
        netatmoTokens: { apiBase: sim.url },
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'admin', password: hashPassword('admin-password'), permissions: '*' },
            { username: 'viewer', password: hashPassword('viewer-password'), permissions: 'read' },
          ],
        },
      },
    });
    admin = await adminToken(red, 'admin', 'admin-password');
  });
  after(async () => {
    if (red) await red.stop();
    if (sim) await sim.close();
  });

  /** The browser's cookie: authorize binds the login to it, the callback wants it back. */
  let cookie;
  const call = async (method, route, { token, body } = {}) => {
    const res = await fetch(`${red.adminUrl}netatmo-tokens/${route}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'Content-Type': 'application/json' } : {}),
        ...(cookie ? { Cookie: cookie } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('netatmo_tokens_browser='));
    if (set) cookie = set.split(';')[0];
    return res;
  };
  const body = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: SCOPE, redirectUri: REDIRECT_URI };

  it('authorize, code, status and scopes need an admin token; the callback does not', async () => {
    assert.equal((await call('POST', 'acc9/authorize', { body })).status, 401);
    assert.equal((await call('POST', 'acc9/code', { body: { ...body, code: 'abcdef0123456789' } })).status, 401);
    assert.equal((await call('GET', 'acc9/status')).status, 401);
    assert.equal((await call('GET', 'scopes')).status, 401);
    const cb = await call('GET', 'callback/?state=nope-nope-nope-nope&code=abcdef0123456789');
    assert.equal(cb.status, 400, 'the callback answers without a token (and refuses the unknown state)');
    assert.match(await cb.text(), /unknown state/);

    // Read permission is not enough to start a login.
    const viewer = await adminToken(red, 'viewer', 'viewer-password', 'read');
    assert.equal((await call('GET', 'acc9/status', { token: viewer })).status, 200);
    assert.ok([401, 403].includes((await call('POST', 'acc9/authorize', { token: viewer, body })).status));
    assert.ok(
      [401, 403].includes((await call('POST', 'acc9/code', { token: viewer, body: { ...body, code: 'abcdef0123456789' } })).status),
    );
  });

  it('with a token the whole login works, the callback finishes it, and no secret reaches the log', async () => {
    const res = await call('POST', 'acc9/authorize', { token: admin, body });
    assert.equal(res.status, 200);
    const url = new URL((await res.json()).url);
    const html = await (await fetch(url)).text();
    const accept = /<a id="accept" href="([^"]+)"/.exec(html)[1].replace(/&amp;/g, '&');
    const back = new URL((await fetch(sim.url + accept, { redirect: 'manual' })).headers.get('location'));
    const cb = await call('GET', `callback/${back.search}`);
    assert.equal(cb.status, 200);
    const page = await cb.text();
    assert.match(page, /Authorized for scopes read_station read_thermostat/);
    const st = await (await call('GET', 'acc9/status', { token: admin })).json();
    assert.equal(st.authorized, true);
    assert.equal(st.deployed, false);
    // The token file is encrypted with the credential secret.
    const file = fs.readFileSync(path.join(red.userDir, 'netatmo-tokens', 'acc9.json'), 'utf8');
    assert.equal(JSON.parse(file).encrypted, 'aes-256-gcm');
    const secrets = [...sim.issuedSecrets(), CLIENT_SECRET];
    for (const s of secrets) {
      assert.ok(!page.includes(s), 'secret in the callback page');
      assert.ok(!file.includes(s), 'secret in clear in the token file');
      assert.ok(!red.output().includes(s), `secret in the Node-RED log: ${s.slice(0, 4)}…`);
    }
  });
});
