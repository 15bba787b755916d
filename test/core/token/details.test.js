'use strict';
/**
 * Exact texts, tables and limits of the core, checked value by value (found by mutation testing:
 * a changed scope name, error text or bound must fail a test). Real simulator over HTTP.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startSimulator } = require('../../simulator/simulator');
const { NetatmoError, asNetatmoError } = require('../../../dist/core/shared/errors');
const { OAuthClient, parseTokenResponse, DEFAULT_API_BASE } = require('../../../dist/core/token/oauth');
const { SCOPE_GROUPS, ALL_SCOPES, DEFAULT_SCOPE, MAX_SCOPES, parseScope } = require('../../../dist/core/token/scopes');
const { withFileLock } = require('../../../dist/core/token/lock');

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const res = (status, body, headers = {}) => ({ status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
const OK = { access_token: 'at|1', refresh_token: 'rt|1', expires_in: 10800, scope: ['read_station'] };

/** The NetatmoError `fn` throws (sync or async). */
async function errorOf(fn) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof NetatmoError, String(e && e.stack));
    return e;
  }
  assert.fail('expected a NetatmoError');
}

describe('core: the scope table', () => {
  it('lists the groups and scopes the editor offers, as Netatmo names them', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(SCOPE_GROUPS)), [
      { id: 'weather', label: 'Weather station', scopes: ['read_station'] },
      { id: 'energy', label: 'Thermostat, valves (Energy)', scopes: ['read_thermostat', 'write_thermostat'] },
      {
        id: 'cameras',
        label: 'Cameras: Welcome (indoor), Presence (outdoor), Doorbell',
        scopes: [
          'read_camera',
          'write_camera',
          'access_camera',
          'read_presence',
          'write_presence',
          'access_presence',
          'read_doorbell',
          'access_doorbell',
        ],
        hint: 'access_* scopes (live video) need Netatmo to approve your app first.',
      },
      { id: 'alarms', label: 'Smoke and CO alarms', scopes: ['read_smokedetector', 'read_carbonmonoxidedetector'] },
      { id: 'homecoach', label: 'Healthy Home Coach', scopes: ['read_homecoach'] },
      {
        id: 'partners',
        label: 'Legrand/BTicino partners: Magellan, MX, Bubendorff, Smarther, BFI, MHS1',
        scopes: [
          'read_magellan',
          'write_magellan',
          'read_mx',
          'write_mx',
          'read_bubendorff',
          'write_bubendorff',
          'read_smarther',
          'write_smarther',
          'read_bfi',
          'write_bfi',
          'read_mhs1',
          'write_mhs1',
        ],
      },
    ]);
    assert.equal(ALL_SCOPES.length, 26);
    assert.equal(DEFAULT_SCOPE, 'read_station');
    assert.equal(MAX_SCOPES, 64);
  });

  it('parseScope: default, separators, duplicates, and every refusal', () => {
    for (const empty of [undefined, null, '', ' , ']) assert.deepEqual(parseScope(empty), ['read_station'], String(empty));
    assert.deepEqual(parseScope('read_station,,read_thermostat  read_station\tread_x1'), ['read_station', 'read_thermostat', 'read_x1']);
    assert.throws(() => parseScope(42), { name: 'TypeError', message: 'scope must be a string' });
    assert.throws(() => parseScope('a'.repeat(64 * 65 + 1)), { message: `the scope list is longer than ${64 * 65} characters` });
    parseScope(Array.from({ length: 64 }, (_, i) => `s${String(i).padStart(2, '0')}`).join(' ')); // 64 is fine
    assert.throws(() => parseScope(Array.from({ length: 65 }, (_, i) => `s${i}`).join(' ')), { message: 'more than 64 scopes' });
    for (const bad of ['Read_station', 'r', '1read', 'read-station', 'x'.repeat(65), 'ok_scope é'])
      assert.throws(() => parseScope(bad), { message: /is not a Netatmo scope$/ }, bad);
    assert.throws(() => parseScope(`x${'y'.repeat(70)}`), { message: `"x${'y'.repeat(39)}" is not a Netatmo scope` });
    assert.deepEqual(parseScope(`a${'b'.repeat(63)}`), [`a${'b'.repeat(63)}`]);
    const longest = `${Array.from({ length: 64 }, (_, i) => `s${String(i).padStart(2, '0')}${'x'.repeat(61)}`).join(' ')},`;
    assert.equal(longest.length, 64 * 65);
    assert.equal(parseScope(longest).length, 64, 'exactly at the length limit');
  });
});

