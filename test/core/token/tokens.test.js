'use strict';
/**
 * Unit tests of the core (dist/core, built from src/core by `npx tsc -p .`).
 *
 * Everything is real: HTTP goes to the Netatmo simulator on 127.0.0.1, token files
 * are written to a fresh temporary folder. No sleeps: the clock of the client, the
 * manager and the simulator is the variable `now`, moved by the tests.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const { startSimulator } = require('../../simulator/simulator');
const { NetatmoError, asNetatmoError } = require('../../../dist/core/shared/errors');
const { OAuthClient, parseTokenResponse } = require('../../../dist/core/token/oauth');
const { TokenStore } = require('../../../dist/core/token/store');
const { checkCode, checkAccountId } = require('../../../dist/core/shared/validate');
const { parsePastedRedirect } = require('../../../dist/core/token/paste');
const { redact, Redactor } = require('../../../dist/core/shared/redact');
const { ALL_SCOPES, parseScope } = require('../../../dist/core/token/scopes');
const { useCoreEnv, tick, rejectsWith, CLIENT_ID, CLIENT_SECRET, ACCOUNT, TTL, T0, MIN } = require('../../helpers/core-env');

const REDIRECT_URI = 'http://localhost:1880/netatmo/callback';

// ------------------------------------------------------------------ helpers

function throwsWith(fn, code) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof NetatmoError, `expected a NetatmoError with ${code}`);
  assert.equal(err.code, code);
  return err;
}

const raw = (status, body, headers = {}) => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** A fresh simulator, clock, temp folder for each test of the block (refreshes under way not awaited). */
const useEnv = () => useCoreEnv({ stopWaitMs: null });

// ------------------------------------------------------------------ OAuthClient

describe('core: OAuthClient', () => {
  const env = useEnv();

  it('builds the authorize URL without the secret, and the simulator accepts it', async () => {
    const client = env.client();
    const href = client.authorizeUrl({ redirectUri: REDIRECT_URI, scope: 'read_station read_thermostat', state: 'st4te-42' });
    const url = new URL(href);
    assert.equal(`${url.origin}${url.pathname}`, `${env.sim.url}/oauth2/authorize`);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT_URI);
    assert.equal(url.searchParams.get('scope'), 'read_station read_thermostat');
    assert.equal(url.searchParams.get('state'), 'st4te-42');
    assert.ok(href.includes('scope=read_station%20read_thermostat'), href);
    assert.ok(!href.includes('+'), href);
    assert.ok(!href.includes(CLIENT_SECRET));
    assert.ok(!util.inspect(client, { showHidden: false, depth: 5 }).includes(CLIENT_SECRET), 'inspect(client) shows the secret');
    assert.ok(!JSON.stringify(client).includes(CLIENT_SECRET), 'JSON of the client shows the secret');

    // The consent page of the simulator understands it; Accept redirects back with a code and our state.
    const page = await (await fetch(href)).text();
    const accept = /<a id="accept" href="([^"]+)"/.exec(page)[1].replace(/&amp;/g, '&');
    const back = await fetch(env.sim.url + accept, { redirect: 'manual' });
    assert.equal(back.status, 302);
    const { code, state } = parsePastedRedirect(back.headers.get('location'));
    assert.equal(state, 'st4te-42');
    const t = await client.exchangeCode(code, REDIRECT_URI, 'read_station read_thermostat');
    assert.deepEqual(t.scope, ['read_station', 'read_thermostat']);
    assert.equal(env.sim.isValidRefreshToken(t.refresh_token), true);
  });

  it('exchanges a code for a TokenSet with absolute expiry', async () => {
    env.sim.setTtl(3600);
    const code = env.sim.issueCode({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI, scope: 'read_station read_homecoach' });
    const t = await env.client().exchangeCode(code, REDIRECT_URI, 'read_station read_homecoach');
    assert.equal(typeof t.access_token, 'string');
    assert.match(t.refresh_token, /^[0-9a-f]{24}\|[0-9a-f]{32}$/);
    assert.equal(env.sim.isValidRefreshToken(t.refresh_token), true);
    assert.deepEqual(env.sim.currentRefreshTokens(), [t.refresh_token]);
    assert.equal(await env.apiStatus(t.access_token), 200);
    assert.deepEqual(t.scope, ['read_station', 'read_homecoach']);
    assert.equal(t.obtained_at, T0);
    assert.equal(t.expires_at, T0 + 3600 * 1000);
    // What went over the wire.
    const sent = env.sim.lastTokenRequest;
    assert.equal(sent.grant_type, 'authorization_code');
    assert.equal(sent.code, code);
    assert.equal(sent.redirect_uri, REDIRECT_URI);
    assert.equal(sent.client_id, CLIENT_ID);
    assert.equal(sent.client_secret, CLIENT_SECRET);
    assert.equal(sent.scope, 'read_station read_homecoach');
    // A code is single use.
    const again = await rejectsWith(env.client().exchangeCode(code, REDIRECT_URI, 'read_station'), 'INVALID_GRANT');
    assert.equal(again.oauthError, 'invalid_grant');
    assert.equal(again.retryable, false);
  });

  it('reports a wrong secret as INVALID_CLIENT without showing it', async () => {
    const code = env.sim.issueCode({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI });
    const wrong = 'Wrong-secret-0123456789';
    const err = await rejectsWith(env.client({ clientSecret: wrong }).exchangeCode(code, REDIRECT_URI, 'read_station'), 'INVALID_CLIENT');
    assert.equal(err.oauthError, 'invalid_client');
    assert.equal(err.status, 400);
    for (const text of [err.message, JSON.stringify(err), util.inspect(err)]) assert.ok(!text.includes(wrong));
  });

  it('refresh rotates: the old refresh token is refused, the new one works', async () => {
    const client = env.client();
    const t1 = env.login();
    env.now += MIN;
    const t2 = await client.refresh(t1.refresh_token);
    assert.equal(env.sim.lastTokenRequest.grant_type, 'refresh_token');
    assert.equal(env.sim.lastTokenRequest.refresh_token, t1.refresh_token);
    assert.notEqual(t2.refresh_token, t1.refresh_token);
    assert.notEqual(t2.access_token, t1.access_token);
    assert.equal(t2.expires_at, T0 + MIN + TTL * 1000);
    assert.equal(env.sim.isValidRefreshToken(t1.refresh_token), false);
    assert.equal(env.sim.isValidRefreshToken(t2.refresh_token), true);

    const err = await rejectsWith(client.refresh(t1.refresh_token), 'INVALID_GRANT');
    assert.equal(err.oauthError, 'invalid_grant');
    assert.equal(err.retryable, false);
    assert.equal(env.sim.isValidRefreshToken(t2.refresh_token), true, 'a refused old token must not kill the new one');

    const t3 = await client.refresh(t2.refresh_token);
    assert.equal(env.sim.isValidRefreshToken(t3.refresh_token), true);
    assert.equal(env.sim.stats.refreshRequests, 3);
  });

  describe('faults of the token endpoint', () => {
    // [fault, code, retryable, uncertain, processed by the server (token rotated)]
    const cases = [
      ['http500', 'SERVER', true, false, false, 500],
      ['http503', 'SERVER', true, false, false, 503],
      ['http504', 'SERVER', true, false, false, 504],
      ['http429', 'RATE_LIMITED', true, false, false, 429],
      ['reset', 'NETWORK', true, true, false],
      ['hang', 'TIMEOUT', true, true, false],
      ['truncated', 'BAD_RESPONSE', true, true, true, 200],
      ['notjson', 'BAD_RESPONSE', true, true, false, 200],
      ['lost', 'NETWORK', true, true, true],
      ['invalid_grant', 'INVALID_GRANT', false, false, false, 400],
      ['invalid_client', 'INVALID_CLIENT', false, false, false, 400],
    ];
    for (const [kind, code, retryable, uncertain, processed, status] of cases) {
      it(`${kind} -> ${code}${retryable ? ' (retryable)' : ''}`, async () => {
        const client = env.client({ timeoutMs: 300 });
        const t = env.login();
        env.sim.injectFault(kind);
        const err = await rejectsWith(client.refresh(t.refresh_token), code);
        assert.equal(err.retryable, retryable);
        assert.equal(err.uncertain, uncertain);
        assert.equal(err.status, status);
        if (kind.startsWith('invalid_')) assert.equal(err.oauthError, kind);
        assert.equal(env.sim.stats.faultsServed, 1);
        assert.equal(env.sim.isValidRefreshToken(t.refresh_token), !processed);
        for (const [what, text] of [
          ['message', err.message],
          ['JSON', JSON.stringify(err)],
          ['inspect', util.inspect(err)],
        ]) {
          env.assertNoSecret(text, `${kind}: ${what}`);
        }
        if (!processed) {
          // The same refresh token is still good: retrying with it works.
          const next = await client.refresh(t.refresh_token);
          assert.equal(env.sim.isValidRefreshToken(next.refresh_token), true);
        }
      });
    }

    it('http429 with Retry-After gives retryAfterMs', async () => {
      const t = env.login();
      env.sim.injectFault('http429', { retryAfter: 42 });
      const err = await rejectsWith(env.client().refresh(t.refresh_token), 'RATE_LIMITED');
      assert.equal(err.retryAfterMs, 42_000);
    });

    it('an unreachable server is NETWORK', async () => {
      const url = env.sim.url;
      await env.sim.close();
      const client = new OAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, apiBase: url });
      const err = await rejectsWith(client.refresh('0123456789abcdef|x'), 'NETWORK');
      assert.equal(err.retryable, true);
      assert.match(err.message, /127\.0\.0\.1/);
      assert.ok(!util.inspect(err).includes(CLIENT_SECRET));
      env.sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET } }); // for afterEach
    });
  });
});

