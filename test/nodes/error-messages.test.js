'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/**
 * Errors reach Node-RED users from the catalogue, by code (+ reason) and params, not from the
 * core's English. Part 1 makes real errors with the core (bad input, odd Netatmo answers, a dead
 * port, a silent server, damaged and unwritable token files, a refused refresh token) and checks
 * that each has its catalogue text: the en-US text filled with its params is the core's own message
 * (so the two cannot drift apart), and French and German say it in their words with the same
 * values. Part 2 runs Node-RED in French (settings.lang) and reads what a Catch node and the node
 * status show for a token node without a login.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { NetatmoError, asNetatmoError } = require('../../dist/core/shared/errors');
const validate = require('../../dist/core/shared/validate');
const { OAuthClient, parseTokenResponse } = require('../../dist/core/token/oauth');
const { TokenStore } = require('../../dist/core/token/store');
const { TokenManager } = require('../../dist/core/token/manager');
const { classifyPasted, parsePastedRedirect } = require('../../dist/core/token/paste');
const { resolveLogin } = require('../../dist/nodes/login-config');
const { localize } = require('../../dist/nodes/i18n');
const { ApiClient, parseApiResponse, payloadParams, prepareCall } = require('../../dist/core/api/client');
const { RateBudget } = require('../../dist/core/api/rate-budget');
const { partialFailure } = require('../../dist/nodes/netatmo-api');
const { startSimulator } = require('../simulator/simulator');
const { startNodeRed } = require('../helpers/nodered');

const LOCALES = path.join(TEST_ROOT, '..', 'nodes', 'locales');
const catalog = (lang) => JSON.parse(fs.readFileSync(path.join(LOCALES, lang, 'netatmo-account.json'), 'utf8'));

/** RED._ as Node-RED answers it for one language: the text with __params__ filled, the key when there is none. */
function translator(lang) {
  const messages = catalog(lang);
  return (key, params = {}) => {
    const v = key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), messages);
    if (typeof v !== 'string') return key;
    return v.replace(/__([A-Za-z0-9_]+)__/g, (m, n) => (n in params ? String(params[n]) : m));
  };
}

const keyOf = (e) => `${e.code}${e.reason ? `-${e.reason}` : ''}`;