describe('core: errors, exactly', () => {
  it('a NetatmoError carries only the details it was given', () => {
    const bare = new NetatmoError('SERVER', 'm');
    assert.deepEqual([bare.oauthError, bare.status, bare.retryAfterMs, bare.uncertain], [undefined, undefined, undefined, false]);
    assert.equal(bare.retryable, true);
    const full = new NetatmoError('INVALID_GRANT', 'm', { oauthError: 'invalid_grant', status: 400, retryAfterMs: 5, uncertain: true });
    assert.deepEqual(
      [full.oauthError, full.status, full.retryAfterMs, full.uncertain, full.retryable],
      ['invalid_grant', 400, 5, true, false],
    );
    assert.deepEqual(JSON.parse(JSON.stringify(full)), { code: 'INVALID_GRANT', message: 'm', oauthError: 'invalid_grant' });
  });

  it('reasons and parameters (the keys of translations) are kept exactly', () => {
    const e = new NetatmoError('STORE', 'm', { reason: 'why', params: { file: 'f' } });
    assert.deepEqual([e.reason, e.params], ['why', { file: 'f' }]);
    const bare = new NetatmoError('STORE', 'm');
    assert.deepEqual([bare.reason, bare.params], [undefined, undefined]);
    const sys = asNetatmoError({ code: `E${'X'.repeat(60)}` });
    assert.deepEqual(
      [sys.code, sys.message, sys.reason, sys.params],
      ['STORE', `Unexpected failure (E${'X'.repeat(39)})`, 'unexpected-detail', { detail: `E${'X'.repeat(39)}` }],
    );
    const internal = asNetatmoError(new TypeError('x is not a function'));
    assert.deepEqual([internal.code, internal.message, internal.params], ['INTERNAL', 'Internal error (TypeError)', { name: 'TypeError' }]);
    for (const name of ['lower', 'Bad name!', `X${'y'.repeat(41)}`]) {
      const odd = Object.assign(new Error('m'), { name });
      assert.equal(asNetatmoError(odd).message, 'Internal error (Error)', name);
    }
    const none = asNetatmoError(42);
    assert.deepEqual([none.code, none.message, none.reason], ['STORE', 'Unexpected failure', 'unexpected']);
  });

  it('asNetatmoError: keeps ours, names a foreign code, drops the rest', () => {
    const ours = new NetatmoError('CONFIG', 'x');
    assert.equal(asNetatmoError(ours), ours);
    const e = asNetatmoError(Object.assign(new Error('secret inside'), { code: 'EACCES' }));
    assert.deepEqual([e.code, e.message], ['STORE', 'Unexpected failure (EACCES)']);
    const n = asNetatmoError({ code: 13 }, 'NETWORK');
    assert.deepEqual([n.code, n.message], ['NETWORK', 'Unexpected failure']);
    assert.equal(asNetatmoError(null).message, 'Unexpected failure');
  });
});