describe('core: parseTokenResponse', () => {
  const now = T0;
  const ok = { access_token: 'acc|1234567890', refresh_token: 'ref|1234567890', scope: ['read_station'] };

  it('accepts expires_in and expire_in, preferring expires_in', () => {
    const both = parseTokenResponse(raw(200, { ...ok, expires_in: 100, expire_in: 999 }), now);
    assert.deepEqual(both, {
      access_token: 'acc|1234567890',
      refresh_token: 'ref|1234567890',
      scope: ['read_station'],
      expires_at: now + 100_000,
      obtained_at: now,
    });
    assert.equal(parseTokenResponse(raw(200, { ...ok, expires_in: 10800 }), now).expires_at, now + 10_800_000);
    assert.equal(parseTokenResponse(raw(200, { ...ok, expire_in: 10800 }), now).expires_at, now + 10_800_000);
    assert.equal(parseTokenResponse(raw(200, { ...ok, expires_in: '60' }), now).expires_at, now + 60_000);
  });

  it('accepts scope as an array, a string, or missing', () => {
    assert.deepEqual(
      parseTokenResponse(raw(200, { ...ok, expires_in: 1, scope: 'read_station read_thermostat,write_thermostat' }), now).scope,
      ['read_station', 'read_thermostat', 'write_thermostat'],
    );
    assert.deepEqual(parseTokenResponse(raw(200, { ...ok, expires_in: 1, scope: ['a_b', 3, 'c_d'] }), now).scope, ['a_b', 'c_d']);
    assert.deepEqual(parseTokenResponse(raw(200, { access_token: 'a', refresh_token: 'r', expires_in: 1 }), now).scope, []);
  });

  it('rejects answers without tokens or expiry as BAD_RESPONSE (uncertain)', () => {
    for (const body of [
      { access_token: 'a', expires_in: 10 },
      { access_token: 'a', refresh_token: '', expires_in: 10 },
      { refresh_token: 'r', expires_in: 10 },
      { access_token: 'a', refresh_token: 'r' },
      { access_token: 'a', refresh_token: 'r', expires_in: 0 },
      { access_token: 'a', refresh_token: 'r', expires_in: 'soon' },
    ]) {
      const err = throwsWith(() => parseTokenResponse(raw(200, body), now), 'BAD_RESPONSE');
      assert.equal(err.uncertain, true);
      assert.equal(err.retryable, true);
    }
  });

  it('rejects a non-JSON or truncated answer as BAD_RESPONSE without echoing it', () => {
    for (const body of ['<html>oops</html>', '{"access_token":"secretAccess123","refresh_tok', '', '"just a string"', 'null']) {
      const err = throwsWith(() => parseTokenResponse(raw(200, body), now), 'BAD_RESPONSE');
      assert.equal(err.uncertain, true);
      assert.equal(err.status, 200);
      assert.ok(!err.message.includes('secretAccess123'));
    }
  });

  it('maps 5xx to SERVER', () => {
    for (const status of [500, 502, 503, 504]) {
      const err = throwsWith(() => parseTokenResponse(raw(status, '<h1>down</h1>'), now), 'SERVER');
      assert.equal(err.status, status);
      assert.equal(err.retryable, true);
      assert.equal(err.uncertain, false);
    }
  });

  it('maps 429 (with Retry-After) and API error 26 to RATE_LIMITED', () => {
    const e1 = throwsWith(
      () => parseTokenResponse(raw(429, { error: { code: 26, message: 'User usage reached' } }, { 'retry-after': '30' }), now),
      'RATE_LIMITED',
    );
    assert.equal(e1.retryAfterMs, 30_000);
    assert.equal(e1.status, 429);
    assert.equal(e1.retryable, true);
    const e2 = throwsWith(() => parseTokenResponse(raw(429, ''), now), 'RATE_LIMITED');
    assert.equal(e2.retryAfterMs, undefined);
    const e3 = throwsWith(() => parseTokenResponse(raw(403, '{"error":{"code":26}}'), now), 'RATE_LIMITED');
    assert.equal(e3.status, 403);
    const e4 = throwsWith(() => parseTokenResponse(raw(200, '{"error":{"code":26,"message":"User usage reached"}}'), now), 'RATE_LIMITED');
    assert.equal(e4.retryable, true);
  });

  it('maps OAuth errors', () => {
    const g = throwsWith(() => parseTokenResponse(raw(400, { error: 'invalid_grant' }), now), 'INVALID_GRANT');
    assert.equal(g.oauthError, 'invalid_grant');
    assert.equal(g.status, 400);
    assert.equal(g.retryable, false);
    assert.match(g.message, /invalid_grant/);
    const c = throwsWith(() => parseTokenResponse(raw(400, { error: 'invalid_client' }), now), 'INVALID_CLIENT');
    assert.equal(c.oauthError, 'invalid_client');
    assert.equal(c.retryable, false);
    const o = throwsWith(
      () => parseTokenResponse(raw(400, { error: 'invalid_scope', error_description: 'bad scope' }), now),
      'OAUTH_ERROR',
    );
    assert.equal(o.oauthError, 'invalid_scope');
    assert.equal(o.message, 'Netatmo refused the request (invalid_scope)');
    const long = throwsWith(() => parseTokenResponse(raw(400, { error: 'x'.repeat(500) }), now), 'OAUTH_ERROR');
    assert.equal(long.oauthError, 'unknown_error');
    const other = throwsWith(() => parseTokenResponse(raw(401, { message: 'nope' }), now), 'OAUTH_ERROR');
    assert.equal(other.status, 401);
  });
});

