'use strict';
/**
 * The command line tool `netatmo-tokens` (dist/cli/main.js, built by `npx tsc -p .`), run as a real
 * process against the Netatmo simulator, in temporary folders. The spec is the manual of
 * netatmo_manage_tokens.php (shared/seed): same files, commands and exit codes.
 *
 * Exit codes that cannot be produced on purpose: 30/32/34 ("does not exist" after writing: the
 * file vanishing between our rename and our read-back needs another process racing us) and 1
 * (a bug). "Cannot be written" (31/33/35): tests run as root, for whom chmod stops no write, so the
 * target path is made a directory instead (renaming a file onto a directory fails, for root too).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { startSimulator } = require('../simulator/simulator');
const { execFile } = require('node:child_process');
const { MAIN, startCli, runCli, acceptInBrowser, tmpDir, removeTmpDirs, writeParameters, read, mode } = require('../helpers/cli');
const { withFileLock } = require('../../dist/core/token/lock');
const { TokenStore } = require('../../dist/core/token/store');
const { TokenManager } = require('../../dist/core/token/manager');
const { OAuthClient } = require('../../dist/core/token/oauth');

const CLIENT_ID = 'cli-test-client-id';
const CLIENT_SECRET = 'CLI-test-s3cret-0123456789abcdef';
const TTL = 10800;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A token as printed without --show-tokens: Netatmo's "<user id>|<random>", 4 characters after the "|". */
const short = (token) => `…|${token.split('|')[1].slice(0, 4)}…`;