describe('core: parseTokenResponse, exactly', () => {
  const parse = (r) => errorOf(() => parseTokenResponse(r, NOW));

  it('a good answer: absolute expiry, scope as array, string (spaces, commas) or missing', () => {
    assert.deepEqual(parseTokenResponse(res(200, OK), NOW), {
      access_token: 'at|1',
      refresh_token: 'rt|1',
      scope: ['read_station'],
      expires_at: NOW + 10800 * 1000,
      obtained_at: NOW,
    });
    assert.deepEqual(parseTokenResponse(res(200, { ...OK, scope: 'a,, b  c' }), NOW).scope, ['a', 'b', 'c']);
    assert.deepEqual(parseTokenResponse(res(200, { ...OK, scope: ' a,b ' }), NOW).scope, ['a', 'b']);
    assert.deepEqual(parseTokenResponse(res(200, { ...OK, scope: ['a', 3, 'b'] }), NOW).scope, ['a', 'b']);
    assert.deepEqual(parseTokenResponse(res(200, { ...OK, scope: undefined }), NOW).scope, []);
    assert.equal(parseTokenResponse(res(200, { ...OK, expires_in: undefined, expire_in: 60 }), NOW).expires_at, NOW + 60_000);
  });

  it('refusals: codes, texts and flags', async () => {
    let e = await parse(res(429, { error: { code: 26 } }, { 'retry-after': '0' }));
    assert.deepEqual([e.code, e.message, e.retryAfterMs, e.status], ['RATE_LIMITED', 'Netatmo asks us to slow down (rate limit)', 0, 429]);
    e = await parse(res(200, { error: { code: 26, message: 'User usage reached' } }));
    assert.deepEqual([e.code, e.retryAfterMs], ['RATE_LIMITED', undefined]);
    assert.equal((await parse(res(429, '', { 'retry-after': '-5' }))).retryAfterMs, 0, 'read as a date in the past');
    for (const bad of ['soon', '']) assert.equal((await parse(res(429, '', { 'retry-after': bad }))).retryAfterMs, undefined, bad);
    // A date is counted from the clock the answer is parsed with.
    const at = new Date(NOW + 120_000).toUTCString();
    assert.equal((await parse(res(429, '', { 'retry-after': at }))).retryAfterMs, 120_000, 'Retry-After as a date');
    assert.equal((await parse(res(429, '', { 'retry-after': new Date(NOW - 60_000).toUTCString() }))).retryAfterMs, 0);

    e = await parse(res(503, 'down'));
    assert.deepEqual([e.code, e.message, e.uncertain], ['SERVER', 'Netatmo answered HTTP 503; will try again', false]);
    e = await parse(res(500, { error: { code: 1 } }));
    assert.equal(e.code, 'SERVER');

    e = await parse(res(400, { error: 'invalid_client' }));
    assert.deepEqual(
      [e.code, e.oauthError, e.message],
      [
        'INVALID_CLIENT',
        'invalid_client',
        'Netatmo refused the client id or secret (invalid_client): check them against your app at dev.netatmo.com',
      ],
    );
    e = await parse(res(400, { error: 'invalid_scope' }));
    assert.deepEqual([e.code, e.oauthError, e.message], ['OAUTH_ERROR', 'invalid_scope', 'Netatmo refused the request (invalid_scope)']);
    for (const name of ['invalid_request', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope', 'access_denied']) {
      e = await parse(res(400, { error: name }));
      assert.deepEqual([e.code, e.oauthError, e.message], ['OAUTH_ERROR', name, `Netatmo refused the request (${name})`]);
    }
    e = await parse(res(400, { error: 'rt|leaked-token-0123456789' }));
    assert.deepEqual([e.code, e.oauthError, e.message], ['OAUTH_ERROR', 'unknown_error', 'Netatmo refused the request (unknown_error)']);

    e = await parse(res(200, '{"access_token": "a'));
    assert.deepEqual([e.code, e.message, e.uncertain], ['BAD_RESPONSE', "Netatmo's answer (HTTP 200) was not JSON or was cut short", true]);
    e = await parse(res(302, { moved: true }));
    assert.deepEqual([e.code, e.message, e.uncertain, e.status], ['OAUTH_ERROR', 'Netatmo answered HTTP 302', false, 302]);
    e = await parse(res(403, { error: { code: 3, message: 'x' } }));
    assert.deepEqual([e.code, e.message], ['OAUTH_ERROR', 'Netatmo answered HTTP 403']);
    for (const body of [
      { ...OK, access_token: '' },
      { ...OK, refresh_token: '' },
      { ...OK, access_token: 1 },
      { ...OK, refresh_token: undefined },
    ]) {
      e = await parse(res(200, body));
      assert.deepEqual([e.code, e.message, e.uncertain], ['BAD_RESPONSE', "Netatmo's answer has no access or refresh token", true]);
    }
    for (const expires_in of [0, -1, 'soon', undefined]) {
      e = await parse(res(200, { ...OK, expires_in }));
      assert.deepEqual([e.code, e.message, e.uncertain], ['BAD_RESPONSE', "Netatmo's answer has no valid expires_in", true]);
    }
  });
});

describe('core: OAuthClient, exactly', function () {
  this.timeout(10000);
  let sim;
  before(async () => {
    sim = await startSimulator({ clients: { 'id-details': 'secret-details-42' } });
  });
  after(() => sim.close());
  const client = (opts = {}) => new OAuthClient({ clientId: 'id-details', clientSecret: 'secret-details-42', apiBase: sim.url, ...opts });

  it('the API base: Netatmo by default, trailing slashes removed', async () => {
    assert.equal(DEFAULT_API_BASE, 'https://api.netatmo.com');
    assert.equal(new OAuthClient({ clientId: 'a', clientSecret: 'b' }).apiBase, 'https://api.netatmo.com');
    const c = client({ apiBase: `${sim.url}///` });
    assert.equal(c.apiBase, sim.url);
    const t = await c.refresh(sim.issueTokens({ clientId: 'id-details' }).refresh_token);
    assert.equal(typeof t.access_token, 'string');
    assert.equal(sim.lastTokenRequest.grant_type, 'refresh_token');
    assert.equal(sim.lastTokenRequest.client_secret, 'secret-details-42');
  });

  it('redact replaces the client secret (6 characters or more) and nothing else', () => {
    assert.equal(client().redact('a secret-details-42 b secret-details-42'), 'a secr… b secr…');
    assert.equal(client().redact('nothing here'), 'nothing here');
    const six = new OAuthClient({ clientId: 'a', clientSecret: 'abcdef' });
    assert.equal(six.redact('x abcdef y'), 'x abcd… y');
    const five = new OAuthClient({ clientId: 'a', clientSecret: 'abcde' });
    assert.equal(five.redact('x abcde y'), 'x abcde y');
  });

  it('transport failures: NETWORK naming the host and cause, TIMEOUT, and whether Netatmo may have acted', async () => {
    const closed = await new Promise((resolve) => {
      const s = require('node:net').createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = s.address().port;
        s.close(() => resolve(port));
      });
    });
    let e = await errorOf(() => client({ apiBase: `http://127.0.0.1:${closed}` }).refresh('rt|x'));
    assert.deepEqual([e.code, e.message, e.uncertain], ['NETWORK', `Cannot reach 127.0.0.1:${closed} (ECONNREFUSED)`, false]);
    sim.injectFault('reset');
    e = await errorOf(() => client().refresh('rt|x'));
    assert.deepEqual([e.code, e.uncertain], ['NETWORK', true]);
    assert.match(e.message, /^Cannot reach 127\.0\.0\.1:\d+ \((ECONNRESET|EPIPE|ERR_BAD_RESPONSE)\)$/);
    sim.injectFault('hang');
    e = await errorOf(() => client({ timeoutMs: 300 }).refresh('rt|x'));
    assert.deepEqual([e.code, e.message, e.uncertain], ['TIMEOUT', `No answer from ${new URL(sim.url).host} within 0 s`, true]);
    sim.clearFaults();
    sim.injectFault('hang');
    e = await errorOf(() => client({ timeoutMs: 1600 }).refresh('rt|x'));
    assert.equal(e.message, `No answer from ${new URL(sim.url).host} within 2 s`);
    sim.clearFaults();
    e = await errorOf(() => client({ apiBase: 'not a url' }).refresh('rt|x'));
    assert.equal(e.code, 'NETWORK');
    assert.match(e.message, /^Cannot reach the Netatmo server/);
  });
});

