'use strict';
/* global window -- the waitForFunction/evaluate callbacks run in the attacker's page */
/**
 * The second security review (issue 27), attack by attack, against a real Node-RED runtime: a token
 * repeated by a server in its error, parameter names that slip past the checks.
 */
const assert = require('node:assert/strict');
const http = require('node:http');
const rt = require('../helpers/runtime');
const { helper, API_NODES } = rt;
const { NetatmoError, scrubError } = require('../../dist/core/shared/errors');
const { Redactor } = require('../../dist/core/shared/redact');
const { launchChromium, needChromium } = require('../helpers/chromium');
const { startNodeRed } = require('../helpers/nodered');
const { until } = require('../helpers/until');

/** A server on 127.0.0.1 answering every request with `reply(req)`: a hostile or broken API base. */
function rogueServer(reply) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const { status = 200, body } = reply(req);
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }));
  });
}

describe('security, second review (issue 27)', function () {
  this.timeout(30000);
  const env = rt.useRuntime({ prefix: 'netatmo-sec27-' });

  async function apiFlow(apiBase) {
    const tokens = await rt.seedTokens(env.userDir, 'acc1', env.sim);
    await helper.load(
      API_NODES,
      [
        rt.account(env.sim, { apiBase }),
        {
          id: 'api',
          z: 'f1',
          type: 'netatmo-api',
          account: 'acc1',
          endpoint: 'homesdata',
          method: 'auto',
          params: '',
          maxWait: 0,
          wires: [['out']],
        },
        { id: 'out', z: 'f1', type: 'helper' },
        { id: 'c1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'f1', type: 'helper' },
      ],
      rt.credentials(),
    );
    return tokens;
  }

  describe('X-Forwarded-Host (finding 2)', () => {
    const forged = { Origin: 'http://evil.test', Host: 'nr.lan:1880', 'X-Forwarded-Host': 'evil.test' };
    const authorize = (headers) => helper.request().post('/netatmo-tokens/acc1/authorize').set(headers).send({ clientSecret: '__PWRD__' });

    it('from a client not named in netatmoTokens.trustedProxies: not believed, the write is refused with 403', async () => {
      await helper.load(rt.NODES, [rt.account(env.sim)], rt.credentials());
      const res = await authorize(forged);
      assert.equal(res.status, 403, res.text);
      assert.equal(res.body.error.code, 'CROSS_SITE');
      assert.equal(res.headers['set-cookie'], undefined, 'no login attempt was started');
    });

    it('from a proxy named there (127.0.0.1 here): believed, so the editor behind it works', async () => {
      rt.useUserDir(env.userDir, { trustedProxies: ['::ffff:127.0.0.1', '10.0.0.1'] });
      await helper.load(rt.NODES, [rt.account(env.sim)], rt.credentials());
      const res = await authorize({ Origin: 'https://nr.example', Host: '127.0.0.1:1880', 'X-Forwarded-Host': 'nr.example' });
      assert.equal(res.status, 200, res.text);
    });

    it('readNetatmoSettings: trustedProxies as a list or a comma separated text, IPv4-mapped forms plain, junk dropped', () => {
      const { readNetatmoSettings } = require('../../dist/core/shared/settings');
      assert.deepEqual(readNetatmoSettings({ trustedProxies: [' ::FFFF:10.0.0.2 ', 7, '', 'fd00::1'] }).trustedProxies, [
        '10.0.0.2',
        'fd00::1',
      ]);
      assert.deepEqual(readNetatmoSettings({ trustedProxies: '127.0.0.1, 10.0.0.3' }).trustedProxies, ['127.0.0.1', '10.0.0.3']);
      assert.equal(readNetatmoSettings({}).trustedProxies, undefined);
    });
  });

  describe('parameter names (smaller findings)', () => {
    const { prepareCall } = require('../../dist/core/api/client');
    const refused = (params, reason) =>
      assert.throws(
        () => prepareCall('homestatus', 'auto', params),
        (e) => e instanceof NetatmoError && e.code === 'INVALID_INPUT' && e.reason === reason,
        JSON.stringify(params),
      );

    it('__proto__, constructor or prototype as a key (as JSON.parse makes them) is refused, not turned into a prototype', () => {
      refused(JSON.parse('{"__proto__": {"home_id": "h1"}}'), 'param-name');
      refused(JSON.parse('{"home_id": "h1", "constructor": {"prototype": {}}}'), 'param-name');
      refused({ home_id: 'h1', prototype: 1 }, 'param-name');
      // A required parameter only counts when it is the message's own.
      refused(Object.create({ home_id: 'h1' }), 'params-not-object');
      assert.deepEqual(prepareCall('homestatus', 'auto', { home_id: 'h1' }).params, { home_id: 'h1' });
    });

    it('access_token in any case form is refused', () => {
      for (const k of ['access_token', 'ACCESS_TOKEN', 'Access_Token', 'aCCESS_tOKEN'])
        refused({ home_id: 'h1', [k]: 'mine' }, 'access-token-param');
    });
  });

  describe('the dialog-open mark (smaller finding)', () => {
    const { authorizeStates } = require('../../dist/nodes/authorize-state.js');
    const { editorLogins } = require('../../dist/nodes/editor-logins.js');
    const tokenFile = (id) => require('node:path').join(env.userDir, 'netatmo-tokens', `${id}.json`);
    const sink = { id: 'out', z: 'f1', type: 'helper' };

    it('GET …/status?dialog=open (any page can make one) keeps no undeployed login through a deploy; a cross-site POST /dialog is refused', async () => {
      [authorizeStates, editorLogins].forEach((s) => s.clear());
      await helper.load(rt.NODES, [sink], {});
      const typed = { clientId: rt.CLIENT_ID, clientSecret: rt.CLIENT_SECRET, scope: 'read_station', redirectUri: 'http://localhost/' };
      const start = await helper
        .request()
        .post('/netatmo-tokens/newacc/authorize')
        .send({ ...typed, apiBase: env.sim.url })
        .expect(200);
      const cookie = start.headers['set-cookie'].find((c) => c.startsWith('netatmo_tokens_browser=')).split(';')[0];
      const html = await (await fetch(start.body.url)).text();
      const accept = /<a id="accept" href="([^"]+)"/.exec(html)[1].replace(/&amp;/g, '&');
      const back = new URL((await fetch(env.sim.url + accept, { redirect: 'manual' })).headers.get('location'));
      await helper.request().get(`/netatmo-tokens/callback/${back.search}`).set('Cookie', cookie).expect(200);
      assert.ok(require('node:fs').existsSync(tokenFile('newacc')));
      // The dialog was cancelled. Another page now makes the browser GET the status, then POST the mark.
      await helper.request().get('/netatmo-tokens/newacc/status?dialog=open').expect(200);
      const forged = await helper
        .request()
        .post('/netatmo-tokens/newacc/dialog')
        .set({ 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.test' })
        .send({ open: true });
      assert.equal(forged.status, 403);
      await helper.setFlows([sink], 'full', {});
      await until(() => !require('node:fs').existsSync(tokenFile('newacc')), 'the cancelled login to be removed at the deploy');
    });
  });

  describe('answers in flight (smaller finding)', () => {
    it('20 answers of 15 MB at once: the bytes being read together stay under the bound, the rest fail BAD_RESPONSE, nothing is left counted', async () => {
      const { ApiClient, prepareCall, answerBytesInFlight, MAX_IN_FLIGHT_BYTES } = require('../../dist/core/api/client');
      const big = Buffer.alloc(15 * 1024 * 1024, 'a');
      const rogue = await rogueServer(() => ({ body: big }));
      try {
        const client = new ApiClient({ apiBase: rogue.url, timeoutMs: 20000 });
        const call = prepareCall('homesdata', 'auto');
        let peak = 0;
        const sampler = setInterval(() => (peak = Math.max(peak, answerBytesInFlight())), 1);
        const rss0 = process.memoryUsage().rss;
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => client.send(call, 'token-abcdef')));
        clearInterval(sampler);
        const rss1 = process.memoryUsage().rss;
        const failed = outcomes.filter((o) => o.status === 'rejected');
        const read = outcomes.filter((o) => o.status === 'fulfilled');
        for (const f of failed) assert.equal(`${f.reason.code} ${f.reason.reason}`, 'BAD_RESPONSE api-in-flight');
        // How many are read depends on how fast the first ones finish (a loaded machine reads more one after
        // another); the bound is what the peak shows. Some must be refused: 20 x 15 MB at once cannot all fit.
        assert.ok(failed.length >= 1, `${failed.length} refused`);
        assert.ok(read.length >= 1, 'some are read');
        assert.ok(peak <= MAX_IN_FLIGHT_BYTES + 1024 * 1024, `peak ${peak}`);
        assert.equal(answerBytesInFlight(), 0);
        console.log(
          `      ${read.length} read, ${failed.length} refused; peak in flight ${(peak / 1048576).toFixed(1)} MB; rss +${((rss1 - rss0) / 1048576).toFixed(0)} MB`,
        );
      } finally {
        rogue.close();
      }
    });
  });

  describe('a token repeated by the API in its error (finding 3)', () => {
    it('msg.error (message, cause, stack) and msg.netatmo.error hold neither the token, URL-encoded, nor either half', async () => {
      const rogue = await rogueServer((req) => {
        const token = String(req.headers.authorization).replace(/^Bearer /, '');
        const [left, right] = token.split('|');
        const message = `bad argument for ${encodeURIComponent(token)}; left ${left}; right ${right}`;
        return { status: 400, body: JSON.stringify({ error: { code: 21, message } }) };
      });
      try {
        const tokens = await apiFlow(rogue.url);
        const caught = new Promise((resolve) => helper.getNode('caught').on('input', resolve));
        helper.getNode('api').receive({});
        const msg = await caught;
        assert.equal(msg.error.code, 'API_ERROR');
        assert.equal(msg.error.cause.code, 21);
        assert.match(msg.error.cause.message, /^bad argument for /);
        const token = tokens.access_token;
        const [left, right] = token.split('|');
        const shown = JSON.stringify({ error: msg.error, netatmo: msg.netatmo, stack: msg.error.stack });
        for (const secret of [token, encodeURIComponent(token), left, right, right.slice(4, 20)])
          assert.ok(!shown.includes(secret), `${secret} leaks: ${shown}`);
      } finally {
        rogue.close();
      }
    });

    it('scrubError: every text of the error, at any depth of its cause, and a new stack', () => {
      const r = new Redactor();
      r.add('0123456789abcdef0123|secretsecretsecret');
      const e = new NetatmoError('API_ERROR', 'x 0123456789abcdef0123|secretsecretsecret', {
        apiError: { code: 1, message: 'm secretsecretsecret', deeper: [{ text: '0123456789abcdef0123%7Csecretsecretsecret' }] },
        params: { message: 'p 0123456789abcdef', n: 3 },
        oauthError: 'o secretsecretsecret',
      });
      const s = scrubError(e, (t) => r.scrub(t));
      const all = JSON.stringify({ m: s.message, c: s.cause, p: s.params, o: s.oauthError, st: s.stack });
      assert.ok(!/secretsecret|456789abcdef/.test(all), all);
      assert.equal(s.params.n, 3);
      assert.equal(s.cause.code, 1);
    });
  });

  describe('in a real Chromium: a page on http://evil.test against Node-RED on http://nr.lan (both 127.0.0.1)', function () {
    this.timeout(60000);
    let browser;
    let red;
    let attackerSite;
    before(async function () {
      needChromium(this);
      browser = await launchChromium({ args: ['--host-resolver-rules=MAP evil.test 127.0.0.1, MAP nr.lan 127.0.0.1'] });
    });
    after(async () => {
      if (browser) await browser.close();
    });
    afterEach(async () => {
      attackerSite?.close();
      if (red) await red.stop();
    });

    it('a cross-origin fetch to /code and /authorize with X-Forwarded-Host: evil.test is refused (403); the login is untouched', async () => {
      const mine = await rt.seedTokens(env.userDir, 'acc1', env.sim);
      red = await startNodeRed({ userDir: env.userDir, keepUserDir: true, settings: { netatmoTokens: { apiBase: env.sim.url } } });
      const target = `http://nr.lan:${new URL(red.adminUrl).port}`;
      const attacker = env.sim.issueTokenSet({ clientId: rt.CLIENT_ID });
      attackerSite = await new Promise((resolve) => {
        const server = http.createServer((req, res) => {
          res.writeHead(200, { 'Content-Type': 'text/html' });
          res.end(page(server.address().port));
        });
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
      const page = (port) => `<!DOCTYPE html><html><body><script>
        window.results = {};
        const post = (route, body) => fetch('${target}/netatmo-tokens/acc1/' + route, { method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Forwarded-Host': 'evil.test:${port}' }, body: JSON.stringify(body) })
          .then((r) => r.text().then((t) => { window.results[route] = r.status + ' ' + t; }))
          .catch((e) => { window.results[route] = 'blocked ' + e.message; });
        post('code', { refresh_token: '${attacker.refresh_token}', clientId: '${rt.CLIENT_ID}', clientSecret: '${rt.CLIENT_SECRET}' });
        post('authorize', { clientSecret: '__PWRD__', redirectUri: 'http://localhost/' });
      </script></body></html>`;
      const tab = await browser.newPage();
      const answers = [];
      tab.on('response', (r) => r.request().method() === 'POST' && answers.push(`${r.url()} ${r.status()}`));
      await tab.goto(`http://evil.test:${attackerSite.address().port}/`);
      await tab.waitForFunction(() => window.results.code && window.results.authorize, null, { timeout: 15000 });
      const results = await tab.evaluate(() => window.results);
      // Node-RED 4 answers CORS for every origin, so the browser sends them and we refuse them; Node-RED 5
      // does not, so the browser already blocks them at the preflight.
      const refused = process.env.NODE_RED_MODULE === 'node-red-5' ? /^(403 .*CROSS_SITE|blocked )/ : /^403 .*CROSS_SITE/;
      assert.match(results.code, refused, JSON.stringify({ results, answers }));
      assert.match(results.authorize, refused, JSON.stringify({ results, answers }));
      assert.equal((await rt.readStored(env.userDir, 'acc1')).tokens.refresh_token, mine.refresh_token);
      assert.equal(env.sim.stats.tokenRequests, 0);
      await tab.close();
    });
  });
});