describe('core: errors', () => {
  it('asNetatmoError drops foreign details that may hold secrets', () => {
    const foreign = Object.assign(new Error(`request failed: client_secret=${CLIENT_SECRET}`), {
      code: 'ECONNRESET',
      config: { data: `client_secret=${CLIENT_SECRET}` },
    });
    const e = asNetatmoError(foreign, 'NETWORK');
    assert.equal(e.code, 'NETWORK');
    assert.equal(e.message, 'Unexpected failure (ECONNRESET)');
    for (const text of [e.message, JSON.stringify(e), util.inspect(e)]) assert.ok(!text.includes(CLIENT_SECRET));
    const same = new NetatmoError('SERVER', 'x');
    assert.equal(asNetatmoError(same), same);
    assert.equal(asNetatmoError(undefined).code, 'STORE');
  });

  it('serialises to code, message and oauthError only', () => {
    const e = new NetatmoError('INVALID_GRANT', 'refused', { oauthError: 'invalid_grant', status: 400 });
    assert.deepEqual(JSON.parse(JSON.stringify(e)), { code: 'INVALID_GRANT', message: 'refused', oauthError: 'invalid_grant' });
    assert.equal(e.name, 'NetatmoError');
    assert.ok(e instanceof Error);
  });
});

// ------------------------------------------------------------------ TokenStore