describe('core: withFileLock', () => {
  it('another holder: waits up to waitMs, then STORE naming the file; released after', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-lock-'));
    const file = path.join(dir, 'x.json');
    try {
      let release;
      const held = withFileLock(file, () => new Promise((r) => (release = r)));
      while (!release) await new Promise((r) => setImmediate(r));
      const started = Date.now();
      const e = await errorOf(() => withFileLock(file, async () => 'never', { waitMs: 400 }));
      assert.deepEqual([e.code, e.message], ['STORE', `${file} is locked by another process (ELOCKED)`]);
      assert.ok(Date.now() - started >= 100, `it waited for the holder (${Date.now() - started} ms)`);
      release('done');
      assert.equal(await held, 'done');
      assert.equal(fs.existsSync(`${file}.lock`), false, 'the lock is released');
      assert.equal(await withFileLock(file, async () => 'next', { waitMs: 100 }), 'next');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('core: TokenStore, exactly', () => {
  const { TokenStore } = require('../../../dist/core/token/store');
  const util = require('node:util');
  let dir;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-store-details-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tokens = (n = 1) => ({
    access_token: `access${n}|x`,
    refresh_token: `refresh${n}|y`,
    scope: ['read_station'],
    expires_at: NOW + 1000,
    obtained_at: NOW,
  });
  const file = () => path.join(dir, 'acc1.json');

  it('peek: null when missing; a damaged file is STORE_CORRUPT saying why, and left in place', async () => {
    const store = new TokenStore({ dir });
    assert.equal(await store.peek('acc1'), null);
    const cases = [
      ['{"version":1,"acc', 'not JSON'],
      ['{"version":2,"account":{}}', 'unknown format'],
      ['null', 'unknown format'],
      [JSON.stringify({ version: 1, account: { tokens: null } }), 'missing fields'],
    ];
    for (const [text, why] of cases) {
      fs.writeFileSync(file(), text);
      const e = await errorOf(() => store.peek('acc1'));
      assert.deepEqual(
        [e.code, e.message],
        ['STORE_CORRUPT', `The token file ${file()} cannot be decoded (${why}); it was left untouched`],
      );
      assert.equal(fs.readFileSync(file(), 'utf8'), text);
    }
    await new TokenStore({ dir, secret: 'one-secret' }).write('acc1', { tokens: tokens() });
    const before = fs.readFileSync(file(), 'utf8');
    for (const other of [new TokenStore({ dir, secret: 'another-secret' }), new TokenStore({ dir })]) {
      const e = await errorOf(() => other.peek('acc1'));
      assert.equal(e.code, 'STORE');
      assert.equal(e.reason, 'secret');
      assert.match(e.message, /was written with another credentialSecret \(.*\); it was left untouched/);
    }
    assert.equal(fs.readFileSync(file(), 'utf8'), before);
    assert.deepEqual(await new TokenStore({ dir, secret: 'one-secret' }).peek('acc1'), { tokens: tokens() });
  });

  it('every field of a login is required, with its type', async () => {
    const store = new TokenStore({ dir });
    const good = tokens();
    for (const bad of [
      { ...good, access_token: 1 },
      { ...good, refresh_token: 2 },
      { ...good, refresh_token: '' },
      { ...good, expires_at: '1' },
      { ...good, scope: 'read_station' },
    ]) {
      fs.writeFileSync(file(), JSON.stringify({ version: 1, account: { tokens: bad } }));
      const e = await errorOf(() => store.peek('acc1'));
      assert.match(e.message, /\(missing fields\)/, JSON.stringify(bad));
    }
    fs.writeFileSync(file(), JSON.stringify({ version: 1, account: { tokens: { ...good, access_token: '' } } }));
    assert.deepEqual(
      (await store.peek('acc1')).tokens.access_token,
      '',
      'an empty access token is still a login (the refresh token counts)',
    );
  });

  it('upgrade: a clear-text or older-secret file is re-encrypted with the first secret, once', async () => {
    await new TokenStore({ dir }).write('acc1', { tokens: tokens() });
    const store = new TokenStore({ dir, secret: ['new-secret', 'old-secret'] });
    assert.deepEqual(await store.read('acc1'), { tokens: tokens() });
    assert.equal(store.isOutdated('acc1'), true, 'clear text while a secret is set');
    assert.equal(await store.upgrade('acc1'), true);
    assert.equal(JSON.parse(fs.readFileSync(file(), 'utf8')).encrypted, 'aes-256-gcm');
    assert.equal(store.isOutdated('acc1'), false);
    assert.equal(await store.upgrade('acc1'), false, 'nothing left to do');
    await new TokenStore({ dir, secret: 'old-secret' }).write('acc1', { tokens: tokens(2) });
    assert.deepEqual(await store.read('acc1'), { tokens: tokens(2) });
    assert.equal(store.isOutdated('acc1'), true, 'written with the older secret');
    assert.equal(await store.upgrade('acc1'), true);
    assert.deepEqual(await new TokenStore({ dir, secret: 'new-secret' }).read('acc1'), { tokens: tokens(2) });
    const clear = new TokenStore({ dir: path.join(dir, 'clear') });
    await clear.write('acc1', { tokens: tokens() });
    await clear.read('acc1');
    assert.equal(clear.isOutdated('acc1'), false, 'clear text without a secret is as it should be');
    assert.equal(await clear.upgrade('acc1'), false);
    assert.equal(await new TokenStore({ dir: path.join(dir, 'none') }).upgrade('acc1'), false, 'no file');
  });

  it('secrets: a function asked each time (a throwing one means none), an empty first one writes clear text', async () => {
    let current = 'first-secret';
    const store = new TokenStore({ dir, secret: () => current });
    await store.write('acc1', { tokens: tokens() });
    assert.equal(JSON.parse(fs.readFileSync(file(), 'utf8')).encrypted, 'aes-256-gcm');
    current = 'second-secret';
    await errorOf(() => store.peek('acc1'));
    current = 'first-secret';
    assert.deepEqual(await store.peek('acc1'), { tokens: tokens() });
    const throwing = new TokenStore({
      dir: path.join(dir, 't'),
      secret: () => {
        throw new Error('no settings yet');
      },
    });
    await throwing.write('acc1', { tokens: tokens() });
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 't', 'acc1.json'), 'utf8')).account, { tokens: tokens() });
    const emptyFirst = new TokenStore({ dir: path.join(dir, 'e'), secret: ['', 'first-secret'] });
    await emptyFirst.write('acc1', { tokens: tokens() });
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'e', 'acc1.json'), 'utf8')).encrypted, undefined);
    fs.copyFileSync(file(), path.join(dir, 'e', 'acc1.json'));
    assert.deepEqual(await emptyFirst.read('acc1'), { tokens: tokens() }, 'any secret of the list decrypts');
  });

  it('the secret and its keys never show in inspect or JSON', async () => {
    const store = new TokenStore({ dir, secret: 'do-not-show-me-42' });
    await store.write('acc1', { tokens: tokens() });
    await store.read('acc1');
    assert.ok(!util.inspect(store, { depth: 5, showHidden: false }).includes('do-not-show-me-42'));
    assert.ok(!JSON.stringify(store).includes('do-not-show-me-42'));
    assert.ok(!Object.keys(store).includes('secret') && !Object.keys(store).includes('keyCache'), Object.keys(store).join());
  });

  it('keepAside moves the file under a unique, cleaned name; none: undefined; cannot: STORE', async () => {
    const store = new TokenStore({ dir });
    assert.equal(await store.keepAside('acc1'), undefined);
    await store.write('acc1', { tokens: tokens() });
    const text = fs.readFileSync(file(), 'utf8');
    const aside = await store.keepAside('acc1');
    assert.match(path.basename(aside), /^acc1\.json\.unreadable-\d{13}-[0-9a-f]{6}$/);
    assert.equal(fs.readFileSync(aside, 'utf8'), text);
    assert.equal(fs.existsSync(file()), false);
    await store.write('acc1', { tokens: tokens() });
    assert.match(path.basename(await store.keepAside('acc1', 'bad/../name!')), /^acc1\.json\.badname-\d{13}-[0-9a-f]{6}$/);
    const blocked = new TokenStore({ dir: path.join(file(), 'sub') }); // a file where the folder should be
    fs.writeFileSync(file(), 'x');
    const e = await errorOf(() => blocked.keepAside('acc1'));
    assert.deepEqual([e.code, e.message], ['STORE', `Cannot move the token file ${path.join(file(), 'sub', 'acc1.json')} aside (ENOTDIR)`]);
  });

  it('writes and reads leave no file descriptor open', async function () {
    this.timeout(10_000); // 20 fsynced writes: over the mutation run's 1 s on a loaded machine
    const open = () => fs.readdirSync('/proc/self/fd').length;
    const store = new TokenStore({ dir, secret: 'fd-secret' });
    await store.write('acc1', { tokens: tokens() });
    const before = open();
    for (let i = 0; i < 20; i++) {
      await store.write('acc1', { tokens: tokens(i) });
      await store.read('acc1');
    }
    assert.equal(open(), before, 'file descriptors leaked');
  });

  it('failures name the file or folder and the cause', async () => {
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    let e = await errorOf(() => new TokenStore({ dir: path.join(dir, 'plain') }).write('acc1', { tokens: tokens() }));
    assert.match(e.message, new RegExp(`^Cannot create the token folder ${path.join(dir, 'plain')} \\((EEXIST|ENOTDIR)\\)$`));
    e = await errorOf(() => new TokenStore({ dir: path.join(dir, 'plain') }).read('acc1'));
    assert.deepEqual(
      [e.code, e.message],
      ['STORE', `Cannot read the token file ${path.join(dir, 'plain', 'acc1.json')} (ENOTDIR): check its owner and permissions`],
    );
    fs.mkdirSync(file()); // a folder where the file should be: the rename fails
    e = await errorOf(() => new TokenStore({ dir }).write('acc1', { tokens: tokens() }));
    assert.match(e.message, new RegExp(`^Cannot write the token file ${file()} \\((EISDIR|ENOTEMPTY|EEXIST)\\)$`));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['acc1.json', 'plain'], 'the temp file is removed');
    fs.rmdirSync(file());
    await new TokenStore({ dir }).remove('acc1'); // nothing to remove: fine
    await new TokenStore({ dir }).write('acc1', { tokens: tokens() });
    await new TokenStore({ dir }).remove('acc1');
    assert.equal(fs.existsSync(file()), false);
  });
});

