'use strict';
/* global window -- the waitForFunction/evaluate callbacks run in the attacker's page */
/**
 * The attacks of the security review, each as it was made, against a real Node-RED runtime and
 * (for the cross-site ones) a real Chromium on a page of another origin: what they get now.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { helper, NODES, tmpDir, useUserDir, seedTokens, readStored, account, credentials } = require('../helpers/runtime');
const { authorizeStates } = require('../../dist/nodes/authorize-state.js');
const { TokenStore } = require('../../dist/core/token/store');
const { OAuthClient, parseTokenResponse } = require('../../dist/core/token/oauth');
const { TokenManager } = require('../../dist/core/token/manager');
const { NetatmoError } = require('../../dist/core/shared/errors');
const { checkAccountId } = require('../../dist/core/shared/validate');
const { crossSiteReason } = require('../../dist/nodes/request-guard');
const { startSimulator } = require('../simulator/simulator');
const { launchChromium, needChromium } = require('../helpers/chromium');
const { startNodeRed } = require('../helpers/nodered');

const CLIENT_ID = 'test-client-id';
const EVIL = { 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.example' };

/** A server on 127.0.0.1 answering every request with `reply(req)`; for a wrong or hostile API base. */
function rogueServer(reply) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const { status = 200, body, type = 'application/json' } = reply(req);
        res.writeHead(status, { 'Content-Type': type });
        res.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }));
  });
}