async function caught(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

const response = (status, body, headers = {}) => ({ status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('Error messages from the catalogue', function () {
  this.timeout(20000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-i18n-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Real errors of the core, each with what it was made from. */
  async function coreErrors() {
    const errors = [];
    const add = async (what, fn) => errors.push({ what, error: await caught(fn) });
    // What users type or paste.
    await add('empty client id', () => validate.checkClientId(''));
    await add('client id with spaces', () => validate.checkClientId('a b c d'));
    await add('empty client secret', () => validate.checkClientSecret(' '));
    await add('client secret with spaces', () => validate.checkClientSecret('abc def'));
    await add('no redirect URI', () => validate.checkRedirectUri(''));
    await add('redirect URI not a URL', () => validate.checkRedirectUri('nope'));
    await add('redirect URI ftp', () => validate.checkRedirectUri('ftp://x/'));
    await add('empty code', () => validate.checkCode(''));
    await add('code with symbols', () => validate.checkCode('abc-def-ghi'));
    await add('empty refresh token', () => validate.checkRefreshToken(''));
    await add('refresh token with spaces', () => validate.checkRefreshToken('abc def ghi'));
    await add('nothing pasted', () => parsePastedRedirect(''));
    await add('nothing pasted (dialog)', () => classifyPasted('  '));
    await add('pasted refusal', () => parsePastedRedirect('http://localhost/?error=access_denied&state=x'));
    await add('pasted error', () => parsePastedRedirect('http://localhost/?error=server_error'));
    await add('pasted URL without code', () => parsePastedRedirect('http://localhost/?state=abc'));
    await add('bad account id', () => validate.checkAccountId('../x'));
    await add('redirect URI too long', () => validate.checkRedirectUri(`http://localhost/${'a'.repeat(3000)}`));
    await add('pasted text too long', () => parsePastedRedirect(`?code=${'a'.repeat(3000)}`));
    await add('empty API base', () => validate.checkApiBase(' '));
    await add('API base too long', () => validate.checkApiBase(`https://${'a'.repeat(600)}`));
    await add('API base not a URL', () => validate.checkApiBase('nope'));
    await add('API base ftp', () => validate.checkApiBase('ftp://x/'));
    // The dialog's fields.
    const saved = {
      clientId: 'saved-id',
      clientSecret: 'saved-secret',
      scope: 'read_station',
      redirectUri: '',
      apiBase: 'https://api.netatmo.com',
    };
    await add('no client id or secret', () => resolveLogin({}, undefined, 'https://api.netatmo.com'));
    await add('saved secret to another client', () => resolveLogin({ clientId: 'other-id' }, saved, 'https://api.netatmo.com'));
    await add('bad scopes', () => resolveLogin({ clientId: 'abcd', clientSecret: 'efgh', scope: 'NOT A SCOPE' }, undefined, 'x'));
    // What Netatmo may answer.
    const now = Date.now();
    await add('429', () => parseTokenResponse(response(429, { error: { code: 26, message: 'Maximum api usage reached' } }), now));
    await add('503', () => parseTokenResponse(response(503, 'down'), now));
    await add('invalid_grant', () => parseTokenResponse(response(400, { error: 'invalid_grant' }), now));
    await add('invalid_client', () => parseTokenResponse(response(400, { error: 'invalid_client' }), now));
    await add('another OAuth error', () => parseTokenResponse(response(400, { error: 'invalid_scope' }), now));
    await add('not JSON', () => parseTokenResponse(response(200, '<html>'), now));
    await add('HTTP 302 without error', () => parseTokenResponse(response(302, {}), now));
    await add('no tokens', () => parseTokenResponse(response(200, { expires_in: 10800 }), now));
    await add('no expiry', () => parseTokenResponse(response(200, { access_token: 'a', refresh_token: 'b' }), now));
    // Netatmo unreachable: a closed port, and a server that never answers.
    const closed = http.createServer();
    await new Promise((r) => closed.listen(0, '127.0.0.1', r));
    const closedUrl = `http://127.0.0.1:${closed.address().port}`;
    await new Promise((r) => closed.close(r));
    await add('closed port', () => new OAuthClient({ clientId: 'abcd', clientSecret: 'efgh', apiBase: closedUrl }).refresh('x|y'));
    const silent = http.createServer(() => {});
    await new Promise((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const apiBase = `http://127.0.0.1:${silent.address().port}`;
      await add('no answer', () => new OAuthClient({ clientId: 'abcd', clientSecret: 'efgh', apiBase, timeoutMs: 300 }).refresh('x|y'));
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
    // The token files.
    const dir = path.join(tmp, 'tokens');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'damaged.json'), 'garbage');
    const store = new TokenStore({ dir });
    await add('damaged file', () => store.read('damaged'));
    fs.writeFileSync(path.join(dir, 'undecodable.json'), 'garbage');
    await add('undecodable file', () => store.peek('undecodable'));
    fs.writeFileSync(path.join(tmp, 'a-file'), '');
    const blocked = new TokenStore({ dir: path.join(tmp, 'a-file', 'tokens') });
    await add('folder under a file', () =>
      blocked.write('acc', { tokens: { access_token: 'a', refresh_token: 'b', scope: [], expires_at: 1, obtained_at: 0 } }),
    );
    await add('unexpected failure', () => {
      throw asNetatmoError(Object.assign(new Error('boom'), { code: 'EWEIRD' }));
    });
    await add('unexpected failure without a code', () => {
      throw asNetatmoError('boom');
    });
    await add('a bug of ours', () => {
      throw asNetatmoError(new TypeError('x is undefined'));
    });
    // The token manager.
    await add('no login yet', () =>
      new TokenManager({ accountId: 'none', store, client: new OAuthClient({ clientId: 'abcd', clientSecret: 'efgh' }) }).getToken(),
    );
    const sim = await startSimulator({ clients: { 'i18n-client': 'i18n-secret-0123' } });
    try {
      const client = new OAuthClient({ clientId: 'i18n-client', clientSecret: 'i18n-secret-0123', apiBase: sim.url });
      const expired = { access_token: 'a', refresh_token: 'deadbeef|cafe', scope: ['read_station'], expires_at: 1, obtained_at: 0 };
      await store.write('refused', { tokens: expired });
      await add('refused refresh token', () => new TokenManager({ accountId: 'refused', store, client, autoRefresh: false }).getToken());
      await store.write('noclient', { tokens: expired });
      await add('no client', () => new TokenManager({ accountId: 'noclient', store, autoRefresh: false }).getToken());
    } finally {
      await sim.close();
    }
    // The netatmo-api node: what a message asks for, what the API answers, the rate budget.
    await add('no endpoint', () => prepareCall('', 'auto'));
    await add('unknown endpoint', () => prepareCall('nosuchthing', 'auto'));
    await add('parameters not an object', () => prepareCall('homesdata', 'auto', [1, 2]));
    await add('too many parameters', () =>
      prepareCall('homesdata', 'auto', Object.fromEntries([...Array(70)].map((_, i) => [`p${i}`, i]))),
    );
    await add('bad parameter name', () => prepareCall('homesdata', 'auto', { 'a b': 1 }));
    await add('access_token as a parameter', () => prepareCall('homesdata', 'auto', { access_token: 'x' }));
    await add('JSON endpoint with GET', () => prepareCall('setstate', 'GET', { home: {} }));
    await add('missing parameters', () => prepareCall('getroommeasure', 'auto', { home_id: 'h' }));
    await add('value not allowed', () => prepareCall('setthermmode', 'auto', { home_id: 'h', mode: 'party' }));
    await add('parameters too big', () => prepareCall('homesdata', 'auto', { a: 'x'.repeat(300 * 1024) }));
    await add('parameter of a bad type', () => prepareCall('homesdata', 'auto', { a: { b: 1 } }));
    const read = prepareCall('homestatus', 'auto', { home_id: 'h' });
    const apiAnswer = (status, body) => parseApiResponse(response(status, body), read, 'tok3n-abcdef|0123');
    await add('API 429', () => apiAnswer(429, 'slow down'));
    await add('API code 26', () => apiAnswer(403, { error: { code: 26, message: 'User usage reached' } }));
    await add('API 503', () => apiAnswer(503, 'down'));
    await add('API scope missing', () =>
      parseApiResponse(response(403, { error: { code: 13, message: 'Operation not allowed' } }), read, 'tok3n-abcdef|0123', Date.now(), []),
    );
    await add('a payload that is not parameters', () => payloadParams(42));
    await add('API code 13 on a path (no scope to compare: Netatmo refused)', () =>
      parseApiResponse(response(403, { error: { code: 13, message: 'x' } }), prepareCall('/api/other', 'auto')),
    );
    await add('API error', () => apiAnswer(400, { error: { code: 21, message: 'Invalid argument' } }));
    await add('API not JSON', () => apiAnswer(200, '<html>'));
    await add('API HTTP 404', () => apiAnswer(404, {}));
    await add('partial failure', () => {
      throw partialFailure(read, [{ code: 6, id: '70:ee:50:00:00:01' }]);
    });
    await add('partial failure without a module id', () => {
      throw partialFailure(read, [{ code: 6 }, { code: 7 }]);
    });
    const busy = new RateBudget({ limits: [{ limit: 1, windowMs: 60000 }], margin: 0 });
    busy.take(); // in flight: no turn before its answer comes back
    await add('rate budget exhausted', () => busy.acquire(0));
    const paused = new RateBudget();
    paused.pause(60000);
    await add('paused after a 429', () => paused.acquire(10));
    const stop = new AbortController();
    const waiting = busy.acquire(60000, { signal: stop.signal });
    stop.abort();
    await add('node stopped while waiting', () => waiting);
    // A device change whose answer was lost is not sent again: the server answers garbage, then nothing.
    const tokens = { fresh: () => ({ access_token: 'tok3n-abcdef|0123' }), getToken: async () => assert.fail(), rejectAccessToken() {} };
    const write = prepareCall('setthermmode', 'auto', { home_id: 'h', mode: 'away' });
    const garbage = http.createServer((req, res) => res.end('<html>'));
    await new Promise((r) => garbage.listen(0, '127.0.0.1', r));
    try {
      const client = new ApiClient({ apiBase: `http://127.0.0.1:${garbage.address().port}` });
      await add('device change, answer not JSON', () => client.call(write, { tokens, budget: new RateBudget(), maxWaitMs: 5000 }));
    } finally {
      await new Promise((r) => garbage.close(r));
    }
    const mute = http.createServer(() => {});
    await new Promise((r) => mute.listen(0, '127.0.0.1', r));
    try {
      const client = new ApiClient({ apiBase: `http://127.0.0.1:${mute.address().port}`, timeoutMs: 300 });
      await add('device change, no answer', () => client.call(write, { tokens, budget: new RateBudget(), maxWaitMs: 5000 }));
    } finally {
      mute.closeAllConnections();
      await new Promise((r) => mute.close(r));
    }
    return errors;
  }

  let errors;
  before(async () => {
    errors = await coreErrors();
  });

  it('gives every core error a catalogue key by its code and reason', () => {
    const english = catalog('en-US')['netatmo-account'].errors;
    for (const { what, error } of errors) assert.ok(error instanceof NetatmoError, `${what}: ${error}`);
    const missing = errors.filter(({ error }) => !(keyOf(error) in english)).map(({ what, error }) => `${what}: ${keyOf(error)}`);
    assert.deepEqual(missing, [], 'errors without a catalogue text');
    // The list covers the codes users meet; a new code or reason without a catalogue text fails above.
    const keys = new Set(errors.map(({ error }) => keyOf(error)));
    for (const k of ['NETWORK-detail', 'TIMEOUT', 'STORE_CORRUPT-damaged', 'REAUTHORIZE-grant', 'CONFIG', 'NOT_AUTHORIZED'])
      assert.ok(keys.has(k), `no ${k} made`);
    // The netatmo-api node's own: one of each reason, so none goes untested.
    const api = [
      ...['no-endpoint', 'unknown-endpoint', 'params-not-object', 'too-many-params', 'param-name', 'access-token-param'].map(
        (r) => `INVALID_INPUT-${r}`,
      ),
      ...['json-body', 'param-required', 'param-value', 'too-big', 'param-type'].map((r) => `INVALID_INPUT-${r}`),
      'INVALID_INPUT-payload-not-object',
      'RATE_LIMITED-api-http',
      'RATE_LIMITED-api-code',
      'RATE_LIMITED-budget',
      'RATE_LIMITED-paused',
      'SERVER-api',
      'SCOPE_MISSING-scopes',
      'API_ERROR-refused',
      'API_ERROR-http',
      'API_ERROR-partial',
      'API_ERROR-partial-module',
      'BAD_RESPONSE-api-not-json',
      'BAD_RESPONSE-api-not-json-not-sent-again',
      'TIMEOUT-stopped',
      'TIMEOUT-not-sent-again',
    ];
    assert.deepEqual(
      api.filter((k) => !keys.has(k)),
      [],
      'api errors not made',
    );
  });

  it('en-US filled with the params is the core message, word for word', () => {
    const t = translator('en-US');
    const differ = errors
      .map(({ what, error }) => ({ what, error, text: localize(t, error).message }))
      .filter(({ error, text }) => text !== error.message)
      .map(({ what, error, text }) => `${what} (${keyOf(error)}):\n    core:    ${error.message}\n    catalog: ${text}`);
    assert.deepEqual(differ, [], 'the en-US catalogue and the core say different things');
  });

  for (const lang of ['fr', 'de']) {
    it(`${lang}: every error in its words, with the same values, the other fields kept`, () => {
      const t = translator(lang);
      const own = catalog(lang)['netatmo-account'].errors;
      const english = catalog('en-US')['netatmo-account'].errors;
      for (const { what, error } of errors) {
        const shown = localize(t, error, lang);
        // Unless the allow-list of locales.test.js keeps that text in English ("Scopes: …" in German).
        if (own[keyOf(error)] !== english[keyOf(error)]) assert.notEqual(shown.message, error.message, `${what}: still in English`);
        assert.doesNotMatch(shown.message, /__[A-Za-z0-9_]+__/, `${what}: a placeholder left unfilled`);
        for (const v of Object.values(error.params || {}))
          assert.ok(shown.message.includes(String(v)), `${what}: ${v} missing in ${shown.message}`);
        assert.equal(shown.code, error.code);
        assert.equal(shown.oauthError, error.oauthError);
        assert.equal(shown.uncertain, error.uncertain);
        assert.equal(shown.retryAfterMs, error.retryAfterMs);
      }
    });
  }

  it('keeps the English message when the catalogue has no text for the error', () => {
    const e = new NetatmoError('INVALID_INPUT', 'Some new check failed', { reason: 'not-in-the-catalogue' });
    assert.equal(localize(translator('fr'), e, 'fr').message, 'Some new check failed');
    // A code whose catalogue text needs values this error does not carry (thrown elsewhere, without its reason).
    const bare = new NetatmoError('SERVER', 'Netatmo answered HTTP 502 to homesdata');
    assert.equal(localize(translator('fr'), bare, 'fr').message, 'Netatmo answered HTTP 502 to homesdata');
    // A message already written from a catalogue (no reason) is left as it is.
    const own = new NetatmoError('INVALID_INPUT', 'msg.headers doit être un objet');
    assert.equal(localize(translator('de'), own, 'de').message, 'msg.headers doit être un objet');
  });
});

describe('Node-RED in French: what a Catch node and the status show', function () {
  this.timeout(60000);
  let red;
  const FLOWS = [
    { id: 'tab1', type: 'tab', label: 'i18n' },
    { id: 'acc', type: 'netatmo-account', name: 'home', scope: 'read_station', redirectUri: '', apiBase: 'http://127.0.0.1:9' },
    { id: 'inj', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], once: false, payload: '', payloadType: 'date', wires: [['tok']] },
    { id: 'tok', type: 'netatmo-token', z: 'tab1', account: 'acc', interval: 0, wires: [[]] },
    { id: 'cat', type: 'catch', z: 'tab1', scope: ['tok'], uncaught: false, wires: [['keepErr']] },
    {
      id: 'keepErr',
      type: 'change',
      z: 'tab1',
      rules: [{ t: 'set', p: 'caught', pt: 'global', to: 'error', tot: 'msg' }],
      wires: [],
    },
    // A netatmo-api node sent a message that lacks a parameter: refused before any request.
    { id: 'inj2', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], once: false, payload: '{}', payloadType: 'json', wires: [['api']] },
    { id: 'api', type: 'netatmo-api', z: 'tab1', account: 'acc', endpoint: 'homestatus', method: 'auto', params: '', wires: [[]] },
    { id: 'catApi', type: 'catch', z: 'tab1', scope: ['api'], uncaught: false, wires: [['keepApiErr']] },
    {
      id: 'keepApiErr',
      type: 'change',
      z: 'tab1',
      rules: [{ t: 'set', p: 'apiCaught', pt: 'global', to: 'error', tot: 'msg' }],
      wires: [],
    },
    { id: 'st', type: 'status', z: 'tab1', scope: ['tok'], wires: [['keepStatus']] },
    {
      id: 'keepStatus',
      type: 'change',
      z: 'tab1',
      rules: [{ t: 'set', p: 'status', pt: 'global', to: 'status.text', tot: 'msg' }],
      wires: [],
    },
  ];

  before(async () => {
    red = await startNodeRed({ settings: { lang: 'fr' }, flows: FLOWS });
  });
  after(async () => {
    if (red) await red.stop();
  });

  async function globalValue(key) {
    const end = Date.now() + 15000;
    for (;;) {
      const res = await fetch(`${red.adminUrl}context/global/${key}`);
      const body = res.status === 200 ? await res.json() : {};
      if (body.msg !== undefined && body.format !== 'undefined') return body;
      if (Date.now() > end) assert.fail(`global.${key} never set`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('msg.error.message and the status are French, msg.error.code stays the code', async () => {
    const fr = catalog('fr')['netatmo-account'];
    assert.equal((await fetch(`${red.adminUrl}inject/inj`, { method: 'POST' })).status, 200);
    const caughtError = JSON.parse((await globalValue('caught')).msg);
    // The failed message sets the node's status again: the status node sees it.
    assert.equal((await globalValue('status')).msg, fr.status.unauthorized);
    assert.equal(caughtError.code, 'NOT_AUTHORIZED');
    assert.match(caughtError.message, new RegExp(fr.errors.NOT_AUTHORIZED.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    // The log line of the account about its missing client id, in French too.
    assert.ok(red.output().includes(fr.log['no-credentials']), 'the French log line is missing');
  });

  it('a netatmo-api node: msg.error.message French with its values, msg.error.code the code', async () => {
    const fr = catalog('fr')['netatmo-account'];
    assert.equal((await fetch(`${red.adminUrl}inject/inj2`, { method: 'POST' })).status, 200);
    const caughtError = JSON.parse((await globalValue('apiCaught')).msg);
    assert.equal(caughtError.code, 'INVALID_INPUT');
    const expected = fr.errors['INVALID_INPUT-param-required'].replace('__endpoint__', 'homestatus').replace('__missing__', 'home_id');
    assert.equal(expected, 'homestatus a besoin de home_id'); // the catalogue's French, filled
    // Node-RED writes the error as err.toString(): the class name may come first.
    assert.match(caughtError.message, /^(NetatmoError: )?homestatus a besoin de home_id$/);
  });
});