describe('core: TokenManager, what it says', () => {
  const { useCoreEnv, rejectsWith, CLIENT_ID } = require('../../helpers/core-env');
  const env = useCoreEnv();
  const logger = () => {
    const lines = [];
    const at = (level) => (m) => lines.push(`${level} ${m}`);
    return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  };
  const p4 = (s) => `${s.slice(0, 4)}…`;
  const iso = (ms) => new Date(ms).toISOString();

  it('tells each step of a login and its refreshes, tokens cut to 4 characters', async () => {
    const log = logger();
    const mgr = env.manager({ logger: log });
    assert.deepEqual(mgr.state, { status: 'unauthorized', authorized: false });
    await mgr.start();
    const code = env.sim.issueCode({
      clientId: CLIENT_ID,
      redirectUri: 'http://localhost/',
      scope: 'read_station',
    });
    const first = await mgr.authorizeWithCode(code, 'http://localhost/', 'read_station');
    const again = logger();
    const restarted = env.manager({ logger: again });
    await restarted.start();
    env.now = first.expires_at + 1;
    const next = await restarted.getToken();
    assert.deepEqual(log.lines, [
      `debug start: no token file ${env.file()}`,
      'debug authorize: exchanging a code for a new login',
      'info Authorized for scopes read_station',
    ]);
    assert.deepEqual(again.lines, [
      `debug start: stored refresh token ${p4(first.refresh_token)}, access token ${p4(first.access_token)} valid until ${iso(first.expires_at)}`,
      'debug refresh: lock taken',
      `debug refresh: sending refresh token ${p4(first.refresh_token)}`,
      `debug refresh: received refresh token ${p4(next.refresh_token)}, access token ${p4(next.access_token)}; storing them`,
      `debug refresh: stored new refresh token ${p4(next.refresh_token)}, access token ${p4(next.access_token)} valid until ${iso(next.expires_at)}`,
    ]);
    // The first manager is behind: it adopts the stored pair without a request.
    log.lines.length = 0;
    assert.deepEqual(await mgr.getToken(), next);
    assert.deepEqual(log.lines, [`debug refresh: the stored token ${p4(next.access_token)} is still fresh; no request`]);
  });

  it('tells failures once, with what happens next', async () => {
    const old = await env.storedLogin();
    const log = logger();
    const mgr = env.manager({ logger: log });
    await mgr.start();
    log.lines.length = 0;
    env.now = old.expires_at + 1;
    env.sim.injectFault('http500');
    await rejectsWith(mgr.getToken(), 'SERVER');
    const warn = log.lines.find((l) => l.startsWith('warn '));
    assert.match(
      warn,
      /^warn Token refresh failed \(SERVER: Netatmo answered HTTP 500; will try again\); retrying in (1\.[5-9]|2(\.[0-5])?) s with the same refresh token$/,
    );
    assert.ok(log.lines.includes('debug refresh: failed with SERVER'), log.lines.join('\n'));
    env.now = mgr.state.retry_at + 1;
    env.sim.injectFault('lost');
    await rejectsWith(mgr.getToken(), 'NETWORK');
    assert.ok(
      log.lines.some((l) => /^debug refresh: failed with NETWORK, Netatmo may have rotated the token$/.test(l)),
      log.lines.join('\n'),
    );
    env.now = mgr.state.retry_at + 1;
    log.lines.length = 0;
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    const message =
      "Netatmo refused the stored refresh token (invalid_grant). The last refresh may have succeeded on Netatmo's side but its answer was lost; re-authorize the account";
    assert.deepEqual(log.lines.slice(-2), [
      'debug refresh: failed with INVALID_GRANT (invalid_grant)',
      `error ${message}. Open the Netatmo account in the Node-RED editor and click Authorize.`,
    ]);
    assert.deepEqual([mgr.state.error.code, mgr.state.error.message], ['REAUTHORIZE', message]);
    log.lines.length = 0;
    const again = await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(again.oauthError, 'invalid_grant');
    assert.deepEqual(log.lines, ['debug refresh: REAUTHORIZE again'], 'said once');
  });

  it('invalid_grant without a lost answer, invalid_client, no client, no login: each its own words', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    env.now = old.expires_at + 1;
    env.sim.injectFault('invalid_grant');
    let e = await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(
      e.message,
      'Netatmo refused the stored refresh token (invalid_grant): the login is no longer valid; re-authorize the account',
    );
    assert.equal(env.onDisk().invalid.code, 'invalid_grant');
    assert.equal(env.onDisk().invalid.at, env.now);

    const other = await env.storedLogin();
    const m2 = env.manager();
    await m2.start();
    env.now = other.expires_at + 1;
    env.sim.injectFault('invalid_client');
    e = await rejectsWith(m2.getToken(), 'REAUTHORIZE');
    assert.equal(
      e.message,
      'Netatmo refused the client id or secret (invalid_client): check them against your app at dev.netatmo.com, deploy, and authorize again',
    );
    assert.equal(e.oauthError, 'invalid_client');
    assert.equal(env.onDisk().invalid.code, 'invalid_client');

    e = await rejectsWith(env.manager({ client: undefined }).authorizeWithRefreshToken('rt|x'), 'CONFIG');
    assert.equal(e.message, 'The account has no client id or secret');
    const fresh = env.manager({ store: env.store({ dir: path.join(env.dir, 'empty') }) });
    await fresh.start();
    e = await rejectsWith(fresh.getToken(), 'NOT_AUTHORIZED');
    assert.equal(e.message, 'Not authorized yet: open the account in the editor and click Authorize');
  });

  it('a token file removed while running: said, and said until the next login', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    fs.rmSync(env.file());
    env.now = old.expires_at + 1;
    const said = `The token file ${env.file()} has disappeared (removed outside Node-RED?): open the account in the editor and click Authorize`;
    let e = await rejectsWith(mgr.getToken(), 'NOT_AUTHORIZED');
    assert.equal(e.message, said);
    e = await rejectsWith(mgr.getToken(), 'NOT_AUTHORIZED');
    assert.equal(e.message, said, 'still said');
    assert.equal(mgr.state.status, 'unauthorized');
    await mgr.authorizeWithRefreshToken(env.sim.issueTokens({ clientId: CLIENT_ID }).refresh_token);
    assert.equal(mgr.state.status, 'ok');
    assert.equal(env.sim.stats.refreshRequests, 1);
  });
});

