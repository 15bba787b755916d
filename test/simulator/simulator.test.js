'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startSimulator, FAULT_KINDS } = require('./simulator');

const CLIENT_ID = 'client-id';
const CLIENT_SECRET = 'client-secret';
const REDIRECT_URI = 'http://localhost:1880/netatmo/callback';
const TOKEN_RE = /^[0-9a-f]{24}\|[0-9a-f]{32}$/;

describe('Netatmo simulator', function () {
  this.timeout(5000);
  let sim;
  let clock;

  beforeEach(async () => {
    clock = Date.now();
    sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET }, now: () => clock });
  });
  afterEach(() => sim.close());

  // ------------------------------------------------------------ helpers

  const postToken = (fields, { query, headers, signal } = {}) =>
    fetch(`${sim.url}/oauth2/token${query ? `?${new URLSearchParams(query)}` : ''}`, {
      method: 'POST',
      signal,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const exchange = (code, extra = {}) =>
    postToken({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      code,
      redirect_uri: REDIRECT_URI,
      ...extra,
    });
  const refresh = (refreshToken, extra = {}) =>
    postToken({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      ...extra,
    });
  const callApi = (token, apiPath = '/api/homesdata') => fetch(`${sim.url}${apiPath}`, { headers: { Authorization: `Bearer ${token}` } });
  const newCode = (scope = 'read_station read_thermostat') => sim.issueCode({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI, scope });
  const login = () => sim.issueTokens({ clientId: CLIENT_ID, scope: 'read_station' });
  const authorizeUrl = (params) =>
    `${sim.url}/oauth2/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'read_station read_thermostat',
      state: 'st4te',
      ...params,
    })}`;
  const hrefOf = (pageHtml, id) => {
    const match = new RegExp(`<a id="${id}" href="([^"]+)"`).exec(pageHtml);
    assert.ok(match, `link #${id} not found`);
    return match[1].replace(/&amp;/g, '&');
  };
  async function assertOAuthError(response, error, description) {
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.equal(body.error, error);
    if (description) assert.equal(body.error_description, description);
  }

  // ------------------------------------------------------------ basics

  it('listens on 127.0.0.1 with an OS-chosen port', () => {
    assert.ok(sim.port > 0);
    assert.equal(sim.url, `http://127.0.0.1:${sim.port}`);
  });

  describe('authorize page', () => {
    it('shows the app and scopes, and only creates a code on Accept', async () => {
      const response = await fetch(authorizeUrl());
      assert.equal(response.status, 200);
      const page = await response.text();
      assert.match(page, /client-id/);
      assert.match(page, /read_thermostat/);
      assert.match(page, /<a id="accept" [^>]*>Accept<\/a>/);
      assert.match(page, /<a id="refuse" [^>]*>Refuse<\/a>/);
      const secretsBefore = sim.issuedSecrets().length;

      const accepted = await fetch(sim.url + hrefOf(page, 'accept'), { redirect: 'manual' });
      assert.equal(accepted.status, 302);
      const location = new URL(accepted.headers.get('location'));
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
      assert.equal(location.searchParams.get('state'), 'st4te');
      const code = location.searchParams.get('code');
      assert.match(code, /^[0-9a-f]{32}$/);
      assert.equal(sim.issuedSecrets().length, secretsBefore + 1);

      const tokens = await (await exchange(code)).json();
      assert.deepEqual(tokens.scope, ['read_station', 'read_thermostat']);
      assert.equal(sim.stats.authorizePages, 1);
    });

    it('refuse redirects with error=access_denied, appending to an existing query', async () => {
      const redirectUri = 'http://localhost:1880/cb?node=abc';
      const page = await (await fetch(authorizeUrl({ redirect_uri: redirectUri }))).text();
      const refused = await fetch(sim.url + hrefOf(page, 'refuse'), { redirect: 'manual' });
      assert.equal(refused.status, 302);
      assert.equal(refused.headers.get('location'), `${redirectUri}&state=st4te&error=access_denied`);
    });

    it('rejects an unknown client and a missing redirect_uri with 400', async () => {
      const unknown = await fetch(authorizeUrl({ client_id: 'nope' }));
      assert.equal(unknown.status, 400);
      assert.match(await unknown.text(), /invalid_client/);
      const noRedirect = await fetch(`${sim.url}/oauth2/authorize?client_id=${CLIENT_ID}&scope=read_station`);
      assert.equal(noRedirect.status, 400);
    });
  });

  // ------------------------------------------------------------ token endpoint

  describe('authorization_code grant', () => {
    it('exchanges a code for tokens with both expiry fields and a scope array', async () => {
      const response = await exchange(newCode());
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^application\/json/);
      const body = await response.json();
      assert.match(body.access_token, TOKEN_RE);
      assert.match(body.refresh_token, TOKEN_RE);
      assert.notEqual(body.access_token, body.refresh_token);
      assert.deepEqual(body.scope, ['read_station', 'read_thermostat']);
      assert.equal(body.expires_in, 10800);
      assert.equal(body.expire_in, 10800);
      assert.ok(sim.isValidRefreshToken(body.refresh_token));
    });

    it('defaults the scope to read_station and splits on commas', async () => {
      assert.deepEqual((await (await exchange(newCode(''))).json()).scope, ['read_station']);
      assert.deepEqual((await (await exchange(newCode('read_station,read_homecoach'))).json()).scope, ['read_station', 'read_homecoach']);
    });

    it('a code is single use', async () => {
      const code = newCode();
      assert.equal((await exchange(code)).status, 200);
      await assertOAuthError(await exchange(code), 'invalid_grant');
    });

    it('a redirect_uri mismatch fails and still consumes the code', async () => {
      const code = newCode();
      await assertOAuthError(await exchange(code, { redirect_uri: 'http://localhost:1880/other' }), 'invalid_grant');
      await assertOAuthError(await exchange(code), 'invalid_grant');
    });

    it('codes expire after codeTtlSeconds', async () => {
      const code = newCode();
      clock += 601 * 1000;
      await assertOAuthError(await exchange(code), 'invalid_grant');
    });

    it('a wrong secret or client gives invalid_client', async () => {
      await assertOAuthError(await exchange(newCode(), { client_secret: 'wrong' }), 'invalid_client');
      await assertOAuthError(await exchange(newCode(), { client_id: 'other' }), 'invalid_client');
    });
  });

  describe('request format', () => {
    const refused = 'Invalid or Missing grant-type parameter';

    it('refuses parameters sent in the query string', async () => {
      const code = newCode();
      const response = await postToken(
        {},
        {
          query: {
            grant_type: 'authorization_code',
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            code,
            redirect_uri: REDIRECT_URI,
          },
        },
      );
      await assertOAuthError(response, 'invalid_request', refused);
    });

    it('refuses a JSON body and a missing or unknown grant_type', async () => {
      const jsonResponse = await fetch(`${sim.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: login().refresh_token }),
      });
      await assertOAuthError(jsonResponse, 'invalid_request', refused);
      await assertOAuthError(await postToken({ client_id: CLIENT_ID }), 'invalid_request', refused);
      await assertOAuthError(await postToken({ grant_type: 'password' }), 'invalid_request', refused);
    });

    it('accepts a charset after the form content type', async () => {
      const response = await postToken(
        {
          grant_type: 'refresh_token',
          refresh_token: login().refresh_token,
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
        },
        { headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' } },
      );
      assert.equal(response.status, 200);
    });
  });

  describe('refresh_token grant', () => {
    it('rotates both tokens and kills the old refresh token at once', async () => {
      const first = login();
      const response = await refresh(first.refresh_token);
      assert.equal(response.status, 200);
      const second = await response.json();
      assert.notEqual(second.refresh_token, first.refresh_token);
      assert.notEqual(second.access_token, first.access_token);
      assert.equal(second.expires_in, 10800);
      assert.equal(second.expire_in, 10800);
      assert.deepEqual(second.scope, ['read_station']);
      assert.equal(sim.isValidRefreshToken(first.refresh_token), false);
      assert.deepEqual(sim.currentRefreshTokens(), [second.refresh_token]);
      await assertOAuthError(await refresh(first.refresh_token), 'invalid_grant');
      // the old access token stays valid until its own expiry
      assert.equal((await callApi(first.access_token)).status, 200);
    });

    it('tracks one current refresh token per grant', async () => {
      const a = login();
      const b = login();
      const b2 = await (await refresh(b.refresh_token)).json();
      assert.deepEqual(sim.currentRefreshTokens().sort(), [a.refresh_token, b2.refresh_token].sort());
    });

    it('refuses unknown tokens, other clients and wrong secrets', async () => {
      sim.addClient('other-id', 'other-secret');
      const tokens = login();
      await assertOAuthError(await refresh('0|0'), 'invalid_grant');
      await assertOAuthError(
        await refresh(tokens.refresh_token, { client_id: 'other-id', client_secret: 'other-secret' }),
        'invalid_grant',
      );
      await assertOAuthError(await refresh(tokens.refresh_token, { client_secret: 'bad' }), 'invalid_client');
      assert.ok(sim.isValidRefreshToken(tokens.refresh_token));
    });

    it('setTtl changes the lifetime of new tokens', async () => {
      sim.setTtl(60);
      const body = await (await refresh(login().refresh_token)).json();
      assert.equal(body.expires_in, 60);
      assert.equal(body.expire_in, 60);
    });
  });

  // ------------------------------------------------------------ API

  describe('API', () => {
    it('answers 200 for a valid token (header, query or form)', async () => {
      const { access_token: token } = login();
      const response = await callApi(token, '/api/getstationsdata');
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(body.status, 'ok');
      assert.deepEqual(body.body, { homes: [] });
      assert.equal(body.time_server, Math.floor(clock / 1000));
      assert.equal((await fetch(`${sim.url}/api/homestatus?access_token=${encodeURIComponent(token)}`)).status, 200);
      const form = await fetch(`${sim.url}/api/homesdata`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ access_token: token }).toString(),
      });
      assert.equal(form.status, 200);
      assert.equal(sim.stats.apiRequests, 3);
    });

    it('answers 403 code 2 for an unknown token and code 3 once expired', async () => {
      const unknown = await callApi('deadbeef|cafe');
      assert.equal(unknown.status, 403);
      assert.deepEqual(await unknown.json(), { error: { code: 2, message: 'Invalid access token' } });

      const { access_token: token } = login();
      clock += 10799 * 1000;
      assert.equal((await callApi(token)).status, 200);
      clock += 1000;
      const expired = await callApi(token);
      assert.equal(expired.status, 403);
      assert.deepEqual(await expired.json(), { error: { code: 3, message: 'Access token expired' } });
    });
  });

  // ------------------------------------------------------------ faults

  describe('faults', () => {
    for (const [kind, status] of [
      ['http500', 500],
      ['http503', 503],
      ['http504', 504],
    ]) {
      it(`${kind} answers ${status} without rotating`, async () => {
        const tokens = login();
        sim.injectFault(kind);
        assert.equal((await refresh(tokens.refresh_token)).status, status);
        assert.ok(sim.isValidRefreshToken(tokens.refresh_token));
        assert.equal((await refresh(tokens.refresh_token)).status, 200);
        assert.equal(sim.stats.faultsServed, 1);
      });
    }

    it('http429 answers code 26 with Retry-After', async () => {
      sim.injectFault('http429', { retryAfter: 7 });
      const response = await refresh(login().refresh_token);
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), '7');
      assert.deepEqual(await response.json(), { error: { code: 26, message: 'User usage reached' } });
    });

    it('invalid_grant / invalid_client answer 400 without consuming the code', async () => {
      const code = newCode();
      sim.injectFault('invalid_grant');
      sim.injectFault('invalid_client');
      await assertOAuthError(await exchange(code), 'invalid_grant');
      await assertOAuthError(await exchange(code), 'invalid_client');
      assert.equal((await exchange(code)).status, 200);
    });

    it('notjson answers an HTML 200 without rotating', async () => {
      const tokens = login();
      sim.injectFault('notjson');
      const response = await refresh(tokens.refresh_token);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^text\/html/);
      assert.equal(await response.text(), '<html>oops</html>');
      assert.ok(sim.isValidRefreshToken(tokens.refresh_token));
    });

    it('reset destroys the socket without rotating', async () => {
      const tokens = login();
      sim.injectFault('reset');
      await assert.rejects(refresh(tokens.refresh_token));
      assert.ok(sim.isValidRefreshToken(tokens.refresh_token));
    });

    it('hang never answers and does not rotate', async () => {
      const tokens = login();
      sim.injectFault('hang');
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 300);
      const hung = postToken(
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
        { signal: controller.signal },
      );
      await assert.rejects(hung, { name: 'AbortError' });
      clearTimeout(timer);
      assert.ok(sim.isValidRefreshToken(tokens.refresh_token));
      assert.equal(sim.stats.faultsServed, 1);
    });

    it('truncated rotates, then sends half a JSON answer', async () => {
      const tokens = login();
      sim.injectFault('truncated');
      const response = await refresh(tokens.refresh_token);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), /^application\/json/);
      const text = await response.text();
      assert.throws(() => JSON.parse(text));
      assert.match(text, /^\{"access_token":/);
      assert.equal(sim.isValidRefreshToken(tokens.refresh_token), false);
      assert.equal(sim.currentRefreshTokens().length, 1);
    });

    it('lost rotates, then destroys the socket', async () => {
      const tokens = login();
      sim.injectFault('lost');
      await assert.rejects(refresh(tokens.refresh_token));
      assert.equal(sim.isValidRefreshToken(tokens.refresh_token), false);
      const [current] = sim.currentRefreshTokens();
      assert.equal((await refresh(current)).status, 200);
    });

    it('honours count, path prefix and clearFaults', async () => {
      const tokens = login();
      sim.injectFault('http503', { count: 2, path: '/api/' });
      assert.equal((await callApi(tokens.access_token)).status, 503);
      assert.equal((await refresh(tokens.refresh_token)).status, 200); // token path unaffected
      assert.equal((await callApi(tokens.access_token, '/api/homestatus')).status, 503);
      assert.equal((await callApi(tokens.access_token)).status, 200);
      sim.injectFault('http500', { count: 5 });
      sim.clearFaults();
      assert.equal((await postToken({})).status, 400);
      assert.throws(() => sim.injectFault('nonsense'), /unknown fault kind/);
      assert.ok(FAULT_KINDS.includes('lost'));
    });
  });

  // ------------------------------------------------------------ bookkeeping

  it('counts requests, records the last token request, resets stats', async () => {
    const tokens = await (await exchange(newCode())).json();
    await refresh(tokens.refresh_token);
    await refresh(tokens.refresh_token); // fails: rotated
    await postToken({});
    await callApi(tokens.access_token);
    assert.deepEqual(
      { ...sim.stats },
      {
        tokenRequests: 4,
        authCodeRequests: 1,
        refreshRequests: 2,
        apiRequests: 1,
        authorizePages: 0,
        faultsServed: 0,
      },
    );
    assert.deepEqual(
      sim.tokenRequestLog.map((e) => e.grant_type),
      ['authorization_code', 'refresh_token', 'refresh_token', undefined],
    );
    assert.equal(sim.tokenRequestLog[0].at, clock);
    assert.deepEqual(sim.lastTokenRequest, {});
    await refresh(tokens.refresh_token);
    assert.equal(sim.lastTokenRequest.refresh_token, tokens.refresh_token);
    const stats = sim.stats;
    sim.resetStats();
    assert.equal(stats, sim.stats);
    assert.equal(stats.tokenRequests, 0);
    assert.deepEqual(sim.tokenRequestLog, []);
  });

  it('issuedSecrets lists codes, tokens and client secrets', async () => {
    const code = newCode();
    const tokens = await (await exchange(code)).json();
    const secrets = sim.issuedSecrets();
    for (const s of [code, tokens.access_token, tokens.refresh_token, CLIENT_SECRET]) assert.ok(secrets.includes(s), s);
  });

  it('delayMs delays token answers; concurrent refreshes: one wins', async () => {
    const tokens = login();
    sim.delayMs = 150;
    const started = Date.now();
    const answers = await Promise.all([refresh(tokens.refresh_token), refresh(tokens.refresh_token)]);
    assert.ok(Date.now() - started >= 140);
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 400]);
  });

  it('acceptAnyClient registers any client with a non-empty secret', async () => {
    const any = await startSimulator({ acceptAnyClient: true });
    try {
      const page = await fetch(`${any.url}/oauth2/authorize?client_id=whatever&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`);
      assert.equal(page.status, 200);
      const code = any.issueCode({ clientId: 'whatever', redirectUri: REDIRECT_URI });
      const body = new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'whatever',
        client_secret: 's3',
        code,
        redirect_uri: REDIRECT_URI,
      }).toString();
      const response = await fetch(`${any.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
      });
      assert.equal(response.status, 200);
      const empty = await fetch(`${any.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'x', client_secret: '', refresh_token: 'y' }).toString(),
      });
      assert.equal(empty.status, 400);
    } finally {
      await any.close();
    }
  });

  it('close() resolves even with a hung request', async () => {
    const other = await startSimulator({ clients: { a: 'b' } });
    other.injectFault('hang', { path: '/api/' });
    const pending = fetch(`${other.url}/api/homesdata`).catch((err) => err);
    while (other.stats.apiRequests === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 1000);
    assert.ok((await pending) instanceof Error);
  });

  it('runs standalone and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [path.join(__dirname, 'simulator.js'), '--client', 'cli-id:cli:secret', '--ttl', '42', '--quiet'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const url = await new Promise((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const match = /Netatmo simulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const response = await fetch(`${url}/oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: 'cli-id',
          client_secret: 'cli:secret',
          refresh_token: 'x',
        }).toString(),
      });
      await assertOAuthError(response, 'invalid_grant'); // client accepted, token unknown
    } finally {
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      child.kill('SIGTERM');
      assert.deepEqual(await exited, { code: 0, signal: null });
    }
  });
});