describe('core: TokenStore', () => {
  const env = useEnv();
  const tokens = (n = 1) => ({
    access_token: `access${n}|0123456789abcdef`,
    refresh_token: `refresh${n}|fedcba9876543210`,
    scope: ['read_station'],
    expires_at: T0 + TTL * 1000,
    obtained_at: T0,
  });

  it('round-trips an account and leaves no temp file', async () => {
    const store = env.store();
    await store.write(ACCOUNT, { tokens: tokens(1) });
    assert.deepEqual(await store.read(ACCOUNT), { tokens: tokens(1) });
    const invalid = { code: 'invalid_grant', message: 'refused', at: T0 };
    await store.write(ACCOUNT, { tokens: tokens(2), invalid });
    assert.deepEqual(await env.store().read(ACCOUNT), { tokens: tokens(2), invalid });
    assert.deepEqual(fs.readdirSync(env.dir), [`${ACCOUNT}.json`]);
    assert.equal(store.file(ACCOUNT), env.file());
  });

  it('reads a missing file as null', async () => {
    assert.equal(await env.store().read(ACCOUNT), null);
    assert.equal(await new TokenStore({ dir: path.join(env.dir, 'not', 'there') }).read(ACCOUNT), null);
  });

  it('creates the file 0600 and the folder 0700 even with umask 0', async () => {
    const dir = path.join(env.dir, 'nested', 'tokens');
    const old = process.umask(0);
    try {
      await new TokenStore({ dir }).write(ACCOUNT, { tokens: tokens() });
      await new TokenStore({ dir }).write(ACCOUNT, { tokens: tokens(2) });
    } finally {
      process.umask(old);
    }
    assert.equal(fs.statSync(path.join(dir, `${ACCOUNT}.json`)).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    // An existing folder that is too open is tightened.
    const open = path.join(env.dir, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    await new TokenStore({ dir: open }).write(ACCOUNT, { tokens: tokens() });
    assert.equal(fs.statSync(open).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(open, `${ACCOUNT}.json`)).mode & 0o777, 0o600);
  });

  it('encrypts with a secret; the same secret reads back; another one is a STORE error naming credentialSecret, the file left as it was', async () => {
    const t = tokens();
    await env.store({ secret: 'credential-secret-A' }).write(ACCOUNT, { tokens: t });
    const text = fs.readFileSync(env.file(), 'utf8');
    assert.ok(!text.includes(t.access_token) && !text.includes(t.refresh_token), 'tokens in clear text');
    assert.ok(!text.includes('access1') && !text.includes('refresh1'));
    assert.equal(JSON.parse(text).encrypted, 'aes-256-gcm');
    assert.deepEqual(await env.store({ secret: 'credential-secret-A' }).read(ACCOUNT), { tokens: t });

    // Another replica's file, or a restarted container without the same credentialSecret: never set aside.
    for (const other of [env.store({ secret: 'credential-secret-B' }), env.store()]) {
      for (let i = 0; i < 3; i++) {
        const err = await rejectsWith(other.read(ACCOUNT), 'STORE');
        assert.equal(err.reason, 'secret');
        assert.ok(err.message.includes(env.file()) && err.message.includes('credentialSecret'), err.message);
        assert.equal(err.retryable, false);
        assert.ok(!err.message.includes('credential-secret-'), 'no secret in the message');
      }
    }
    assert.deepEqual(fs.readdirSync(env.dir), [`${ACCOUNT}.json`]);
    assert.equal(fs.readFileSync(env.file(), 'utf8'), text, 'the file must stay as it was');
    assert.deepEqual(await env.store({ secret: 'credential-secret-A' }).read(ACCOUNT), { tokens: t });
  });

  it('an encrypted file damaged under the right key is STORE_CORRUPT, kept aside', async () => {
    const store = env.store({ secret: 'credential-secret-A' });
    await store.write(ACCOUNT, { tokens: tokens() });
    const env1 = JSON.parse(fs.readFileSync(env.file(), 'utf8'));
    const data = Buffer.from(env1.data, 'base64');
    data[0] ^= 1; // one bit flipped on the disk
    const damaged = JSON.stringify({ ...env1, data: data.toString('base64') });
    fs.writeFileSync(env.file(), damaged);
    const err = await rejectsWith(store.read(ACCOUNT), 'STORE_CORRUPT');
    assert.match(err.message, /is damaged \(cannot decrypt: the data does not match its tag\)/);
    const aside = fs.readdirSync(env.dir).filter((f) => f.startsWith(`${ACCOUNT}.json.corrupt-`));
    assert.equal(aside.length, 1);
    assert.equal(fs.readFileSync(path.join(env.dir, aside[0]), 'utf8'), damaged);
  });

  it('a truncated file is STORE_CORRUPT naming the file, and is kept aside', async () => {
    const store = env.store();
    await store.write(ACCOUNT, { tokens: tokens() });
    const text = fs.readFileSync(env.file(), 'utf8');
    const cut = text.slice(0, Math.floor(text.length / 2));
    fs.writeFileSync(env.file(), cut);
    const err = await rejectsWith(store.read(ACCOUNT), 'STORE_CORRUPT');
    assert.ok(err.message.includes(env.file()), err.message);
    assert.equal(err.retryable, false);
    const aside = fs.readdirSync(env.dir).filter((f) => f.startsWith(`${ACCOUNT}.json.corrupt-`));
    assert.equal(aside.length, 1);
    assert.equal(fs.readFileSync(path.join(env.dir, aside[0]), 'utf8'), cut);
    assert.equal(await store.read(ACCOUNT), null);
  });

  it('damaged files in quick succession are each kept aside, none overwritten', async () => {
    const store = env.store();
    for (let i = 0; i < 20; i++) {
      fs.writeFileSync(env.file(), `damaged ${i}`);
      await rejectsWith(store.read(ACCOUNT), 'STORE_CORRUPT');
    }
    const kept = fs.readdirSync(env.dir).filter((f) => f.startsWith(`${ACCOUNT}.json.corrupt-`));
    const contents = kept.map((f) => fs.readFileSync(path.join(env.dir, f), 'utf8')).sort();
    assert.deepEqual(contents, Array.from({ length: 20 }, (_, i) => `damaged ${i}`).sort());
  });

  it('a file with missing fields is STORE_CORRUPT', async () => {
    fs.writeFileSync(env.file(), JSON.stringify({ version: 1, account: { tokens: { access_token: 'a' } } }));
    await rejectsWith(env.store().read(ACCOUNT), 'STORE_CORRUPT');
    fs.writeFileSync(env.file(), JSON.stringify({ version: 2, account: { tokens: tokens() } }));
    await rejectsWith(env.store().read(ACCOUNT), 'STORE_CORRUPT');
  });

  it('a crash between temp write and rename leaves the old file in force', async () => {
    const store = env.store();
    await store.write(ACCOUNT, { tokens: tokens(1) });
    fs.writeFileSync(path.join(env.dir, `${ACCOUNT}.json.tmp-123-abcd`), '{"version":1,"account":{"tok');
    assert.deepEqual(await store.read(ACCOUNT), { tokens: tokens(1) });
    await store.write(ACCOUNT, { tokens: tokens(2) });
    assert.deepEqual(await env.store().read(ACCOUNT), { tokens: tokens(2) });
  });

  it('withLock serialises two callers of the same process', async () => {
    const store = env.store();
    const order = [];
    let bStarted;
    const a = store.withLock(ACCOUNT, async () => {
      order.push('a-in');
      bStarted = store.withLock(ACCOUNT, async () => {
        order.push('b-in');
        order.push('b-out');
        return 'b';
      });
      // Give b every chance to get in (real file system round trips, no timer).
      for (let i = 0; i < 30; i++) await fs.promises.stat(env.dir);
      await store.write(ACCOUNT, { tokens: tokens() });
      order.push('a-out');
      return 'a';
    });
    assert.equal(await a, 'a');
    assert.equal(await bStarted, 'b');
    assert.deepEqual(order, ['a-in', 'a-out', 'b-in', 'b-out']);
    // The lock is released after a failure too.
    await assert.rejects(
      store.withLock(ACCOUNT, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await store.withLock(ACCOUNT, async () => 'c'), 'c');
  });

  it('rejects bad account ids with INVALID_INPUT and touches nothing outside', async () => {
    const store = env.store();
    for (const id of ['../x', '', '.hidden', 'a/b', 'a\\b', 'x'.repeat(200), undefined]) {
      throwsWith(() => store.file(id), 'INVALID_INPUT');
      await rejectsWith(store.read(id), 'INVALID_INPUT');
      await rejectsWith(store.write(id, { tokens: tokens() }), 'INVALID_INPUT');
    }
    throwsWith(() => checkAccountId('../x'), 'INVALID_INPUT');
    assert.deepEqual(fs.readdirSync(env.dir), []);
    assert.equal(fs.existsSync(path.join(path.dirname(env.dir), 'x.json')), false);
  });
});

// ------------------------------------------------------------------ TokenManager

describe('core: TokenManager', () => {
  const env = useEnv();

  it('start() with a valid stored token makes no request; getToken returns the cached token', async () => {
    const t = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    assert.equal(mgr.state.status, 'ok');
    assert.equal(mgr.state.authorized, true);
    assert.equal(mgr.state.expires_at, t.expires_at);
    assert.deepEqual(mgr.fresh(), t);
    env.now += 60 * MIN;
    assert.deepEqual(await mgr.getToken(), t);
    assert.deepEqual(await mgr.getToken(), t);
    assert.equal(env.sim.stats.tokenRequests, 0);
  });

  it('without a stored login: unauthorized, NOT_AUTHORIZED, no request', async () => {
    const mgr = env.manager();
    await mgr.start();
    assert.equal(mgr.state.status, 'unauthorized');
    assert.equal(mgr.state.authorized, false);
    assert.equal(mgr.fresh(), undefined);
    await rejectsWith(mgr.getToken(), 'NOT_AUTHORIZED');
    assert.equal(env.sim.stats.tokenRequests, 0);
  });

  it('without a client: CONFIG when a refresh is due', async () => {
    const t = await env.storedLogin();
    const mgr = env.manager({ client: undefined });
    await mgr.start();
    env.now = t.expires_at + 1;
    await rejectsWith(mgr.getToken(), 'CONFIG');
    assert.equal(env.sim.stats.tokenRequests, 0);
  });

  it('single flight: 100 concurrent getToken on an expired token make one refresh', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    env.now = old.expires_at + MIN;
    assert.equal(mgr.fresh(), undefined);
    env.sim.delayMs = 50;
    const all = await Promise.all(Array.from({ length: 100 }, () => mgr.getToken()));
    assert.equal(env.sim.stats.refreshRequests, 1);
    assert.equal(env.sim.stats.tokenRequests, 1);
    const first = all[0];
    assert.notEqual(first.access_token, old.access_token);
    for (const t of all) assert.equal(t, first);
    assert.equal(first.expires_at, env.now + TTL * 1000);
    assert.equal(env.sim.isValidRefreshToken(first.refresh_token), true);
    assert.deepEqual(env.onDisk(), { tokens: first });
    assert.equal(await env.apiStatus(first.access_token), 200);
    assert.equal(mgr.state.status, 'ok');
    assert.equal(mgr.state.last_refresh, env.now);
  });

  it('refreshes within the margin in the background, handing out the still-valid token', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager({ marginMs: 5 * MIN });
    await mgr.start();

    env.now = old.expires_at - 6 * MIN;
    assert.deepEqual(mgr.fresh(), old);
    assert.deepEqual(await mgr.getToken(), old);
    assert.equal(env.sim.stats.tokenRequests, 0);

    env.now = old.expires_at - 4 * MIN;
    env.sim.delayMs = 50;
    assert.deepEqual(mgr.fresh(), old, 'the old token is handed out at once, synchronously');
    assert.equal(mgr.state.status, 'refreshing', 'a background refresh was started');
    const handed = await mgr.getToken();
    assert.deepEqual(handed, old, 'getToken hands it out too');
    assert.deepEqual(await mgr.getToken(), old, 'a second caller meanwhile gets the old token too');
    const next = await mgr.refresh(); // joins the one under way
    assert.equal(env.sim.stats.refreshRequests, 1);
    assert.equal(env.sim.lastTokenRequest.refresh_token, old.refresh_token);
    assert.notEqual(next.refresh_token, old.refresh_token);
    assert.deepEqual(env.onDisk(), { tokens: next });
    assert.equal(env.sim.isValidRefreshToken(next.refresh_token), true);
    assert.equal(env.sim.isValidRefreshToken(old.refresh_token), false);
    assert.deepEqual(mgr.fresh(), next);
    assert.deepEqual(await mgr.getToken(), next);
    assert.equal(mgr.state.status, 'ok');
    assert.equal(env.sim.stats.tokenRequests, 1);
  });

  it('caps the margin at half the lifetime of short tokens', async () => {
    env.sim.setTtl(120); // 2 minutes: margin 1 minute instead of 5
    const old = await env.storedLogin();
    const mgr = env.manager({ marginMs: 5 * MIN });
    await mgr.start();
    env.now = old.expires_at - 61_000;
    assert.deepEqual(mgr.fresh(), old);
    assert.equal(mgr.state.status, 'ok', 'outside the margin: no refresh');
    env.now = old.expires_at - 59_000;
    assert.deepEqual(mgr.fresh(), old, 'inside the margin the token is still handed out');
    assert.equal(mgr.state.status, 'refreshing', 'and a refresh starts behind it');
    const next = await mgr.refresh();
    assert.notEqual(next.access_token, old.access_token);
    assert.equal(env.sim.stats.refreshRequests, 1);
  });

  it('persists the new pair before handing it out', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    env.now = old.expires_at + 1;
    const t = await mgr.getToken();
    // Read synchronously, right when the caller first sees the token.
    assert.deepEqual(env.onDisk(), { tokens: t });
    assert.deepEqual(env.sim.currentRefreshTokens(), [t.refresh_token]);
  });

  it('never hands out a new pair it could not persist', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    env.now = old.expires_at + 1;
    env.sim.delayMs = 50;
    const p = mgr.getToken();
    // While Netatmo answers, make the token folder unwritable: put a file where it was.
    while (env.sim.stats.refreshRequests === 0) await tick();
    const moved = `${env.dir}-moved`;
    env.extraDirs.push(moved);
    fs.renameSync(env.dir, moved);
    fs.writeFileSync(env.dir, 'not a folder');
    const err = await rejectsWith(p, 'STORE');
    env.assertNoSecret(err.message, 'STORE error');
    assert.equal(mgr.fresh(), undefined);
    // Netatmo has rotated: the unsaved pair is the login now. It is kept (unused) and stored on the next try.
    assert.equal(mgr.state.status, 'retrying');
    assert.equal(mgr.state.error.code, 'STORE');
    const rotated = env.sim.currentRefreshTokens();
    assert.equal(env.sim.isValidRefreshToken(old.refresh_token), false);
    env.now = mgr.state.retry_at - 1;
    await rejectsWith(mgr.getToken(), 'STORE');
    fs.rmSync(env.dir, { force: true });
    // The lock folder went away with the token folder and could not be released there.
    fs.rmSync(path.join(moved, `${ACCOUNT}.json.lock`), { recursive: true, force: true });
    fs.renameSync(moved, env.dir);
    env.now = mgr.state.retry_at + 1;
    const t = await mgr.getToken();
    assert.deepEqual(env.sim.currentRefreshTokens(), rotated, 'no new request: the kept pair was stored');
    assert.equal(t.refresh_token, rotated[0]);
    assert.deepEqual(env.onDisk(), { tokens: t });
    assert.equal(mgr.state.status, 'ok');
    assert.equal(env.sim.stats.refreshRequests, 1);
  });

  it('a new login that could not be stored is kept and stored on the next try (the code is spent)', async () => {
    const mgr = env.manager();
    await mgr.start();
    const code = env.sim.issueCode({ clientId: CLIENT_ID, redirectUri: 'http://localhost/', scope: 'read_station' });
    env.sim.delayMs = 50;
    const p = mgr.authorizeWithCode(code, 'http://localhost/', 'read_station');
    while (env.sim.stats.authCodeRequests === 0) await tick();
    const moved = `${env.dir}-moved`;
    env.extraDirs.push(moved);
    fs.renameSync(env.dir, moved);
    fs.writeFileSync(env.dir, 'not a folder');
    await rejectsWith(p, 'STORE');
    assert.equal(mgr.state.status, 'retrying');
    assert.equal(mgr.fresh(), undefined, 'not used before it is stored');
    const login = env.sim.currentRefreshTokens();
    assert.equal(login.length, 1);
    fs.rmSync(env.dir, { force: true });
    fs.rmSync(path.join(moved, `${ACCOUNT}.json.lock`), { recursive: true, force: true });
    fs.renameSync(moved, env.dir);
    env.now = mgr.state.retry_at + 1;
    const t = await mgr.getToken();
    assert.equal(t.refresh_token, login[0]);
    assert.deepEqual(env.onDisk(), { tokens: t });
    assert.equal(env.sim.stats.tokenRequests, 1, 'no second request: the kept pair was stored');
    assert.equal(mgr.state.status, 'ok');
  });

  it('invalid_grant: REAUTHORIZE, marked in the file, then throttled without requests', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager({ reauthThrottleMs: 5 * MIN });
    await mgr.start();
    // Someone else used the refresh token: Netatmo rotated it away.
    await env.client().refresh(old.refresh_token);
    const requests = env.sim.stats.tokenRequests;
    env.now = old.expires_at + 1;

    const err = await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(err.oauthError, 'invalid_grant');
    assert.equal(err.retryable, false);
    assert.match(err.message, /re-authorize/);
    assert.doesNotMatch(err.message, /may have succeeded/);
    assert.equal(env.sim.stats.tokenRequests, requests + 1);
    assert.equal(mgr.state.status, 'reauthorize');
    assert.equal(mgr.state.authorized, false);
    assert.equal(mgr.state.error.code, 'REAUTHORIZE');
    assert.equal(mgr.state.retry_at, undefined);
    assert.equal(mgr.fresh(), undefined);
    const disk = env.onDisk();
    assert.deepEqual(disk.tokens, old, 'the refused token is kept');
    assert.equal(disk.invalid.code, 'invalid_grant');
    assert.equal(disk.invalid.at, env.now);
    assert.equal(disk.invalid.message, err.message);

    env.now += 4 * MIN;
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    await rejectsWith(mgr.refresh(), 'REAUTHORIZE');
    assert.equal(env.sim.stats.tokenRequests, requests + 1, 'no new token request within the throttle');

    // A restarted manager (redeploy) stays throttled too.
    const again = env.manager({ reauthThrottleMs: 5 * MIN });
    await again.start();
    assert.equal(again.state.status, 'reauthorize');
    await rejectsWith(again.getToken(), 'REAUTHORIZE');
    assert.equal(env.sim.stats.tokenRequests, requests + 1);

    // After the throttle, one more try (still refused).
    env.now += 2 * MIN;
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(env.sim.stats.tokenRequests, requests + 2);
  });

  it('invalid_client: a restarted manager (fixed secret, redeployed) gets one try despite the throttle', async () => {
    const old = await env.storedLogin();
    const bad = env.manager({ client: env.client({ clientSecret: 'a-wrong-secret-123' }), reauthThrottleMs: 5 * MIN });
    await bad.start();
    env.now = old.expires_at + 1;
    const err = await rejectsWith(bad.getToken(), 'REAUTHORIZE');
    assert.equal(err.oauthError, 'invalid_client');
    assert.equal(env.onDisk().invalid.code, 'invalid_client');
    const requests = env.sim.stats.tokenRequests;
    await rejectsWith(bad.getToken(), 'REAUTHORIZE');
    assert.equal(env.sim.stats.tokenRequests, requests, 'throttled while nothing changed');

    const fixed = env.manager({ reauthThrottleMs: 5 * MIN });
    await fixed.start();
    const t = await fixed.getToken();
    assert.equal(env.sim.stats.tokenRequests, requests + 1, 'one try for the redeployed client');
    assert.notEqual(t.refresh_token, old.refresh_token);
    assert.equal(env.onDisk().invalid, undefined);
    assert.equal(fixed.state.status, 'ok');
  });

  it('invalid_grant fault on refresh gives REAUTHORIZE too', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    env.now = old.expires_at + 1;
    env.sim.injectFault('invalid_grant');
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(env.onDisk().invalid.code, 'invalid_grant');
    assert.equal(env.sim.stats.tokenRequests, 1);
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(env.sim.stats.tokenRequests, 1);
  });

  it('transient failure: SERVER, retrying with retry_at, no request before it, then the same refresh token', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager({ retryBaseMs: 2000 });
    await mgr.start();
    env.now = old.expires_at + 1;
    env.sim.injectFault('http500');

    const err = await rejectsWith(mgr.getToken(), 'SERVER');
    assert.equal(err.retryable, true);
    assert.equal(mgr.state.status, 'retrying');
    assert.equal(mgr.state.error.code, 'SERVER');
    const retryAt = mgr.state.retry_at;
    assert.ok(retryAt >= env.now + 1500 && retryAt <= env.now + 2500, `retry_at ${retryAt - env.now} ms ahead`);
    assert.equal(env.sim.stats.tokenRequests, 1);

    env.now = retryAt - 1;
    const early = await rejectsWith(mgr.getToken(), 'SERVER');
    assert.equal(early, err);
    assert.equal(env.sim.stats.tokenRequests, 1, 'no request before retry_at');
    assert.deepEqual(env.onDisk(), { tokens: old }, 'the stored pair is untouched');

    env.now = retryAt + 1;
    const t = await mgr.getToken();
    assert.equal(env.sim.stats.tokenRequests, 2);
    assert.equal(env.sim.lastTokenRequest.refresh_token, old.refresh_token, 'the same stored refresh token is used');
    assert.equal(env.sim.isValidRefreshToken(t.refresh_token), true);
    assert.deepEqual(env.onDisk(), { tokens: t });
    assert.equal(mgr.state.status, 'ok');
    assert.equal(mgr.state.retry_at, undefined);
    assert.equal(mgr.state.error, undefined);
  });

  it('backs off exponentially and honours Retry-After', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager({ retryBaseMs: 1000, retryMaxMs: 3000 });
    await mgr.start();
    env.now = old.expires_at + 1;
    const waits = [];
    for (const expected of [1000, 2000, 3000, 3000]) {
      env.sim.injectFault('http503');
      await rejectsWith(mgr.getToken(), 'SERVER');
      const wait = mgr.state.retry_at - env.now;
      assert.ok(wait >= expected * 0.75 && wait <= expected * 1.25, `wait ${wait} for ${expected}`);
      waits.push(wait);
      env.now = mgr.state.retry_at;
    }
    env.sim.injectFault('http429', { retryAfter: 120 });
    const err = await rejectsWith(mgr.getToken(), 'RATE_LIMITED');
    assert.equal(err.retryAfterMs, 120_000);
    const wait = mgr.state.retry_at - env.now;
    assert.ok(wait >= 90_000 && wait <= 150_000, `rate limit wait ${wait}`);
    assert.equal(env.sim.stats.tokenRequests, 5);
    env.now = mgr.state.retry_at;
    await mgr.getToken();
    assert.equal(env.sim.lastTokenRequest.refresh_token, old.refresh_token);
  });

  it('a lost answer then invalid_grant says the refresh may have succeeded', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    env.now = old.expires_at + 1;
    env.sim.injectFault('lost');
    const lost = await rejectsWith(mgr.getToken(), 'NETWORK');
    assert.equal(lost.uncertain, true);
    assert.equal(mgr.state.status, 'retrying');
    assert.equal(env.sim.isValidRefreshToken(old.refresh_token), false, 'the simulator did rotate');

    env.now = mgr.state.retry_at + 1;
    const err = await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.match(err.message, /may have succeeded/);
    assert.match(err.message, /lost/);
    assert.equal(mgr.state.status, 'reauthorize');
    assert.match(env.onDisk().invalid.message, /may have succeeded/);
    assert.equal(env.sim.stats.refreshRequests, 2);
  });

  it('two managers on the same folder refresh once; the second adopts the stored result', async () => {
    const storeA = env.store();
    const storeB = env.store();
    const old = await env.storedLogin(storeA);
    const a = env.manager({ store: storeA });
    const b = env.manager({ store: storeB });
    await Promise.all([a.start(), b.start()]);
    env.now = old.expires_at + 1;
    env.sim.delayMs = 50;
    const [ta, tb] = await Promise.all([a.getToken(), b.getToken()]);
    assert.equal(env.sim.stats.refreshRequests, 1);
    assert.equal(ta.access_token, tb.access_token);
    assert.equal(ta.refresh_token, tb.refresh_token);
    assert.equal(env.sim.isValidRefreshToken(ta.refresh_token), true);
    assert.deepEqual(env.onDisk(), { tokens: ta });
    assert.deepEqual(a.fresh(), ta);
    assert.deepEqual(b.fresh(), ta);
    assert.equal(a.state.status, 'ok');
    assert.equal(b.state.status, 'ok');
  });

  it('a manager behind another process adopts its newer stored token', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    // The command line tool refreshes meanwhile (another TokenManager, another store).
    env.now = old.expires_at - 2 * MIN;
    const other = env.manager({ store: env.store() });
    await other.start();
    const newer = await other.refresh();
    assert.equal(env.sim.stats.refreshRequests, 1);
    const got = await mgr.refresh();
    assert.deepEqual(got, newer);
    assert.equal(env.sim.stats.refreshRequests, 1);
    assert.equal(env.sim.isValidRefreshToken(newer.refresh_token), true);
  });

  it('authorizeWithCode stores the pair and clears a previous invalid mark', async () => {
    const old = env.login();
    await env.store().write(ACCOUNT, { tokens: old, invalid: { code: 'invalid_grant', message: 'refused', at: T0 } });
    const mgr = env.manager();
    await mgr.start();
    assert.equal(mgr.state.status, 'reauthorize');
    assert.equal(mgr.fresh(), undefined);

    const code = env.sim.issueCode({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI, scope: 'read_station read_thermostat' });
    const t = await mgr.authorizeWithCode(code, REDIRECT_URI, 'read_station read_thermostat');
    assert.deepEqual(t.scope, ['read_station', 'read_thermostat']);
    assert.deepEqual(env.onDisk(), { tokens: t });
    assert.equal(env.sim.isValidRefreshToken(t.refresh_token), true);
    assert.equal(mgr.state.status, 'ok');
    assert.equal(mgr.state.authorized, true);
    assert.equal(mgr.state.error, undefined);
    assert.deepEqual(mgr.state.scope, ['read_station', 'read_thermostat']);
    assert.deepEqual(await mgr.getToken(), t);
    assert.equal(env.sim.stats.tokenRequests, 1);

    // A refused code leaves the stored login alone.
    await rejectsWith(mgr.authorizeWithCode('0123456789abcdef', REDIRECT_URI, 'read_station'), 'INVALID_GRANT');
    assert.deepEqual(env.onDisk(), { tokens: t });
  });

  it('authorizeWithRefreshToken starts from a pasted refresh token', async () => {
    const pasted = env.sim.issueTokens({ clientId: CLIENT_ID, scope: 'read_station' });
    const mgr = env.manager();
    await mgr.start();
    assert.equal(mgr.state.status, 'unauthorized');
    const t = await mgr.authorizeWithRefreshToken(pasted.refresh_token);
    assert.equal(env.sim.lastTokenRequest.refresh_token, pasted.refresh_token);
    assert.notEqual(t.refresh_token, pasted.refresh_token);
    assert.equal(env.sim.isValidRefreshToken(pasted.refresh_token), false);
    assert.equal(env.sim.isValidRefreshToken(t.refresh_token), true);
    assert.deepEqual(env.onDisk(), { tokens: t });
    assert.equal(mgr.state.status, 'ok');
    assert.deepEqual(await mgr.getToken(), t);
    // The same token a second time is refused and nothing is stored.
    await rejectsWith(mgr.authorizeWithRefreshToken(pasted.refresh_token), 'INVALID_GRANT');
    assert.deepEqual(env.onDisk(), { tokens: t });
  });

  it('forget() removes the file', async () => {
    await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    await mgr.forget();
    assert.equal(fs.existsSync(env.file()), false);
    assert.equal(mgr.state.status, 'unauthorized');
    await rejectsWith(mgr.getToken(), 'NOT_AUTHORIZED');
  });

  it('a corrupt file at start is reported, not thrown', async () => {
    fs.writeFileSync(env.file(), '{"version":1,"acc');
    const mgr = env.manager();
    await mgr.start();
    assert.equal(mgr.state.status, 'error');
    assert.equal(mgr.state.error.code, 'STORE_CORRUPT');
    assert.equal(mgr.state.authorized, false);
  });

  it('a file written with another credentialSecret: a STORE error at start, no token request, the file left as it was', async () => {
    const tokens = await env.storedLogin(env.store({ secret: 'replica-secret' }));
    const text = fs.readFileSync(env.file(), 'utf8');
    const errors = [];
    const mgr = env.manager({
      store: env.store({ secret: 'another-secret' }),
      logger: { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) },
    });
    await mgr.start();
    assert.equal(mgr.state.status, 'error');
    assert.deepEqual([mgr.state.error.code, mgr.state.error.reason], ['STORE', 'secret']);
    env.now = tokens.expires_at + 1; // due for refresh: still none
    for (let i = 0; i < 3; i++) await rejectsWith(mgr.getToken(), 'STORE');
    await rejectsWith(mgr.refresh({ force: true }), 'STORE');
    assert.equal(env.sim.stats.tokenRequests, 0);
    assert.deepEqual(fs.readdirSync(env.dir), [`${ACCOUNT}.json`]);
    assert.equal(fs.readFileSync(env.file(), 'utf8'), text);
    assert.equal(errors.length, 1, `said once: ${errors.join(' | ')}`);
    assert.match(errors[0], /credentialSecret/);
  });

  it('a file of another credentialSecret: a new Authorize replaces the login, the old file kept aside as it was', async () => {
    await env.storedLogin(env.store({ secret: 'replica-secret' }));
    const text = fs.readFileSync(env.file(), 'utf8');
    const store = env.store({ secret: 'another-secret' });
    const mgr = env.manager({ store });
    await mgr.start();
    const code = env.sim.issueCode({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI });
    const t = await mgr.authorizeWithCode(code, REDIRECT_URI, 'read_station');
    assert.equal(mgr.state.status, 'ok');
    assert.equal((await store.read(ACCOUNT)).tokens.refresh_token, t.refresh_token);
    const aside = fs.readdirSync(env.dir).filter((f) => f !== `${ACCOUNT}.json`);
    assert.equal(aside.length, 1, aside.join());
    assert.equal(fs.readFileSync(path.join(env.dir, aside[0]), 'utf8'), text);
  });

  it('a token folder that cannot be made or written is a STORE error at start, naming the folder', async () => {
    const notADir = path.join(env.dir, 'a-file');
    fs.writeFileSync(notADir, 'x');
    for (const dir of [notADir, path.join(notADir, 'tokens')]) {
      const mgr = env.manager({ store: new TokenStore({ dir }) });
      await mgr.start();
      assert.equal(mgr.state.status, 'error', dir);
      assert.equal(mgr.state.error.code, 'STORE');
      assert.ok(mgr.state.error.message.includes(dir), mgr.state.error.message);
    }
    // A good folder is checked without a trace.
    const good = path.join(env.dir, 'good');
    await env.manager({ store: new TokenStore({ dir: good }) }).start();
    assert.deepEqual(fs.readdirSync(good), []);
  });

  it('emits state events that never contain a token or a secret', async () => {
    const events = [];
    const old = await env.storedLogin();
    const mgr = env.manager();
    mgr.on('state', (s) => events.push(JSON.parse(JSON.stringify(s))));
    await mgr.start();
    env.now = old.expires_at + 1;
    await mgr.getToken();
    env.now += TTL * 1000;
    env.sim.injectFault('http500');
    await rejectsWith(mgr.getToken(), 'SERVER');
    env.now = mgr.state.retry_at + 1;
    env.sim.injectFault('invalid_grant');
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    const code = env.sim.issueCode({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI });
    await mgr.authorizeWithCode(code, REDIRECT_URI, 'read_station');

    // Consecutive events may share a status (e.g. new expiry while still 'refreshing').
    const statuses = events.map((e) => e.status).filter((s, i, all) => i === 0 || s !== all[i - 1]);
    assert.deepEqual(statuses, ['ok', 'refreshing', 'ok', 'refreshing', 'retrying', 'refreshing', 'reauthorize', 'ok']);
    assert.equal(events[0].expires_at, old.expires_at);
    const retrying = events.find((e) => e.status === 'retrying');
    assert.ok(retrying.retry_at > env.now - 10_000 && retrying.retry_at < env.now);
    assert.equal(retrying.error.code, 'SERVER');
    const reauth = events.find((e) => e.status === 'reauthorize');
    assert.equal(reauth.error.code, 'REAUTHORIZE');
    assert.equal(reauth.authorized, false);
    assert.equal(events[events.length - 1].authorized, true);
    assert.equal(events[events.length - 1].error, undefined);
    env.assertNoSecret(JSON.stringify(events), 'state events');
    env.assertNoSecret(util.inspect(mgr.state, { depth: 5 }), 'state');
  });

  it('logs every step without a secret, with 4-character prefixes in debug lines', async () => {
    const logger = {
      lines: [],
      debug(m) {
        this.lines.push(['debug', m]);
      },
      info(m) {
        this.lines.push(['info', m]);
      },
      warn(m) {
        this.lines.push(['warn', m]);
      },
      error(m) {
        this.lines.push(['error', m]);
      },
    };
    const old = await env.storedLogin();
    const mgr = env.manager({ logger });
    await mgr.start();
    env.now = old.expires_at + 1;
    const t = await mgr.getToken();
    env.now += TTL * 1000;
    env.sim.injectFault('http500');
    await rejectsWith(mgr.getToken(), 'SERVER');
    env.now = mgr.state.retry_at + 1;
    env.sim.injectFault('invalid_grant');
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    const pasted = env.sim.issueTokens({ clientId: CLIENT_ID });
    await mgr.authorizeWithRefreshToken(pasted.refresh_token);

    const levels = new Set(logger.lines.map(([l]) => l));
    assert.deepEqual([...levels].sort(), ['debug', 'error', 'info', 'warn']);
    env.assertNoSecret(logger.lines.map(([, m]) => m).join('\n'), 'log');
    const debug = logger.lines
      .filter(([l]) => l === 'debug')
      .map(([, m]) => m)
      .join('\n');
    assert.ok(debug.includes(`${old.refresh_token.slice(0, 4)}…`), debug);
    assert.ok(debug.includes(`${t.refresh_token.slice(0, 4)}…`), debug);
    assert.ok(debug.includes(`${t.access_token.slice(0, 4)}…`), debug);
    const warn = logger.lines.find(([l]) => l === 'warn')[1];
    assert.match(warn, /SERVER/);
    assert.match(warn, /same refresh token/);
  });
});