describe('core: TokenManager, at the edges', () => {
  const { useCoreEnv, until, rejectsWith, MIN } = require('../../helpers/core-env');
  const env = useCoreEnv();

  it('exactly at the margin a refresh starts; exactly at the minimum lifetime the token is no longer handed out', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager({ marginMs: 5 * MIN });
    await mgr.start();
    const release = env.sim.hold();
    env.now = old.expires_at - 5 * MIN - 1;
    assert.deepEqual(mgr.fresh(), old);
    assert.equal(mgr.state.status, 'ok');
    env.now = old.expires_at - 5 * MIN;
    assert.deepEqual(mgr.fresh(), old);
    assert.equal(mgr.state.status, 'refreshing', 'at the margin: due');
    env.now = old.expires_at - 10_000;
    assert.equal(mgr.fresh(), undefined, 'at the minimum remaining lifetime: not handed out');
    release();
    await mgr.refresh();
  });

  it('inside the margin after a failure: the old token is handed out, no new request before retry_at, one at it', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager({ marginMs: 5 * MIN });
    await mgr.start();
    env.now = old.expires_at - 4 * MIN;
    env.sim.injectFault('http500');
    await rejectsWith(mgr.refresh(), 'SERVER');
    const retryAt = mgr.state.retry_at;
    assert.ok(retryAt > env.now);
    env.now = retryAt - 1;
    assert.deepEqual(mgr.fresh(), old);
    assert.deepEqual(await mgr.getToken(), old);
    assert.equal(env.sim.stats.refreshRequests, 1, 'no request before retry_at');
    assert.equal(mgr.state.status, 'retrying');
    env.now = retryAt;
    assert.deepEqual(mgr.fresh(), old, 'still handed out while the retry runs');
    assert.equal(mgr.state.status, 'refreshing');
    const next = await mgr.refresh();
    assert.equal(env.sim.stats.refreshRequests, 2);
    assert.deepEqual(mgr.fresh(), next);
  });

  it('stop() waits for the refresh under way to be stored, at most waitMs; at once when idle', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    let idle = false;
    await mgr.stop().then(() => (idle = true));
    assert.equal(idle, true);
    env.now = old.expires_at + 1;
    const release = env.sim.hold();
    const refresh = mgr.getToken();
    await until(() => env.sim.stats.refreshRequests === 1, 'the refresh request');
    let stopped = false;
    const stopping = mgr.stop(60_000).then(() => (stopped = true));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false, 'stop() waits while the refresh is under way');
    release();
    await stopping;
    const next = await refresh;
    assert.deepEqual(env.onDisk(), { tokens: next }, 'stored before stop() resolved');

    env.now = next.expires_at + 1;
    const release2 = env.sim.hold();
    const second = mgr.getToken();
    await until(() => env.sim.stats.refreshRequests === 2, 'the second refresh request');
    const started = Date.now();
    await mgr.stop(100);
    assert.ok(Date.now() - started >= 90, 'gave up after waitMs');
    release2();
    await second;
  });

  it('start() re-encrypts a clear-text file with the current secret, and says so', async () => {
    const old = await env.storedLogin(env.store());
    const lines = [];
    const log = { debug() {}, info: (m) => lines.push(m), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
    const mgr = env.manager({ store: env.store({ secret: 'now-a-secret' }), logger: log });
    await mgr.start();
    assert.deepEqual(lines, [`The token file ${env.file()} is now encrypted with Node-RED's current credential secret`]);
    assert.equal(JSON.parse(fs.readFileSync(env.file(), 'utf8')).encrypted, 'aes-256-gcm');
    assert.deepEqual(mgr.fresh(), old);
  });
});