describe('Netatmo simulator: device API (devices: true)', function () {
  this.timeout(5000);
  const { WORLD_IDS: ID } = require('./simulator');
  let sim;
  let clock;
  beforeEach(async () => {
    clock = Date.now();
    sim = await startSimulator({
      clients: { [CLIENT_ID]: CLIENT_SECRET },
      now: () => clock,
      devices: true,
      apiLimits: [{ limit: 3, windowMs: 1000 }],
    });
  });
  afterEach(() => sim.close());
  const token = (scope) => sim.issueTokens({ clientId: CLIENT_ID, scope }).access_token;
  const get = async (t, apiPath) => {
    const res = await fetch(`${sim.url}${apiPath}`, { headers: { Authorization: `Bearer ${t}` } });
    return { status: res.status, body: await res.json() };
  };

  it('answers realistic shapes, checks scopes (13), parameters (10, 21) and ids (9)', async () => {
    const t = token('read_station read_thermostat');
    const homes = await get(t, '/api/homesdata');
    assert.equal(homes.body.body.homes[0].id, ID.home);
    assert.equal(homes.body.body.homes[0].rooms.length, 2);
    clock += 1000;
    const station = await get(t, '/api/getstationsdata');
    assert.equal(station.body.body.devices[0].modules[0].dashboard_data.Temperature, 8.4);
    assert.deepEqual((await get(t, '/api/gethomecoachsdata')).body, {
      error: { code: 13, message: 'Application does not have the good scope rights' },
    });
    clock += 1000;
    assert.equal((await get(t, '/api/homestatus')).body.error.code, 10);
    assert.equal((await get(t, `/api/homestatus?home_id=nope`)).body.error.code, 9);
    assert.equal((await get(t, `/api/getmeasure?device_id=${ID.station}&scale=2min&type=Temperature`)).body.error.code, 21);
  });

  it('revokes access tokens early (403 code 2), reports unreachable modules in body.errors, answers 429 code 26 over the limit', async () => {
    const t = token('read_thermostat');
    sim.setUnreachable(ID.valve);
    const status = await get(t, `/api/homestatus?home_id=${ID.home}`);
    assert.equal(status.status, 200);
    assert.deepEqual(status.body.body.errors, [{ code: 6, id: ID.valve }]);
    await get(t, '/api/homesdata');
    await get(t, '/api/homesdata');
    const over = await get(t, '/api/homesdata');
    assert.equal(over.status, 429);
    assert.equal(over.body.error.code, 26);
    assert.equal(sim.deviceStats.api429, 1);
    assert.equal(sim.maxApiInWindow(1000), 4);
    clock += 1001;
    assert.equal(sim.revokeAccessTokens(), 1);
    const revoked = await get(t, '/api/homesdata');
    assert.deepEqual([revoked.status, revoked.body.error.code], [403, 2]);
  });

  it("one user: every token begins with homesdata's user.id before |, and two logins count in one budget", async () => {
    const a = token('read_station');
    const b = token('read_station');
    const homes = await get(a, '/api/homesdata');
    assert.match(homes.body.body.user.id, /^[0-9a-f]{24}$/);
    assert.equal(a.split('|')[0], homes.body.body.user.id);
    assert.equal(b.split('|')[0], homes.body.body.user.id);
    await get(b, '/api/homesdata');
    await get(a, '/api/homesdata');
    const over = await get(b, '/api/homesdata');
    assert.deepEqual([over.status, over.body.error.code], [429, 26]);
  });

  it("answers Netatmo's recorded shapes given whole (answerWith), pretty-printed with CRLF where Netatmo does", async () => {
    const { SHAPES } = require('./simulator');
    const t = token('read_station');
    sim.answerWith('homesdata', SHAPES.rateLimit403());
    const res = await fetch(`${sim.url}/api/homesdata`, { headers: { Authorization: `Bearer ${t}` } });
    const text = await res.text();
    assert.equal(res.status, 403);
    assert.match(text, /\r\n/);
    assert.deepEqual(JSON.parse(text), { error: { code: 26, message: 'User usage reached' } });
    assert.equal((await get(t, '/api/homesdata')).status, 200, 'once only');
  });
});