describe('security: what an attacker gets', function () {
  this.timeout(20000);
  let sim;
  let userDir;

  before(async () => {
    sim = await startSimulator({ clients: { [CLIENT_ID]: 'test-client-secret-0123456789' } });
    await new Promise((resolve) => helper.startServer(resolve)); // a real port, for the browser
  });
  after(async () => {
    await new Promise((resolve) => helper.stopServer(resolve));
    sim.close();
  });
  beforeEach(() => {
    userDir = useUserDir(tmpDir('netatmo-sec-'));
    authorizeStates.clear();
    sim.resetStats();
  });
  afterEach(async () => {
    await helper.unload();
    authorizeStates.clear();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const load = () => helper.load(NODES, [account(sim)], credentials());
  const tokenFile = () => fs.readFileSync(path.join(userDir, 'netatmo-tokens', 'acc1.json'), 'utf8');

  describe('cross-site writes (finding 1)', () => {
    it('a hidden form on another site posting a refresh token to /code: 403, the login is untouched, Netatmo not called', async () => {
      const mine = await seedTokens(userDir, 'acc1', sim);
      await load();
      const before = tokenFile();
      const attacker = sim.issueTokenSet({ clientId: CLIENT_ID });
      const res = await helper
        .request()
        .post('/netatmo-tokens/acc1/code')
        .set(EVIL)
        .type('form')
        .send({ refresh_token: attacker.refresh_token, clientId: CLIENT_ID, clientSecret: 'attacker-secret-123' });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'CROSS_SITE');
      assert.match(res.body.error.message, /not JSON/);
      assert.equal(tokenFile(), before);
      assert.equal((await readStored(userDir, 'acc1')).tokens.refresh_token, mine.refresh_token);
      assert.equal(sim.stats.tokenRequests, 0);
    });

    it('a form post is refused even when the browser calls it same-origin: only JSON writes are taken', async () => {
      await load();
      const res = await helper
        .request()
        .post('/netatmo-tokens/acc1/authorize')
        .set('Sec-Fetch-Site', 'same-origin')
        .type('form')
        .send({ redirectUri: 'http://localhost/' });
      assert.equal(res.status, 403);
      assert.equal(authorizeStates.size, 0);
    });

    it('a cross-origin JSON post to /authorize (the login-swap attack): 403 and no state is made', async () => {
      await load();
      for (const headers of [
        EVIL,
        { 'Sec-Fetch-Site': 'same-site' }, // another port of the same host is another origin
        { Origin: 'http://evil.example' }, // an older browser: Origin only
        { Origin: 'null' },
      ]) {
        const res = await helper.request().post('/netatmo-tokens/acc1/authorize').set(headers).send({ clientSecret: '__PWRD__' });
        assert.equal(res.status, 403, JSON.stringify(headers));
        assert.equal(res.body.error.code, 'CROSS_SITE');
        assert.ok(!('url' in res.body), 'no Netatmo URL, so no state, reaches the other site');
      }
      assert.equal(authorizeStates.size, 0);
      // The dialog's "closed" signal (it hastens the removal of an undeployed login) is a guarded write too.
      const closed = await helper.request().post('/netatmo-tokens/acc1/dialog').set(EVIL).send({ open: false });
      assert.equal(closed.status, 403);
    });

    it('the editor itself is let through: same-origin, a matching Origin, behind a proxy, and a script without browser headers', async () => {
      await load();
      for (const headers of [
        { 'Sec-Fetch-Site': 'same-origin' },
        { 'Sec-Fetch-Site': 'none' },
        { Origin: 'http://editor.local:1880', Host: 'editor.local:1880' },
        { Origin: 'https://ha.example:8123', Host: 'ha.example:8123', 'X-Forwarded-For': '192.168.1.20, 172.30.32.1' }, // HA ingress
        {},
      ]) {
        const res = await helper.request().post('/netatmo-tokens/acc1/authorize').set(headers).send({ clientSecret: '__PWRD__' });
        assert.equal(res.status, 200, `${JSON.stringify(headers)}: ${res.text}`);
      }
    });

    it('crossSiteReason: the rule as a table', () => {
      const json = 'application/json; charset=utf-8';
      const rows = [
        [json, {}, false],
        [json, { 'sec-fetch-site': 'same-origin' }, false],
        [json, { 'sec-fetch-site': 'none' }, false],
        [json, { 'sec-fetch-site': 'same-site' }, true],
        [json, { 'sec-fetch-site': 'cross-site' }, true],
        [json, { 'sec-fetch-site': 'cross-site', origin: 'http://a:1', host: 'a:1' }, true], // the browser's word wins
        [json, { origin: 'http://a:1', host: 'a:1' }, false],
        [json, { origin: 'http://a', host: 'a:80' }, false],
        [json, { origin: 'https://a', host: 'a:443' }, false],
        [json, { origin: 'http://b:1', host: 'a:1' }, true],
        [json, { origin: 'https://p.example', host: '127.0.0.1:1880', 'x-forwarded-host': 'p.example' }, true], // from anyone: any page sets it
        [json, { origin: 'https://p.example', host: '127.0.0.1:1880', 'x-forwarded-host': 'p.example' }, false, true], // from a trusted proxy
        [json, { origin: 'file://', host: 'a' }, true],
        ['application/x-www-form-urlencoded', {}, true],
        ['text/plain', { 'sec-fetch-site': 'same-origin' }, true],
        [undefined, {}, true],
        ['application/jsonx', {}, true],
      ];
      for (const [type, headers, refused, trusted] of rows)
        assert.equal(crossSiteReason(type, headers, trusted) !== undefined, refused, `${type} ${JSON.stringify(headers)}`);
    });

    it('the callback only finishes a login for the browser that clicked Authorize; the paste box can still finish it', async () => {
      await load();
      const start = await helper.request().post('/netatmo-tokens/acc1/authorize').send({ clientSecret: '__PWRD__' });
      assert.equal(start.status, 200);
      const cookie = start.headers['set-cookie'].find((c) => c.startsWith('netatmo_tokens_browser='));
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Lax/);
      assert.match(cookie, /; Path=\//);
      const url = new URL(start.body.url);
      // The user consents; the simulator sends the browser back with a code.
      const html = await (await fetch(url)).text();
      const accept = /<a id="accept" href="([^"]+)"/.exec(html)[1].replace(/&amp;/g, '&');
      const back = new URL((await fetch(sim.url + accept, { redirect: 'manual' })).headers.get('location'));

      // Another browser (no cookie, or another one) opening that address: refused, nothing stored.
      for (const other of [undefined, `netatmo_tokens_browser=${'A'.repeat(43)}`]) {
        const req = helper.request().get(`/netatmo-tokens/callback/${back.search}`);
        const page = await (other ? req.set('Cookie', other) : req);
        assert.equal(page.status, 403);
        assert.match(page.text, /another browser/);
        assert.equal(sim.stats.tokenRequests, 0);
      }
      assert.equal(await readStored(userDir, 'acc1'), null);
      // The state is still pending: pasted by another browser it is refused (issue 27), and left pending.
      for (const other of [undefined, `netatmo_tokens_browser=${'A'.repeat(43)}`]) {
        const req = helper.request().post('/netatmo-tokens/acc1/code');
        const refused = await (other ? req.set('Cookie', other) : req).send({ text: back.href });
        assert.equal(refused.status, 400);
        assert.match(refused.body.error.message, /another browser/);
        assert.equal(sim.stats.tokenRequests, 0);
      }
      // The dialog (same editor, same browser: its cookie) pastes the address and finishes the login.
      const pasted = await helper.request().post('/netatmo-tokens/acc1/code').set('Cookie', cookie.split(';')[0]).send({ text: back.href });
      assert.equal(pasted.status, 200, pasted.text);
      assert.equal(pasted.body.authorized, true);
    });
  });

  describe('bounded inputs (finding 2)', () => {
    it('a 4.5 MB redirect URI, API base or scope list is refused with 400 and nothing is kept', async () => {
      await load();
      const huge = 'http://localhost/' + 'a'.repeat(4.5 * 1024 * 1024);
      const rows = [
        { redirectUri: huge },
        { redirectUri: 'http://localhost/' + 'a'.repeat(2048) },
        { apiBase: sim.url + '/' + 'b'.repeat(600), clientSecret: 'typed-secret-123' },
        { scope: Array.from({ length: 65 }, (_, i) => `read_s${i}`).join(' ') },
        { clientId: 'c'.repeat(129), clientSecret: 'typed-secret-123' },
        { clientId: CLIENT_ID, clientSecret: 's'.repeat(257) },
      ];
      for (const body of rows) {
        const res = await helper
          .request()
          .post('/netatmo-tokens/acc1/authorize')
          .send({ clientSecret: '__PWRD__', ...body });
        assert.equal(res.status, 400, `${Object.keys(body)}: ${res.text.slice(0, 200)}`);
        assert.equal(res.body.error.code, 'INVALID_INPUT');
      }
      assert.equal(authorizeStates.size, 0);
      const pasted = await helper
        .request()
        .post('/netatmo-tokens/acc1/code')
        .send({ text: huge + '?code=abcdef0123456789' });
      assert.equal(pasted.status, 400);
      assert.equal(sim.stats.tokenRequests, 0);
    });

    it('an expired state is swept when another one is taken, not only when one is made', () => {
      let now = 1_000_000;
      authorizeStates.clock = () => now;
      try {
        const login = {
          accountId: 'acc1',
          clientId: 'c',
          clientSecret: 's',
          scope: 'read_station',
          redirectUri: 'http://x/',
          apiBase: 'http://y',
        };
        authorizeStates.create(login);
        const second = authorizeStates.create(login);
        assert.equal(authorizeStates.size, 2);
        now += authorizeStates.ttlMs;
        assert.equal(authorizeStates.take(second).problem, 'expired');
        assert.equal(authorizeStates.size, 0, 'the other expired login (and its secret) is gone too');
      } finally {
        authorizeStates.clock = Date.now;
      }
    });

    it('an answer larger than 64 KiB from a wrong API base is not read into memory', async () => {
      const rogue = await rogueServer(() => ({ body: JSON.stringify({ access_token: 'x'.repeat(2 * 1024 * 1024) }) }));
      try {
        const client = new OAuthClient({ clientId: CLIENT_ID, clientSecret: 'whatever-secret-1', apiBase: rogue.url });
        await assert.rejects(client.refresh('rt'), (e) => e.code === 'BAD_RESPONSE' && /larger than 64 KiB/.test(e.message));
      } finally {
        rogue.close();
      }
    });
  });

  describe('an error name echoed by the token endpoint (finding 3)', () => {
    const SECRET = 'AbCdEfGh0123456789secret'; // letters and digits: it looks like an error name

    it('parseTokenResponse repeats only the error names of RFC 6749', () => {
      const raw = (error) => ({ status: 400, headers: {}, body: JSON.stringify({ error }) });
      for (const name of [
        'invalid_request',
        'invalid_client',
        'invalid_grant',
        'unauthorized_client',
        'unsupported_grant_type',
        'invalid_scope',
        'access_denied',
      ]) {
        assert.throws(
          () => parseTokenResponse(raw(name), 0),
          (e) => e.oauthError === name,
        );
      }
      assert.throws(
        () => parseTokenResponse(raw(SECRET), 0),
        (e) => e.oauthError === 'unknown_error' && !e.message.includes(SECRET) && !JSON.stringify(e).includes(SECRET),
      );
    });

    it('a server echoing the client secret as the error: neither the admin answer nor the status holds it', async () => {
      const rogue = await rogueServer(() => ({ status: 400, body: JSON.stringify({ error: SECRET }) }));
      try {
        await helper.load(NODES, [account(sim, { apiBase: rogue.url })], { acc1: { clientId: CLIENT_ID, clientSecret: SECRET } });
        const res = await helper.request().post('/netatmo-tokens/acc1/code').send({ code: 'abcdef0123456789' });
        assert.equal(res.status, 400);
        assert.equal(res.body.error.oauthError, 'unknown_error');
        const status = await helper.request().get('/netatmo-tokens/acc1/status');
        for (const text of [res.text, status.text]) assert.ok(!text.includes(SECRET), text);
      } finally {
        rogue.close();
      }
    });
  });

  describe('errors leaving the core (finding 3, scrubbed like the log lines)', () => {
    it('an error message that would carry a token or the client secret is scrubbed in the thrown error and in the state', async () => {
      const SECRET = 'AbCdEfGh0123456789secret';
      sim.addClient('scrub-client', SECRET);
      const pasted = sim.issueTokenSet({ clientId: 'scrub-client' }).refresh_token;
      let written;
      // A store that fails with a careless message (the bug of some future store); no file system involved.
      const store = {
        file: (id) => `/nowhere/${id}.json`,
        read: async () => null,
        peek: async () => null,
        withLock: (_id, fn) => fn(),
        write: async (_id, account) => {
          written = account.tokens;
          throw new NetatmoError('STORE', `cannot write ${account.tokens.refresh_token} (was ${pasted}) for ${SECRET}`);
        },
        keepAside: async () => undefined,
        remove: async () => undefined,
      };
      const lines = [];
      const log = (m) => lines.push(m);
      const manager = new TokenManager({
        accountId: 'scrub',
        store,
        client: new OAuthClient({ clientId: 'scrub-client', clientSecret: SECRET, apiBase: sim.url }),
        autoRefresh: false,
        logger: { debug: log, info: log, warn: log, error: log },
      });
      const err = await manager.authorizeWithRefreshToken(pasted).then(
        () => assert.fail('the store failed: no login'),
        (e) => e,
      );
      assert.equal(err.code, 'STORE');
      const leaving = [err.message, JSON.stringify(err), JSON.stringify(manager.state), ...lines];
      for (const secret of [SECRET, pasted, written.refresh_token, written.access_token])
        for (const text of leaving) assert.ok(!text.includes(secret), `${secret.slice(0, 4)}… in: ${text}`);
      assert.match(err.message, /cannot write \w{4}… \(was \w{4}…\) for AbCd…/);
      await manager.stop();
    });
  });

  describe('account ids and temp files (finding 4)', () => {
    it("an id with the store's reserved parts is refused everywhere", async () => {
      for (const id of ['home.json.tmp-999999-x', 'home.json', 'a.JSON.lock', '..', '.hidden', 'a/b', 'x'.repeat(129)])
        assert.throws(() => checkAccountId(id), /account id/, id);
      for (const id of ['acc1', 'a1b2c3d4.e5f6a7', 'my_home-2', 'json']) assert.equal(checkAccountId(id), id);
      await load();
      const res = await helper.request().post('/netatmo-tokens/home.json.tmp-999999-x/code').send({ code: 'abcdef0123456789' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'INVALID_INPUT');
    });

    it('writing one account never deletes a file that is not exactly one of its own dead temp files', async () => {
      const dir = path.join(userDir, 'netatmo-tokens');
      const store = new TokenStore({ dir });
      const tokens = sim.issueTokenSet({ clientId: CLIENT_ID });
      await store.write('home', { tokens });
      const keep = ['home.json.tmp-999999-x.json', 'home.json.tmp-999999-abcd1234.json', 'home.json.tmp-999999-ABCD1234'];
      const dead = 'home.json.tmp-999999-abcd1234'; // what a killed writer leaves (pid 999999 is not running)
      for (const name of [...keep, dead]) fs.writeFileSync(path.join(dir, name), 'x');
      await store.write('home', { tokens });
      const left = fs.readdirSync(dir);
      for (const name of keep) assert.ok(left.includes(name), `${name} was deleted`);
      assert.ok(!left.includes(dead), 'the dead temp file is cleaned up');
    });
  });

  describe('in a real browser, from a page on another origin', function () {
    this.timeout(60000);
    let browser;
    let red;
    let attackerSite;

    before(async function () {
      needChromium(this);
      browser = await launchChromium();
    });
    after(async () => {
      if (browser) await browser.close();
    });
    afterEach(async () => {
      attackerSite?.close();
      if (red) await red.stop();
    });

    it('a hidden form and fetches on http://localhost against Node-RED on 127.0.0.1 change nothing', async () => {
      // A real Node-RED (no adminAuth, as most home installs) whose account acc1 holds a login.
      const mine = await seedTokens(userDir, 'acc1', sim);
      const before = tokenFile();
      red = await startNodeRed({ userDir, keepUserDir: true, settings: { netatmoTokens: { apiBase: sim.url } } });
      const target = red.adminUrl.replace(/\/$/, ''); // http://127.0.0.1:<port>
      const attacker = sim.issueTokenSet({ clientId: CLIENT_ID });
      const page = `<!DOCTYPE html><html><body>
        <form id="f" method="POST" action="${target}/netatmo-tokens/acc1/code" target="sink">
          <input name="refresh_token" value="${attacker.refresh_token}"><input name="clientId" value="${CLIENT_ID}">
          <input name="clientSecret" value="attacker-secret-123">
        </form><iframe name="sink"></iframe>
        <script>
          window.results = {};
          const post = (route, body) => fetch('${target}/netatmo-tokens/acc1/' + route, { method: 'POST',
            headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
            .then((r) => r.text().then((t) => { window.results[route] = r.status + ' ' + t; }))
            .catch((e) => { window.results[route] = 'blocked ' + e.message; });
          post('authorize', { clientSecret: '__PWRD__', redirectUri: 'http://localhost/' });
          post('code', { refresh_token: '${attacker.refresh_token}', clientId: '${CLIENT_ID}', clientSecret: 'attacker-secret-123' });
          document.getElementById('f').submit();
        </script></body></html>`;
      attackerSite = await new Promise((resolve) => {
        const server = http.createServer((req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/html' });
          res.end(page);
        });
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
      const tab = await browser.newPage();
      const formAnswer = tab.waitForResponse(
        (r) => r.url() === `${target}/netatmo-tokens/acc1/code` && r.request().postData()?.startsWith('refresh_token='),
      );
      await tab.goto(`http://localhost:${attackerSite.address().port}/`);
      const answer = await formAnswer;
      if (answer.status() !== 403) {
        const sent = await answer.request().allHeaders();
        const body = await answer.text().catch((e) => `(no body: ${e.message})`);
        assert.fail(`the hidden form is refused: ${answer.status()} ${body.slice(0, 300)}; sent ${JSON.stringify(sent)}`);
      }
      // Both fetches end (an answer, or blocked by the browser): neither got a login URL nor changed the login.
      await tab.waitForFunction(() => window.results.authorize && window.results.code, null, { timeout: 10000 });
      const results = await tab.evaluate(() => window.results);

      for (const r of Object.values(results)) assert.ok(!/oauth2\/authorize|"authorized":true/.test(r), r);
      assert.equal(tokenFile(), before);
      assert.equal((await readStored(userDir, 'acc1')).tokens.refresh_token, mine.refresh_token);
      assert.equal(sim.stats.tokenRequests, 0);
      assert.ok(!red.output().includes(attacker.refresh_token), 'the attacker token is nowhere in the log');
      await tab.close();
    });
  });
});