describe('core: TokenManager defaults and memory', () => {
  const { useCoreEnv, until, rejectsWith, CLIENT_ID, MIN } = require('../../helpers/core-env');
  const env = useCoreEnv();
  const capture = () => {
    const lines = [];
    const at = (level) => (m) => lines.push(`${level} ${m}`);
    return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  };

  it('defaults: a 429 without Retry-After waits a minute (up to +25%), re-authorization is throttled for 5 minutes', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    env.now = old.expires_at + 1;
    env.sim.injectFault('http429');
    await rejectsWith(mgr.getToken(), 'RATE_LIMITED');
    const wait = mgr.state.retry_at - env.now;
    assert.ok(wait >= MIN && wait <= 1.25 * MIN, `waits ${wait} ms`);
    env.now = mgr.state.retry_at;
    env.sim.injectFault('http429', { retryAfter: 30 });
    await rejectsWith(mgr.getToken(), 'RATE_LIMITED');
    const asked = mgr.state.retry_at - env.now;
    assert.ok(asked >= 30_000 && asked <= 37_500, `Retry-After 30 s: waits ${asked} ms`);
    env.now = mgr.state.retry_at;
    env.sim.injectFault('invalid_grant', { count: 5 });
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    const requests = env.sim.stats.tokenRequests;
    const refusedAt = env.now;
    env.now = refusedAt + 5 * MIN - 1;
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(env.sim.stats.tokenRequests, requests, 'throttled for 5 minutes');
    env.now = refusedAt + 5 * MIN;
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(env.sim.stats.tokenRequests, requests + 1, 'one request after 5 minutes');
  });

  it('autoRefresh is on by default', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager({ autoRefresh: undefined, marginMs: 5 * MIN });
    env.now = old.expires_at - 5 * MIN - 20;
    await mgr.start();
    env.now += 21;
    await until(() => env.sim.stats.refreshRequests === 1 && mgr.state.status === 'ok', 'a refresh on the timer');
  });

  it('the refresh is marked in the file before it is sent, with the time of the first attempt', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    env.now = old.expires_at + 1;
    const firstTry = env.now;
    env.sim.injectFault('lost');
    await rejectsWith(mgr.getToken(), 'NETWORK');
    env.now = mgr.state.retry_at + 1;
    const release = env.sim.hold();
    const p = mgr.getToken().catch((e) => e);
    await until(() => env.sim.stats.refreshRequests === 2, 'the retry');
    assert.equal(env.onDisk().pending, firstTry, 'still the first attempt');
    release();
    assert.equal((await p).code, 'REAUTHORIZE', 'the lost answer had rotated the token');
    const fresh = await env.storedLogin();
    const m2 = env.manager({ store: env.store() });
    await m2.start();
    env.now = fresh.expires_at + 1;
    const release2 = env.sim.hold();
    const q = m2.getToken();
    await until(() => env.sim.stats.refreshRequests === 3, 'the refresh');
    assert.equal(env.onDisk().pending, env.now, 'marked at the first attempt');
    release2();
    await q;
    assert.equal(env.onDisk().pending, undefined, 'the mark goes with the answer');
  });

  it('after a lost answer and a successful retry, a later refusal does not blame the lost answer', async () => {
    const old = await env.storedLogin();
    const mgr = env.manager();
    await mgr.start();
    env.now = old.expires_at + 1;
    env.sim.injectFault('reset');
    await rejectsWith(mgr.getToken(), 'NETWORK');
    env.now = mgr.state.retry_at + 1;
    const t = await mgr.getToken();
    env.now = t.expires_at + 1;
    env.sim.injectFault('invalid_grant');
    const e = await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(
      e.message,
      'Netatmo refused the stored refresh token (invalid_grant): the login is no longer valid; re-authorize the account',
    );
  });

  it('start() says when the stored login was refused or its refresh interrupted; a pasted refresh token is announced', async () => {
    const old = await env.storedLogin();
    const store = env.store();
    await store.write('acc1', { tokens: old, invalid: { code: 'invalid_grant', message: 'refused', at: env.now }, pending: env.now });
    const log = capture();
    const mgr = env.manager({ logger: log });
    await mgr.start();
    assert.match(log.lines[0], / \(refused: invalid_grant\) \(a refresh was interrupted\)$/);
    assert.equal(mgr.state.status, 'reauthorize');
    log.lines.length = 0;
    await mgr.authorizeWithRefreshToken(env.sim.issueTokens({ clientId: CLIENT_ID }).refresh_token);
    assert.deepEqual(log.lines, ['debug authorize: exchanging a refresh token for a new login', 'info Authorized for scopes read_station']);
  });

  it('a repeated failure is logged once; a different one is logged again', async () => {
    const old = await env.storedLogin();
    const log = capture();
    const mgr = env.manager({ logger: log, retryBaseMs: 10 });
    await mgr.start();
    env.now = old.expires_at + 1;
    env.sim.injectFault('invalid_client', { count: 3 });
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    const errors = () => log.lines.filter((l) => l.startsWith('error ')).length;
    assert.equal(errors(), 1);
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.equal(errors(), 1, 'the same refusal is not logged again');
  });
});