// ------------------------------------------------------------------ redact

describe('core: redact', () => {
  it('keeps 4 characters and scrubs known secrets', () => {
    assert.equal(redact('abcdef|123456'), 'abcd…');
    assert.equal(redact(undefined), '(none)');
    assert.equal(redact(''), '(none)');
    const r = new Redactor();
    r.add('0123456789abcdef', 'short', undefined, null);
    assert.equal(r.scrub('a 0123456789abcdef b 0123456789abcdef'), 'a 0123… b 0123…');
    assert.equal(r.scrub('short stays'), 'short stays');
  });
});

// ------------------------------------------------------------------ validate

describe('core: validate', () => {
  const CODE = '0123456789abcdef0123456789abcdef';

  it('parsePastedRedirect takes a full URL, a bare query or a bare code', () => {
    const full = parsePastedRedirect(`  http://localhost:1880/netatmo/callback?state=s7&code=${CODE}\n`);
    assert.equal(full.code, CODE);
    assert.equal(full.state, 's7');
    const query = parsePastedRedirect(`state=s8&code=${CODE}`);
    assert.equal(query.code, CODE);
    assert.equal(query.state, 's8');
    const q2 = parsePastedRedirect(`?code=${CODE}`);
    assert.equal(q2.code, CODE);
    assert.equal(q2.state, undefined);
    assert.deepEqual(parsePastedRedirect(CODE), { code: CODE });
  });

  it('parsePastedRedirect reports a refusal, a missing code and garbage as INVALID_INPUT', () => {
    const denied = throwsWith(() => parsePastedRedirect('http://localhost/?state=s&error=access_denied'), 'INVALID_INPUT');
    assert.equal(denied.oauthError, 'access_denied');
    assert.match(denied.message, /access_denied/);
    const other = throwsWith(() => parsePastedRedirect('http://localhost/?error=server_error'), 'INVALID_INPUT');
    assert.equal(other.oauthError, 'server_error');
    const noCode = throwsWith(() => parsePastedRedirect('http://localhost/?state=abc'), 'INVALID_INPUT');
    assert.match(noCode.message, /code=/);
    assert.equal(noCode.oauthError, undefined);
    throwsWith(() => parsePastedRedirect('hello world, this is not it'), 'INVALID_INPUT');
    throwsWith(() => parsePastedRedirect('http://[::1?code=abc'), 'INVALID_INPUT');
    throwsWith(() => parsePastedRedirect('http://localhost/?code=abc$def12345'), 'INVALID_INPUT');
    throwsWith(() => parsePastedRedirect('   '), 'INVALID_INPUT');
    throwsWith(() => parsePastedRedirect(undefined), 'INVALID_INPUT');
  });

  it('checkCode accepts letters and digits only', () => {
    assert.equal(checkCode(` ${CODE} `), CODE);
    for (const bad of ['abc-def-123', 'abcd efgh', 'abc|defgh12', 'short', '', 42, null]) throwsWith(() => checkCode(bad), 'INVALID_INPUT');
  });
});

// ------------------------------------------------------------------ scopes

describe('core: scopes', () => {
  it('ALL_SCOPES has 26 unique entries', () => {
    assert.equal(ALL_SCOPES.length, 26);
    assert.equal(new Set(ALL_SCOPES).size, 26);
    assert.ok(ALL_SCOPES.includes('read_station'));
    assert.ok(ALL_SCOPES.includes('write_mhs1'));
  });

  it('parseScope defaults to read_station, splits and de-duplicates', () => {
    assert.deepEqual(parseScope(undefined), ['read_station']);
    assert.deepEqual(parseScope(''), ['read_station']);
    assert.deepEqual(parseScope(' , '), ['read_station']);
    assert.deepEqual(parseScope('read_station read_thermostat,write_thermostat, read_station'), [
      'read_station',
      'read_thermostat',
      'write_thermostat',
    ]);
    assert.throws(() => parseScope('read station!'), { name: 'TypeError', message: /"station!" is not a Netatmo scope/ });
    assert.throws(() => parseScope(42), TypeError);
  });
});