describe('netatmo-tokens (command line)', function () {
  this.timeout(30000);
  let sim;
  /** Answers of the token endpoint other than 200, counted by wrapping the simulator. */
  let refused;

  before(async function () {
    assert.ok(fs.existsSync(MAIN), 'dist/cli/main.js is missing: run npx tsc -p . first');
    sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET } });
    for (const grant of ['refresh', 'exchangeCode']) {
      const original = sim[grant].bind(sim);
      sim[grant] = (form) => {
        const reply = original(form);
        if (reply.status !== 200) refused.push({ grant, body: reply.body });
        return reply;
      };
    }
  });
  after(async () => {
    if (sim) await sim.close();
    removeTmpDirs();
  });
  beforeEach(() => {
    refused = [];
    sim.clearFaults();
    sim.resetStats();
  });

  const env = (extra = {}) => ({ NETATMO_API_BASE: sim.url, ...extra });
  const cli = (args, dir, extra) => runCli(args, { cwd: dir, env: env(extra) });
  const params = (dir, over = {}) => writeParameters(dir, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...over });

  /** A folder as after `netatmo-tokens <code>`: parameters and the three token files. */
  function folderWithTokens() {
    const dir = tmpDir();
    params(dir);
    const t = sim.issueTokens({ clientId: CLIENT_ID, scope: 'read_station' });
    fs.writeFileSync(path.join(dir, 'file_access_token.txt'), t.access_token);
    fs.writeFileSync(path.join(dir, 'file_refresh_token.txt'), t.refresh_token);
    fs.writeFileSync(path.join(dir, 'file_expire_time.txt'), String(Math.floor(Date.now() / 1000) + TTL));
    return { dir, tokens: t };
  }

  function assertNoLeak(text, allowed = []) {
    assert.ok(!text.includes(CLIENT_SECRET), 'the client secret was printed');
    for (const s of sim.issuedSecrets()) {
      if (!allowed.includes(s)) assert.ok(!text.includes(s), `a token or code was printed: ${s.slice(0, 6)}...`);
    }
  }

  // ---------------------------------------------------------------- arguments

  describe('usage and arguments (100, 101)', function () {
    it('no parameter: usage, exit 100; usage: exit 101; --help: 0; per command help', async function () {
      const dir = tmpDir();
      const [none, usage, help, refreshHelp, helpCode, zero] = await Promise.all([
        cli([], dir),
        cli(['usage'], dir),
        cli(['--help'], dir),
        cli(['refresh', '--help'], dir),
        cli(['help', 'code'], dir),
        cli(['usage', '--exit-zero'], dir),
      ]);
      assert.equal(none.code, 100);
      assert.match(none.stdout, /Usage: netatmo-tokens \[usage\|display\|<code>\|current\|refresh/);
      assert.equal(usage.code, 101);
      assert.match(usage.stdout, /Exit codes/);
      assert.equal(help.code, 0);
      assert.equal(refreshHelp.code, 0);
      assert.match(refreshHelp.stdout, /^Usage: netatmo-tokens refresh/);
      assert.match(refreshHelp.stdout, /52 \(Netatmo did not answer 200/);
      assert.doesNotMatch(refreshHelp.stdout, /^display$/m);
      assert.equal(helpCode.code, 0);
      assert.match(helpCode.stdout, /32-character code/);
      assert.equal(zero.code, 0);
    });

    it('wrong options: exit 100 with one line on stderr', async function () {
      const dir = tmpDir();
      const runs = await Promise.all([
        cli(['current', '--bogus'], dir),
        cli(['current', '--store', dir], dir),
        cli(['refresh', '--client-id', 'x'], dir),
        cli(['display', '--json'], dir),
        cli(['current', 'extra'], dir),
      ]);
      for (const r of runs) {
        assert.equal(r.code, 100, r.stderr);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
      assert.match(runs[1].stderr, /--store USERDIR and --account ID go together/);
      assert.match(runs[2].stderr, /--client-id is for --store/);
    });
  });

  // ---------------------------------------------------------------- parameters

  describe('file_parameters.txt (display 102, exit 10)', function () {
    it('display numbers the four lines and shortens the secret unless --show-secret', async function () {
      const dir = tmpDir();
      params(dir);
      const r = await cli(['display'], dir);
      assert.equal(r.code, 102, r.stderr);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('Line #'));
      assert.deepEqual(lines, [
        `Line #0 client_id=${CLIENT_ID}`,
        `Line #1 client_secret=${CLIENT_SECRET.slice(0, 4)}…`,
        'Line #2 scope=read_station read_thermostat',
        'Line #3 redirect_uri=http://localhost/',
      ]);
      assertNoLeak(r.all);
      assert.equal(r.stderr, '', 'the note on --show-secret is for a terminal only');
      const shown = await cli(['display', '--show-secret'], dir);
      assert.equal(shown.code, 102);
      assert.ok(shown.stdout.includes(`Line #1 client_secret=${CLIENT_SECRET}`));
    });

    it('a missing file is exit 10 for every command that needs it', async function () {
      const dir = tmpDir();
      const runs = await Promise.all([
        cli(['display'], dir),
        cli(['refresh'], dir),
        cli(['authorize-url'], dir),
        cli(['0123456789abcdef0123456789abcdef'], dir),
      ]);
      for (const r of runs) {
        assert.equal(r.code, 10, r.stderr);
        assert.match(r.stderr, /file_parameters\.txt does not exist in .*: create it with four lines/);
      }
      assert.equal(sim.stats.tokenRequests, 0);
    });

    it('an invalid file is exit 10 with a message naming the problem', async function () {
      const cases = [
        [`client_id=${CLIENT_ID}\nclient_secret=${CLIENT_SECRET}\nscope=read_station\n`, /has 3 lines; it must have exactly four/],
        [`client_id=${CLIENT_ID}\nclient_secret=${CLIENT_SECRET}\nscope=read_station\nredirect_uri=http://localhost/\n\n`, /has 5 lines/],
        [
          `client_id=${CLIENT_ID}\nclient_secret ${CLIENT_SECRET}\nscope=read_station\nredirect_uri=http://localhost/\n`,
          /Line #1 .* has no "="/,
        ],
        [
          `client_id=${CLIENT_ID}\nclient_secret=${CLIENT_SECRET}\nscopes=read_station\nredirect_uri=http://localhost/\n`,
          /Line #2 .* unknown key "scopes"/,
        ],
        [
          `client_id=${CLIENT_ID}\nclient_secret=${CLIENT_SECRET}\nscope=read_station\nredirect_uri=http://localhost\n`,
          /redirect_uri must end with "\/"/,
        ],
        [
          `client_id=\nclient_secret=${CLIENT_SECRET}\nscope=read_station\nredirect_uri=http://localhost/\n`,
          /Line #0 .*client_id has no value/,
        ],
      ];
      const runs = await Promise.all(
        cases.map(([text]) => {
          const dir = tmpDir();
          fs.writeFileSync(path.join(dir, 'file_parameters.txt'), text);
          return Promise.all([cli(['display'], dir), cli(['refresh'], dir)]);
        }),
      );
      runs.forEach(([display, refresh], i) => {
        for (const r of [display, refresh]) {
          assert.equal(r.code, 10, `case ${i}: ${r.stderr}`);
          assert.match(r.stderr, cases[i][1]);
          assertNoLeak(r.all);
        }
        assert.match(display.stdout, /Line #0/, 'display shows the lines before the problem');
      });
      // Windows line ends and a BOM are not mistakes.
      const dir = tmpDir();
      fs.writeFileSync(
        path.join(dir, 'file_parameters.txt'),
        `\uFEFFclient_id=${CLIENT_ID}\r\nclient_secret=${CLIENT_SECRET}\r\nscope=read_station\r\nredirect_uri=http://localhost/\r\n`,
      );
      assert.equal((await cli(['display'], dir)).code, 102);
    });
  });

  // ---------------------------------------------------------------- the seed's session

  it("the seed's example session: display, code, current, refresh", async function () {
    const dir = tmpDir();
    params(dir, { scope: 'read_presence write_presence read_camera write_camera' });

    const display = await cli(['display'], dir);
    assert.equal(display.code, 102);

    // The manual builds the authorize URL by hand (state=codestate) and copies "the 32 characters after code=".
    const code = sim.issueCode({
      clientId: CLIENT_ID,
      redirectUri: 'http://localhost/',
      scope: 'read_presence write_presence read_camera write_camera',
    });
    assert.equal(code.length, 32);
    const before = Date.now();
    const exchange = await cli([code], dir);
    assert.equal(exchange.code, 0, exchange.stderr);
    const access = read(dir, 'file_access_token.txt');
    const refresh = read(dir, 'file_refresh_token.txt');
    const expire = Number(read(dir, 'file_expire_time.txt'));
    assert.ok(sim.isValidRefreshToken(refresh));
    assert.ok(Math.abs(expire - (Math.floor(before / 1000) + TTL)) <= 3, `expire ${expire}`);
    for (const f of ['file_access_token.txt', 'file_refresh_token.txt', 'file_expire_time.txt']) assert.equal(mode(dir, f), 0o600, f);
    const out = exchange.stdout.split('\n');
    assert.equal(out[0], `----------------${code.slice(0, 4)}…------------`);
    assert.ok(out.includes(`atoken ${short(access)}`));
    assert.ok(out.includes(`rtoken ${short(refresh)}`));
    assert.ok(out.includes(`etoken ${TTL}`));
    assert.ok(out.includes(`Write succesful ${short(access)} in file file_access_token.txt`));
    assert.ok(out.includes(`Write succesful ${short(refresh)} in file file_refresh_token.txt`));
    assert.ok(out.includes(`Write succesful ${expire} in file file_expire_time.txt`));
    assertNoLeak(exchange.all);

    const current = await cli(['current'], dir);
    assert.equal(current.code, 103, current.stderr);
    assert.match(
      current.stdout,
      new RegExp(`file_expire_time.txt\\s+: ${expire} \\(${new Date(expire * 1000).toISOString().replace('.000Z', 'Z')}\\)`),
    );
    const left = Number(/expires in (\d+) s, at /.exec(current.stdout)[1]);
    assert.ok(left > TTL - 30 && left <= TTL, `left ${left}`);

    const refreshed = await cli(['refresh'], dir);
    assert.equal(refreshed.code, 104, refreshed.stderr);
    const newRefresh = read(dir, 'file_refresh_token.txt');
    assert.notEqual(newRefresh, refresh);
    assert.ok(sim.isValidRefreshToken(newRefresh));
    assert.ok(!sim.isValidRefreshToken(refresh), 'rotation: the old refresh token is dead');
    assert.notEqual(read(dir, 'file_access_token.txt'), access);
    assert.ok(refreshed.stdout.includes(`Write succesful ${short(newRefresh)} in file file_refresh_token.txt`));
    assert.equal(sim.stats.refreshRequests, 1);
    assert.deepEqual(refused, []);
    assert.ok(!fs.existsSync(path.join(dir, 'file_refresh_token.txt.lock')), 'the lock is released');
  });

  // ---------------------------------------------------------------- code

  describe('code (0, 105, 106, 107, 20)', function () {
    it('authorize-url, the browser, then the whole redirected URL with its state', async function () {
      const dir = tmpDir();
      params(dir);
      const url = await cli(['authorize-url'], dir);
      assert.equal(url.code, 0, url.stderr);
      const authorize = new URL(url.stdout.trim());
      assert.equal(authorize.origin + authorize.pathname, `${sim.url}/oauth2/authorize`);
      assert.equal(authorize.searchParams.get('client_id'), CLIENT_ID);
      assert.equal(authorize.searchParams.get('scope'), 'read_station read_thermostat');
      assert.equal(authorize.searchParams.get('redirect_uri'), 'http://localhost/');
      assert.ok(!url.stdout.includes(CLIENT_SECRET));
      const state = authorize.searchParams.get('state');
      assert.ok(Buffer.from(state, 'base64url').length >= 16, 'state of 128 bits or more');
      assert.equal(read(dir, 'file_state.txt'), state);
      assert.equal(mode(dir, 'file_state.txt'), 0o600);

      const redirected = await acceptInBrowser(url.stdout.trim(), sim.url);
      assert.match(redirected, /^http:\/\/localhost\/\?state=.+&code=[0-9a-f]{32}$/);
      const r = await cli(['code', redirected], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(sim.isValidRefreshToken(read(dir, 'file_refresh_token.txt')));
      assert.ok(!fs.existsSync(path.join(dir, 'file_state.txt')), 'the state is single use');
      assertNoLeak(r.all);
    });

    it('a state that is not the one authorize-url made: 107, nothing sent, the state kept', async function () {
      const dir = tmpDir();
      params(dir);
      const url = (await cli(['authorize-url'], dir)).stdout.trim();
      const state = read(dir, 'file_state.txt');
      const code = sim.issueCode({ clientId: CLIENT_ID, redirectUri: 'http://localhost/', scope: 'read_station' });
      const [other, missing] = await Promise.all([
        cli([`http://localhost/?state=forged&code=${code}`], dir),
        cli([`http://localhost/?code=${code}`], dir),
      ]);
      for (const r of [other, missing]) {
        assert.equal(r.code, 107, r.stderr);
        assert.match(r.stderr, /state .* authorize-url .*nothing was sent to Netatmo/);
      }
      assert.equal(sim.stats.tokenRequests, 0);
      assert.equal(read(dir, 'file_state.txt'), state);
      // The right URL still works afterwards.
      assert.equal((await cli([await acceptInBrowser(url, sim.url)], dir)).code, 0);
    });

    it('105: length; 106: characters, a URL without code (also one without a query, by the core paste rule), access_denied', async function () {
      const dir = tmpDir();
      params(dir);
      const [short, word, chars, cut, denied, bare, noQuery] = await Promise.all([
        cli(['0123456789abcdef0123456789abcde'], dir),
        cli(['refrsh'], dir),
        cli(['0123456789abcdef0123456789abcd-f'], dir),
        cli(['http://localhost/?state=abc'], dir),
        cli(['http://localhost/?state=abc&error=access_denied'], dir),
        cli(['code'], dir),
        cli(['http://localhost:1880/callback/'], dir),
      ]);
      assert.equal(short.code, 105);
      assert.match(short.stderr, /must be 32 characters long, not 31/);
      assert.equal(word.code, 105);
      assert.match(word.stderr, /"refrsh" is not a command/);
      assert.equal(chars.code, 106);
      assert.match(chars.stderr, /letters and digits only/);
      assert.equal(cut.code, 106);
      assert.match(cut.stderr, /no "code=".*single quotes/);
      assert.equal(denied.code, 106);
      assert.match(denied.stderr, /access_denied/);
      assert.equal(bare.code, 105);
      // An address is an address, with or without its query, as in the editor's paste box.
      assert.equal(noQuery.code, 106);
      assert.match(noQuery.stderr, /letters and digits only/);
      assert.equal(sim.stats.tokenRequests, 0);
    });

    it('20: Netatmo refuses the code (invalid_grant, invalid_client) or does not answer', async function () {
      const dir = tmpDir();
      params(dir);
      const unknown = await cli(['0123456789abcdef0123456789abcdef'], dir);
      assert.equal(unknown.code, 20);
      assert.match(unknown.stderr, /HTTP 400, invalid_grant\).*authorize-url/);
      assert.equal(unknown.stderr.trim().split('\n').length, 1);
      assert.ok(!fs.existsSync(path.join(dir, 'file_access_token.txt')));

      const wrong = tmpDir();
      params(wrong, { clientSecret: 'not-the-secret-0000' });
      const code = sim.issueCode({ clientId: CLIENT_ID, redirectUri: 'http://localhost/' });
      const refusedClient = await cli([code], wrong);
      assert.equal(refusedClient.code, 20);
      assert.match(refusedClient.stderr, /invalid_client\): client_id or client_secret is wrong/);
      assert.ok(!refusedClient.all.includes('not-the-secret-0000'));

      sim.injectFault('http500');
      const down = await cli([sim.issueCode({ clientId: CLIENT_ID, redirectUri: 'http://localhost/' })], dir);
      assert.equal(down.code, 20);
      assert.match(down.stderr, /HTTP 500/);
    });
  });

  // ---------------------------------------------------------------- cannot be written

  describe('token files that cannot be written (31, 33, 35)', function () {
    const cases = [
      ['file_access_token.txt', 31],
      ['file_refresh_token.txt', 33],
      ['file_expire_time.txt', 35],
    ];
    it('code: stops before spending the code', async function () {
      const runs = await Promise.all(
        cases.map(async ([name]) => {
          const dir = tmpDir();
          params(dir);
          fs.mkdirSync(path.join(dir, name)); // root writes through chmod; not onto a directory
          const code = sim.issueCode({ clientId: CLIENT_ID, redirectUri: 'http://localhost/' });
          return cli([code], dir);
        }),
      );
      runs.forEach((r, i) => {
        assert.equal(r.code, cases[i][1], r.stderr);
        assert.match(r.stderr, new RegExp(`${cases[i][0]} cannot be written.*nothing was sent to Netatmo`));
      });
      assert.equal(sim.stats.tokenRequests, 0);
    });

    it('refresh: stops before spending the refresh token', async function () {
      const runs = await Promise.all(
        cases.map(async ([name]) => {
          const { dir, tokens } = folderWithTokens();
          fs.rmSync(path.join(dir, name));
          fs.mkdirSync(path.join(dir, name));
          return { r: await cli(['refresh'], dir), tokens };
        }),
      );
      // refresh reads the refresh token and expire files first: a directory there is "does not exist" (51, 50).
      assert.equal(runs[0].r.code, 31, runs[0].r.stderr);
      assert.match(runs[0].r.stderr, /file_access_token\.txt cannot be written.*nothing was sent to Netatmo/);
      assert.equal(runs[1].r.code, 51, runs[1].r.stderr);
      assert.equal(runs[2].r.code, 50, runs[2].r.stderr);
      assert.equal(sim.stats.tokenRequests, 0);
      for (const { tokens } of runs) assert.ok(sim.isValidRefreshToken(tokens.refresh_token));
    });
  });

  // ---------------------------------------------------------------- current

  describe('current (103, 40, 41, 42, --json)', function () {
    it('40, 41, 42 name the missing file', async function () {
      const cases = [
        ['file_access_token.txt', 40],
        ['file_refresh_token.txt', 41],
        ['file_expire_time.txt', 42],
      ];
      const runs = await Promise.all(
        cases.map(([name]) => {
          const { dir } = folderWithTokens();
          fs.rmSync(path.join(dir, name));
          return cli(['current'], dir);
        }),
      );
      runs.forEach((r, i) => {
        assert.equal(r.code, cases[i][1], r.stderr);
        assert.match(r.stderr, new RegExp(`${cases[i][0]} does not exist in .*: run the code step first`));
        assertNoLeak(r.all);
      });
    });

    it('--json: no token unless --show-tokens; an expired token counts back', async function () {
      const { dir, tokens } = folderWithTokens();
      const past = Math.floor(Date.now() / 1000) - 120;
      fs.writeFileSync(path.join(dir, 'file_expire_time.txt'), String(past));
      const [json, withTokens, text, zero] = await Promise.all([
        cli(['current', '--json'], dir),
        cli(['current', '--json', '--show-tokens'], dir),
        cli(['current'], dir),
        cli(['current', '--exit-zero'], dir),
      ]);
      assert.equal(json.code, 103);
      const o = JSON.parse(json.stdout);
      assert.equal(o.expires_at, past);
      assert.equal(o.expired, true);
      assert.ok(o.expires_in_s <= -120 && o.expires_in_s > -150);
      assert.equal(o.access_token, undefined);
      assertNoLeak(json.all);
      const t = JSON.parse(withTokens.stdout);
      assert.equal(t.access_token, tokens.access_token);
      assert.equal(t.refresh_token, tokens.refresh_token);
      assert.match(text.stdout, /expired 1[2-4]\d s ago, at .*Z: run refresh/);
      assert.equal(zero.code, 0);
    });
  });

  // ---------------------------------------------------------------- refresh

  describe('refresh (104, 50, 51, 52)', function () {
    it('50: no expire file; 51: no refresh token file', async function () {
      const a = folderWithTokens();
      fs.rmSync(path.join(a.dir, 'file_expire_time.txt'));
      const b = folderWithTokens();
      fs.rmSync(path.join(b.dir, 'file_refresh_token.txt'));
      // From another folder with --dir: the suggested commands carry it.
      const [noExpire, noRefresh] = await Promise.all([cli(['refresh'], a.dir), cli(['refresh', '--dir', b.dir], tmpDir())]);
      assert.equal(noExpire.code, 50);
      assert.match(noExpire.stderr, /file_expire_time\.txt does not exist/);
      assert.equal(noRefresh.code, 51);
      assert.ok(noRefresh.stderr.includes(`authorize again: netatmo-tokens authorize-url --dir ${b.dir}, open the URL`), noRefresh.stderr);
      assert.equal(sim.stats.tokenRequests, 0);
    });

    it('52: invalid_grant says to authorize again; a server error leaves the files as they were', async function () {
      const { dir, tokens } = folderWithTokens();
      await new OAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, apiBase: sim.url }).refresh(tokens.refresh_token); // someone else used it
      const dead = await cli(['refresh'], dir);
      assert.equal(dead.code, 52);
      assert.match(
        dead.stderr,
        /HTTP 400, invalid_grant\): the refresh token in file_refresh_token\.txt is no longer valid.*authorize again/,
      );
      assert.equal(dead.stderr.trim().split('\n').length, 1);
      assertNoLeak(dead.all);

      const ok = folderWithTokens();
      sim.injectFault('http503');
      const down = await cli(['refresh'], ok.dir);
      assert.equal(down.code, 52);
      assert.match(down.stderr, /HTTP 503.*file_refresh_token\.txt is unchanged; try again later/);
      assert.equal(read(ok.dir, 'file_refresh_token.txt'), ok.tokens.refresh_token);
      assert.ok(sim.isValidRefreshToken(ok.tokens.refresh_token));
    });

    it('three runs at once in one folder (cron overlap): one at a time, no invalid_grant', async function () {
      const { dir } = folderWithTokens();
      const runs = await Promise.all([cli(['refresh'], dir), cli(['refresh'], dir), cli(['refresh'], dir)]);
      for (const r of runs) assert.equal(r.code, 104, r.stderr);
      assert.deepEqual(refused, []);
      // A run that finds a pair stored while it waited adopts it: one request per run that wrote.
      const wrote = runs.filter((r) => /^Write succesful .* in file file_refresh_token\.txt$/m.test(r.stdout)).length;
      const adopted = runs.filter((r) => /^Another run stored a new pair .* nothing was sent to Netatmo$/m.test(r.stdout)).length;
      assert.equal(wrote + adopted, 3);
      assert.ok(wrote >= 1);
      assert.equal(sim.stats.refreshRequests, wrote);
      assert.ok(sim.isValidRefreshToken(read(dir, 'file_refresh_token.txt')));
    });
  });

  // ---------------------------------------------------------------- coming from the PHP script (#15)

  describe('a folder as netatmo_manage_tokens.php leaves it (no final newline)', function () {
    /** file_parameters.txt and the three token files, each without a final newline, as the script writes them. */
    function phpFolder({ scope = 'read_station read_thermostat' } = {}) {
      const dir = tmpDir();
      params(dir, { scope, finalEol: false });
      const t = sim.issueTokens({ clientId: CLIENT_ID, scope: 'read_station' });
      fs.writeFileSync(path.join(dir, 'file_access_token.txt'), t.access_token);
      fs.writeFileSync(path.join(dir, 'file_refresh_token.txt'), t.refresh_token);
      fs.writeFileSync(path.join(dir, 'file_expire_time.txt'), String(Math.floor(Date.now() / 1000) + TTL));
      return { dir, tokens: t };
    }
    const line = (r, key) => r.stdout.split('\n').find((l) => l.startsWith(`${key} `));

    it('a scope copied from the authorize URL (%20, +, a trailing one) refreshes (104), and is sent decoded', async function () {
      const pct = phpFolder({ scope: 'read_station%20read_thermostat%20' });
      const plus = phpFolder({ scope: 'read_station+read_thermostat+' });
      const bad = phpFolder({ scope: 'read-station' });
      const [r, p, display, url, badUrl, badRefresh] = await Promise.all([
        cli(['refresh'], pct.dir),
        cli(['refresh'], plus.dir),
        cli(['display'], pct.dir),
        cli(['authorize-url'], pct.dir),
        cli(['authorize-url'], bad.dir),
        cli(['refresh'], bad.dir),
      ]);
      for (const [run, folder] of [
        [r, pct],
        [p, plus],
      ]) {
        assert.equal(run.code, 104, run.stderr);
        assert.ok(!sim.isValidRefreshToken(folder.tokens.refresh_token));
        assert.ok(sim.isValidRefreshToken(read(folder.dir, 'file_refresh_token.txt')));
      }
      assert.equal(display.code, 102, display.stderr);
      assert.equal(url.code, 0, url.stderr);
      assert.equal(new URL(url.stdout.trim()).searchParams.get('scope'), 'read_station read_thermostat');
      // Where the scope is sent, a real mistake still stops it; a refresh, which never sends it, goes on.
      assert.equal(badUrl.code, 10);
      assert.match(badUrl.stderr, /"read-station" is not a Netatmo scope/);
      assert.equal(badRefresh.code, 104, badRefresh.stderr);
    });

    it('a successful refresh writes nothing on stderr unless stderr is a terminal', async function () {
      const { dir } = phpFolder();
      const r = await cli(['refresh'], dir);
      assert.equal(r.code, 104, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^Write succesful \d+ in file file_expire_time\.txt$/m);
      // On a terminal (script(1) gives the command one), the note on shortened tokens is shown.
      const tty = await new Promise((resolve) =>
        execFile(
          'script',
          ['-qec', `'${process.execPath}' '${MAIN}' refresh`, '/dev/null'],
          { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, NETATMO_API_BASE: sim.url }, encoding: 'utf8' },
          (err, stdout) => resolve({ code: err ? err.code : 0, stdout }),
        ),
      );
      assert.equal(tty.code, 104, tty.stdout);
      assert.match(tty.stdout, /tokens are shortened to 4 characters after their "\|"/);
      assertNoLeak(tty.stdout);
    });

    it('two refreshes in a row, tokens shortened, show two different atoken and rtoken lines', async function () {
      const { dir } = phpFolder();
      const first = await cli(['refresh'], dir);
      const second = await cli(['refresh'], dir);
      for (const r of [first, second]) {
        assert.equal(r.code, 104, r.stderr);
        assertNoLeak(r.all);
      }
      assert.notEqual(line(first, 'atoken'), line(second, 'atoken'));
      assert.notEqual(line(first, 'rtoken'), line(second, 'rtoken'));
      assert.equal(line(second, 'atoken'), `atoken ${short(read(dir, 'file_access_token.txt'))}`);
      assert.equal(line(second, 'etoken'), `etoken ${TTL}`);
      assert.ok(second.stdout.includes(`Write succesful ${short(read(dir, 'file_refresh_token.txt'))} in file file_refresh_token.txt`));
    });

    it('two refreshes started together cost one token request, and both exit 104', async function () {
      const { dir, tokens } = phpFolder();
      // The test holds the folder's lock until both runs have read the stored pair: they then queue on it together.
      let release;
      const held = new Promise((resolve) => (release = resolve));
      let taken;
      const lockTaken = new Promise((resolve) => (taken = resolve));
      const holder = withFileLock(path.join(dir, 'file_refresh_token.txt'), () => {
        taken();
        return held;
      });
      await lockTaken;
      const runs = [1, 2].map(() => startCli(['refresh'], { cwd: dir, env: env({ NA_DEBUG: '1' }) }));
      await Promise.all(runs.map((r) => r.waitFor(/start: stored refresh token/)));
      release();
      await holder;
      const done = await Promise.all(runs.map((r) => r.done));
      for (const r of done) assert.equal(r.code, 104, r.stderr);
      assert.equal(sim.stats.refreshRequests, 1);
      assert.deepEqual(refused, []);
      const stored = read(dir, 'file_refresh_token.txt');
      assert.notEqual(stored, tokens.refresh_token);
      assert.ok(sim.isValidRefreshToken(stored));
      for (const r of done) assert.equal(line(r, 'rtoken'), `rtoken ${short(stored)}`);
      assert.equal(done.filter((r) => /adopted, nothing was sent to Netatmo/.test(r.stdout)).length, 1);
    });

    it('display of a file with CR-only line ends (old Mac) never prints the client secret', async function () {
      const dir = tmpDir();
      params(dir, { eol: '\r', finalEol: false });
      const r = await cli(['display'], dir);
      assert.equal(r.code, 102, r.stderr);
      assert.deepEqual(
        r.stdout.split('\n').filter((l) => l.startsWith('Line #')),
        [
          `Line #0 client_id=${CLIENT_ID}`,
          `Line #1 client_secret=${CLIENT_SECRET.slice(0, 4)}…`,
          'Line #2 scope=read_station read_thermostat',
          'Line #3 redirect_uri=http://localhost/',
        ],
      );
      assertNoLeak(r.all);
      // Whatever the structure: everything on one line, separated by spaces and "&".
      const one = tmpDir();
      fs.writeFileSync(
        path.join(one, 'file_parameters.txt'),
        `client_id=${CLIENT_ID} client_secret=${CLIENT_SECRET}&scope=read_station redirect_uri=http://localhost/`,
      );
      const o = await cli(['display'], one);
      assert.equal(o.code, 10);
      assert.ok(o.stdout.includes(`client_secret=${CLIENT_SECRET.slice(0, 4)}…&scope`), o.stdout);
      assertNoLeak(o.all);
    });
  });

  // ---------------------------------------------------------------- NA_DEBUG

  describe('NA_DEBUG', function () {
    it('debug lines on stderr, with no secret, token or code in any output', async function () {
      const dir = tmpDir();
      params(dir);
      const outputs = [];
      const url = await cli(['authorize-url'], dir, { NA_DEBUG: '1' });
      outputs.push(url);
      const redirected = await acceptInBrowser(url.stdout.trim(), sim.url);
      for (const [args, exitCode] of [
        [[redirected], 0],
        [['current'], 103],
        [['refresh'], 104],
        [['display'], 102],
        [['current', '--json'], 103],
      ]) {
        const r = await cli(args, dir, { NA_DEBUG: 'true' });
        assert.equal(r.code, exitCode, `${args}: ${r.stderr}`);
        outputs.push(r);
      }
      for (const r of outputs) {
        assert.match(r.stderr, /^\[NA_DEBUG\] /m);
        assert.doesNotMatch(r.stdout, /NA_DEBUG/);
      }
      const all = outputs.map((r) => r.all).join('\n');
      assert.match(all, /grant_type=refresh_token refresh_token=[0-9a-f]{4}…/);
      assert.match(all, /client_secret=CLI-…/);
      assertNoLeak(all);

      const off = await cli(['current'], dir, { NA_DEBUG: '0' });
      assert.doesNotMatch(off.all, /NA_DEBUG/);
      const offFalse = await cli(['current'], dir, { NA_DEBUG: 'false' });
      assert.doesNotMatch(offFalse.all, /NA_DEBUG/);
    });

    it('--show-tokens prints the current pair on stdout only', async function () {
      const { dir } = folderWithTokens();
      const r = await cli(['refresh', '--show-tokens'], dir, { NA_DEBUG: '1' });
      assert.equal(r.code, 104, r.stderr);
      const pair = [read(dir, 'file_access_token.txt'), read(dir, 'file_refresh_token.txt')];
      assert.ok(r.stdout.includes(`atoken ${pair[0]}`) && r.stdout.includes(`rtoken ${pair[1]}`));
      assertNoLeak(r.stderr);
      assertNoLeak(r.stdout, pair);
    });
  });

  // ---------------------------------------------------------------- Node-RED store

  describe('a Node-RED account (--store USERDIR --account ID)', function () {
    const ACCOUNT = 'a1b2c3d4e5f60718';
    const CRED = 'node-red-credential-secret-42';

    async function userDirWithLogin({ settings, runtime, secret = CRED } = {}) {
      const userDir = tmpDir('netatmo-cli-userdir-');
      if (settings !== undefined) fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${settings};\n`);
      if (runtime !== undefined) fs.writeFileSync(path.join(userDir, '.config.runtime.json'), JSON.stringify(runtime));
      const store = new TokenStore({ dir: path.join(userDir, 'netatmo-tokens'), secret });
      const tokens = sim.issueTokenSet({ clientId: CLIENT_ID, scope: 'read_station' });
      await store.write(ACCOUNT, { tokens });
      return { userDir, store, tokens };
    }
    const clientEnv = { NETATMO_CLIENT_ID: CLIENT_ID, NETATMO_CLIENT_SECRET: CLIENT_SECRET };
    const on = (userDir, ...args) => [...args, '--store', userDir, '--account', ACCOUNT];

    it('current: decrypts with settings.js credentialSecret, or .config.runtime.json _credentialSecret', async function () {
      const a = await userDirWithLogin({ settings: `{ credentialSecret: ${JSON.stringify(CRED)} }` });
      const b = await userDirWithLogin({ runtime: { instanceId: 'x', _credentialSecret: CRED } });
      const c = await userDirWithLogin({ settings: '{ credentialSecret: false }', secret: null });
      // Written with the generated secret before the user set their own: still readable, as in Node-RED.
      const d = await userDirWithLogin({ settings: "{ credentialSecret: 'set-later-by-the-user' }", runtime: { _credentialSecret: CRED } });
      const [ra, rb, rc, rd, json] = await Promise.all([
        cli(on(a.userDir, 'current'), a.userDir),
        cli(on(b.userDir, 'current'), b.userDir),
        cli(on(c.userDir, 'current'), c.userDir),
        cli(on(d.userDir, 'current'), d.userDir),
        cli(on(a.userDir, 'current', '--json'), a.userDir),
      ]);
      for (const [r, login] of [
        [ra, a],
        [rb, b],
        [rc, c],
        [rd, d],
      ]) {
        assert.equal(r.code, 103, r.stderr);
        assert.ok(r.stdout.includes(`access_token  : ${short(login.tokens.access_token)}`));
        assert.match(r.stdout, /The access token expires in \d+ s/);
        assertNoLeak(r.all);
      }
      assert.match(ra.stdout, /\(encrypted\)/);
      assert.doesNotMatch(rc.stdout, /\(encrypted\)/);
      const o = JSON.parse(json.stdout);
      assert.equal(o.status, 'ok');
      assert.equal(o.encrypted, true);
      assert.deepEqual(o.scope, ['read_station']);
      assert.equal(o.access_token, undefined);
    });

    it("a wrong secret is refused (40, 51) and leaves Node-RED's file untouched", async function () {
      const { userDir, store, tokens } = await userDirWithLogin({ settings: `{ credentialSecret: ${JSON.stringify(CRED)} }` });
      const [cur, ref, envSecret] = await Promise.all([
        cli(on(userDir, 'current', '--secret', 'not-the-secret'), userDir),
        cli(on(userDir, 'refresh', '--secret', 'not-the-secret'), userDir, clientEnv),
        cli(on(userDir, 'current'), userDir, { NODE_RED_CREDENTIAL_SECRET: 'also-wrong' }),
      ]);
      assert.equal(cur.code, 40);
      assert.match(cur.stderr, /written with another credentialSecret .*left untouched.*--secret/);
      assert.equal(ref.code, 51);
      assert.equal(envSecret.code, 40);
      assert.match(envSecret.stderr, /NODE_RED_CREDENTIAL_SECRET/);
      assert.equal(sim.stats.tokenRequests, 0);
      assert.deepEqual(fs.readdirSync(store.dir), [`${ACCOUNT}.json`], 'nothing moved aside');
      assert.equal((await store.read(ACCOUNT)).tokens.refresh_token, tokens.refresh_token);
    });

    it("--store follows the token folder Node-RED uses (settings.js netatmoTokens.dir, else NETATMO_TOKENS_DIR); --dir stays the script's folder", async function () {
      const shared = path.join(tmpDir('netatmo-cli-volume-'), 'tokens');
      const inSettings = tmpDir('netatmo-cli-userdir-');
      fs.writeFileSync(
        path.join(inSettings, 'settings.js'),
        `module.exports = ${JSON.stringify({ credentialSecret: CRED, netatmoTokens: { dir: shared } })};\n`,
      );
      const inEnv = tmpDir('netatmo-cli-userdir-');
      fs.writeFileSync(path.join(inEnv, 'settings.js'), `module.exports = ${JSON.stringify({ credentialSecret: CRED })};\n`);
      const store = new TokenStore({ dir: shared, secret: CRED });
      const tokens = sim.issueTokenSet({ clientId: CLIENT_ID, scope: 'read_station' });
      await store.write(ACCOUNT, { tokens });

      const ref = await cli(on(inSettings, 'refresh'), inSettings, clientEnv);
      assert.equal(ref.code, 104, ref.stderr);
      const after = await store.read(ACCOUNT);
      assert.notEqual(after.tokens.refresh_token, tokens.refresh_token, 'the pair in the chosen folder was rotated');
      assert.equal(sim.isValidRefreshToken(after.tokens.refresh_token), true);
      // Relative to the user directory, as for Node-RED; the environment counts when settings.js says nothing.
      const cur = await cli(on(inEnv, 'current'), inEnv, { NETATMO_TOKENS_DIR: path.relative(inEnv, shared) });
      assert.equal(cur.code, 103, cur.stderr);
      assert.ok(cur.stdout.includes(`access_token  : ${short(after.tokens.access_token)}`), cur.stdout);
      for (const d of [inSettings, inEnv]) assert.equal(fs.existsSync(path.join(d, 'netatmo-tokens')), false);

      // The PHP script's folder (--dir, or the current folder) is not moved by NETATMO_TOKENS_DIR.
      const { dir, tokens: php } = folderWithTokens();
      const folder = await cli(['current', '--dir', dir], tmpDir('netatmo-cli-cwd-'), { NETATMO_TOKENS_DIR: shared });
      assert.equal(folder.code, 103, folder.stderr);
      assert.ok(folder.stdout.includes(`file_access_token.txt  : ${short(php.access_token)}`), folder.stdout);
      assert.equal(sim.stats.tokenRequests, 1);
    });

    it('no login for the account: current 40, refresh 51, naming the accounts there', async function () {
      const { userDir } = await userDirWithLogin({ runtime: { _credentialSecret: CRED } });
      const other = ['current', '--store', userDir, '--account', 'ffff0000ffff0000'];
      const [cur, ref] = await Promise.all([cli(other, userDir), cli(['refresh', ...other.slice(1)], userDir, clientEnv)]);
      assert.equal(cur.code, 40);
      assert.match(cur.stderr, new RegExp(`No token is stored for the account ffff0000ffff0000 .*accounts with tokens there: ${ACCOUNT}`));
      assert.equal(ref.code, 51);
    });

    it('refresh (104) and invalid_grant (52): the store is updated the way Node-RED does it', async function () {
      const { userDir, store, tokens } = await userDirWithLogin({ runtime: { _credentialSecret: CRED } });
      const noClient = await cli(on(userDir, 'refresh'), userDir);
      assert.equal(noClient.code, 10);
      assert.match(noClient.stderr, /--client-id or NETATMO_CLIENT_ID/);

      const r = await cli(on(userDir, 'refresh'), userDir, clientEnv);
      assert.equal(r.code, 104, r.stderr);
      const stored = await store.read(ACCOUNT);
      assert.ok(sim.isValidRefreshToken(stored.tokens.refresh_token));
      assert.ok(!sim.isValidRefreshToken(tokens.refresh_token));
      assert.match(r.stdout, /Stored in .*\(encrypted\)/);
      assertNoLeak(r.all);

      // Netatmo kills the login (used elsewhere): 52, and the account is marked for re-authorization.
      await new OAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, apiBase: sim.url }).refresh(stored.tokens.refresh_token);
      const dead = await cli(on(userDir, 'refresh', '--client-id', CLIENT_ID), userDir, { NETATMO_CLIENT_SECRET: CLIENT_SECRET });
      assert.equal(dead.code, 52);
      assert.match(dead.stderr, /invalid_grant\).*authorize again: netatmo-tokens authorize-url --store/);
      const status = JSON.parse((await cli(on(userDir, 'current', '--json'), userDir)).stdout);
      assert.equal(status.status, 'reauthorize');
      assert.equal(status.invalid.code, 'invalid_grant');
    });

    it('authorize-url and code: a new login for the account, from the shell', async function () {
      const { userDir, store } = await userDirWithLogin({ settings: `{ credentialSecret: ${JSON.stringify(CRED)} }` });
      const work = tmpDir();
      // A Node-RED style callback URI: the file's trailing "/" rule does not apply to options.
      const opts = [
        '--client-id',
        CLIENT_ID,
        '--redirect-uri',
        'http://localhost:1880/netatmo/callback',
        '--scope',
        'read_station read_homecoach',
      ];
      const url = await cli(on(userDir, 'authorize-url', ...opts), work);
      assert.equal(url.code, 0, url.stderr);
      assert.match(url.stderr, /--store .* --account a1b2c3d4e5f60718/);
      const redirected = await acceptInBrowser(url.stdout.trim(), sim.url);
      const r = await cli(on(userDir, 'code', redirected, ...opts), work, { NETATMO_CLIENT_SECRET: CLIENT_SECRET });
      assert.equal(r.code, 0, r.stderr);
      const stored = await store.read(ACCOUNT);
      assert.ok(sim.isValidRefreshToken(stored.tokens.refresh_token));
      assert.deepEqual(stored.tokens.scope, ['read_station', 'read_homecoach']);
      assert.ok(!fs.existsSync(path.join(work, 'file_state.txt')));
      assertNoLeak(r.all);
    });

    it('refresh from the shell while the runtime refreshes in a loop: no invalid_grant, the valid token is stored', async function () {
      const { userDir, store } = await userDirWithLogin({ settings: `{ credentialSecret: ${JSON.stringify(CRED)} }` });
      // The runtime: Node-RED's TokenManager on the same store, refreshing again and again.
      const runtime = new TokenManager({
        accountId: ACCOUNT,
        store: new TokenStore({ dir: path.join(userDir, 'netatmo-tokens'), secret: CRED }),
        client: new OAuthClient({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, apiBase: sim.url }),
        autoRefresh: false,
      });
      await runtime.start();
      let stop = false;
      let runtimeRefreshes = 0;
      const runtimeErrors = [];
      const loop = (async () => {
        while (!stop) {
          try {
            await runtime.refresh({ force: true });
            runtimeRefreshes++;
          } catch (err) {
            runtimeErrors.push(err);
          }
          await sleep(15 + Math.random() * 20);
        }
      })();
      const results = [];
      try {
        for (let round = 0; round < 4; round++) {
          results.push(
            ...(await Promise.all([cli(on(userDir, 'refresh'), userDir, clientEnv), cli(on(userDir, 'refresh'), userDir, clientEnv)])),
          );
        }
      } finally {
        stop = true;
        await loop;
        runtime.stop();
      }
      for (const r of results) assert.equal(r.code, 104, r.stderr);
      assert.deepEqual(
        runtimeErrors.map((e) => `${e.code}: ${e.message}`),
        [],
      );
      assert.deepEqual(refused, [], 'no invalid_grant');
      assert.ok(runtimeRefreshes > 5, `the runtime refreshed ${runtimeRefreshes} times`);
      const stored = await store.read(ACCOUNT);
      assert.equal(stored.invalid, undefined);
      assert.ok(sim.isValidRefreshToken(stored.tokens.refresh_token), 'the stored refresh token is the valid one');
      assert.ok(sim.stats.refreshRequests >= runtimeRefreshes, `${sim.stats.refreshRequests} requests`);
    });
  });
});