describe('core: TokenManager, a pair it could not store', () => {
  const { useCoreEnv, until, rejectsWith, CLIENT_ID } = require('../../helpers/core-env');
  const env = useCoreEnv();

  /** Refreshes while the token folder cannot be written: Netatmo rotates, the store fails. */
  async function unsavedRefresh(mgr, logger) {
    const release = env.sim.hold();
    const p = mgr.getToken();
    await until(() => env.sim.stats.refreshRequests === 1, 'the refresh request');
    const moved = `${env.dir}-moved`;
    fs.renameSync(env.dir, moved);
    fs.writeFileSync(env.dir, 'not a folder');
    release();
    const e = await rejectsWith(p, 'STORE');
    assert.match(e.message, /; the new tokens are kept in memory and stored as soon as the file can be written$/);
    assert.match(
      logger.lines.find((l) => l.startsWith('warn ')),
      /^warn Storing the new tokens failed \(STORE: .*\); retrying in [0-9.]+ s keeping them in memory until then$/,
    );
    fs.rmSync(env.dir, { force: true });
    fs.rmSync(path.join(moved, 'acc1.json.lock'), { recursive: true, force: true });
    fs.renameSync(moved, env.dir);
  }
  const capture = () => {
    const lines = [];
    const at = (level) => (m) => lines.push(`${level} ${m}`);
    return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  };

  it('stored on the next try, and said so', async () => {
    const old = await env.storedLogin();
    const log = capture();
    const mgr = env.manager({ logger: log });
    await mgr.start();
    env.now = old.expires_at + 1;
    await unsavedRefresh(mgr, log);
    const kept = env.sim.currentRefreshTokens().filter((rt) => rt !== old.refresh_token);
    env.now = mgr.state.retry_at + 1;
    const t = await mgr.getToken();
    assert.deepEqual([t.refresh_token], kept);
    assert.ok(log.lines.includes(`info The new tokens kept in memory are now stored in ${env.file()}`), log.lines.join('\n'));
    assert.equal(env.sim.stats.refreshRequests, 1);
    assert.equal(mgr.state.last_refresh, t.obtained_at);
    env.sim.injectFault('invalid_grant');
    env.now = t.expires_at + 1;
    const e = await rejectsWith(mgr.getToken(), 'REAUTHORIZE');
    assert.doesNotMatch(e.message, /may have succeeded/, 'the kept pair was no lost answer');
  });

  it('a newer login stored meanwhile (a new authorization) wins over the kept pair', async () => {
    const old = await env.storedLogin();
    const log = capture();
    const mgr = env.manager({ logger: log });
    await mgr.start();
    env.now = old.expires_at + 1;
    await unsavedRefresh(mgr, log);
    const newer = env.sim.issueTokenSet({ clientId: CLIENT_ID, now: env.now });
    await env.store().write('acc1', { tokens: newer });
    env.now = mgr.state.retry_at + 1;
    assert.deepEqual(await mgr.getToken(), newer);
    assert.deepEqual(env.onDisk(), { tokens: newer });
    assert.equal(env.sim.stats.refreshRequests, 1);
  });

  it('kept pair already due when stored: stored, then refreshed at once', async () => {
    const old = await env.storedLogin();
    const log = capture();
    const mgr = env.manager({ logger: log });
    await mgr.start();
    env.now = old.expires_at + 1;
    await unsavedRefresh(mgr, log);
    const kept = env.sim.currentRefreshTokens().find((rt) => rt !== old.refresh_token);
    env.now += 4 * 3600 * 1000; // the kept pair has expired meanwhile
    const t = await mgr.getToken();
    assert.equal(env.sim.stats.refreshRequests, 2);
    assert.equal(env.sim.lastTokenRequest.refresh_token, kept, 'refreshed with the kept pair');
    assert.deepEqual(env.onDisk(), { tokens: t });
  });
});
