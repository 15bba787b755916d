'use strict';
/**
 * FileTokenStore (src/core/store.ts), exactly: errors with their reason and parameters, the folder's
 * and files' modes, the leftovers it cleans and those it keeps, the lock times. On real files; what
 * the file system does not give on demand (EROFS, EPERM) comes from a wrapped function restored after
 * each test.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lockfile = require('proper-lockfile');
const { FileTokenStore, TokenStore, isStoredAccount } = require('../../../dist/core/token/store');

const NOW = 1_700_000_000_000;
const tokens = (n = 1) => ({
  access_token: `a${n}|x`,
  refresh_token: `r${n}|y`,
  scope: ['read_station'],
  expires_at: NOW,
  obtained_at: NOW - 1,
});
const DEAD_PID = 999_999_999; // above any pid_max: no such process

describe('core: FileTokenStore, exactly', () => {
  let dir;
  const real = {
    open: fs.promises.open,
    rename: fs.promises.rename,
    mkdir: fs.promises.mkdir,
    readdir: fs.promises.readdir,
    writeFile: fs.promises.writeFile,
    unlink: fs.promises.unlink,
    chmod: fs.promises.chmod,
    lock: lockfile.lock,
    kill: process.kill,
  };
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-store-exact-'))));
  afterEach(() => {
    for (const name of ['open', 'rename', 'mkdir', 'readdir', 'writeFile']) fs.promises[name] = real[name];
    fs.promises.unlink = real.unlink;
    fs.promises.chmod = real.chmod;
    lockfile.lock = real.lock;
    process.kill = real.kill;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = (id = 'acc1') => path.join(dir, `${id}.json`);
  const errorOf = (p) =>
    p.then(
      () => assert.fail('resolved'),
      (e) => e,
    );
  const sysError = (code) => Object.assign(new Error(code), { code });

  it('TokenStore is FileTokenStore; the folder is resolved and each account has its file', () => {
    assert.equal(TokenStore, FileTokenStore);
    const store = new FileTokenStore({ dir: path.join(dir, 'x', '..', 'y') });
    assert.equal(store.dir, path.join(dir, 'y'));
    assert.equal(store.file('acc1'), path.join(dir, 'y', 'acc1.json'));
    assert.throws(() => store.file('../acc1'), { code: 'INVALID_INPUT' });
  });

  it('creates its folder 0700 (and tightens one that exists), files 0600', async () => {
    const sub = path.join(dir, 'made');
    await new FileTokenStore({ dir: sub }).write('acc1', { tokens: tokens() });
    assert.equal(fs.statSync(sub).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(sub, 'acc1.json')).mode & 0o777, 0o600);
    fs.chmodSync(sub, 0o755);
    await new FileTokenStore({ dir: sub }).withLock('acc1', async () => undefined);
    assert.equal(fs.statSync(sub).mode & 0o777, 0o700);
  });

  it('a folder it may not tighten (EPERM, another owner) is used as it is; another chmod failure is STORE "folder"', async () => {
    fs.promises.chmod = async () => {
      throw sysError('EPERM');
    };
    await new FileTokenStore({ dir }).write('acc1', { tokens: tokens() });
    assert.deepEqual(await new FileTokenStore({ dir }).read('acc1'), { tokens: tokens() });
    fs.promises.chmod = async () => {
      throw sysError('EROFS');
    };
    const e = await errorOf(new FileTokenStore({ dir }).write('acc1', { tokens: tokens() }));
    assert.deepEqual(
      [e.code, e.message, e.reason, e.params],
      ['STORE', `Cannot create the token folder ${dir} (EROFS)`, 'folder', { file: dir, detail: 'EROFS' }],
    );
  });

  it('a damaged file is moved aside as <file>.corrupt-<time>-<6 hex>: STORE_CORRUPT saying why and where', async () => {
    fs.writeFileSync(file(), '{"version":1,"acc');
    const before = Date.now();
    const e = await errorOf(new FileTokenStore({ dir }).read('acc1'));
    const aside = fs.readdirSync(dir)[0];
    const m = /^acc1\.json\.corrupt-(\d+)-[0-9a-f]{6}$/.exec(aside);
    assert.ok(m, aside);
    assert.ok(Number(m[1]) >= before && Number(m[1]) <= Date.now());
    assert.equal(fs.readFileSync(path.join(dir, aside), 'utf8'), '{"version":1,"acc');
    assert.deepEqual(
      [e.code, e.message, e.reason, e.params],
      [
        'STORE_CORRUPT',
        `The token file ${file()} is damaged (not JSON); it was kept as ${aside}. Authorize again.`,
        'damaged',
        { file: file(), detail: 'not JSON', aside },
      ],
    );
    assert.equal(await new FileTokenStore({ dir }).read('acc1'), null);
  });

  it('a file of another credentialSecret: STORE "secret", exactly, left in place by read and peek', async () => {
    await new FileTokenStore({ dir, secret: 'one-secret' }).write('acc1', { tokens: tokens() });
    const text = fs.readFileSync(file(), 'utf8');
    for (const op of ['read', 'peek']) {
      const e = await errorOf(new FileTokenStore({ dir, secret: 'two-secret' })[op]('acc1'));
      const detail = 'encrypted with another credential secret';
      assert.deepEqual(
        [e.code, e.reason, e.params, e.message],
        [
          'STORE',
          'secret',
          { file: file(), detail },
          `The token file ${file()} was written with another credentialSecret (${detail}); it was left untouched and nothing is refreshed. ` +
            'Give this Node-RED the same credentialSecret (settings.js) as the one that wrote it, or authorize again to replace it',
        ],
        op,
      );
      assert.equal(fs.readFileSync(file(), 'utf8'), text);
    }
    const e = await errorOf(new FileTokenStore({ dir }).peek('acc1'));
    assert.equal(e.params.detail, 'encrypted, but Node-RED has no credential secret');
  });

  it('peek of damage: reason and parameters; read and write failures: reason and parameters', async () => {
    fs.writeFileSync(file(), 'null');
    let e = await errorOf(new FileTokenStore({ dir }).peek('acc1'));
    assert.deepEqual([e.reason, e.params], ['undecodable', { file: file(), detail: 'unknown format' }]);
    fs.rmSync(file());
    fs.mkdirSync(file());
    e = await errorOf(new FileTokenStore({ dir }).read('acc1'));
    assert.deepEqual(
      [e.code, e.message, e.reason, e.params],
      [
        'STORE',
        `Cannot read the token file ${file()} (EISDIR): check its owner and permissions`,
        'read',
        { file: file(), detail: 'EISDIR' },
      ],
    );
    e = await errorOf(new FileTokenStore({ dir }).write('acc1', { tokens: tokens() }));
    assert.deepEqual([e.code, e.reason], ['STORE', 'write']);
    assert.deepEqual(Object.keys(e.params), ['file', 'detail']);
    assert.equal(e.params.file, file());
    assert.equal(e.message, `Cannot write the token file ${file()} (${e.params.detail})`);
    const blocked = new FileTokenStore({ dir: path.join(file(), 'x') });
    fs.rmdirSync(file());
    fs.writeFileSync(file(), 'a file');
    e = await errorOf(blocked.keepAside('acc1'));
    assert.deepEqual([e.reason, e.params], ['aside', { file: path.join(file(), 'x', 'acc1.json'), detail: 'ENOTDIR' }]);
  });

  it("a write removes its account's temp files left by dead processes, and nothing else", async () => {
    const keep = [
      `acc1.json.tmp-${process.pid}-0123abcd`, // ours: a write under way
      `acc1.json.tmp-${process.ppid}-0123abcd`, // a live process
      `acc1.json.tmp-${DEAD_PID}-0123abc`, // not the name a write makes
      `acc1.json.tmp-${DEAD_PID}-0123abcde`,
      `acc1.json.tmp-${DEAD_PID}-0123ABCD`,
      `acc1.json.tmp-x${DEAD_PID}-0123abcd`,
      `acc2.json.tmp-${DEAD_PID}-0123abcd`, // another account's
      `.write-check-${DEAD_PID}-0123abcd`, // check's, cleaned by check
    ];
    for (const name of [...keep, `acc1.json.tmp-${DEAD_PID}-0123abcd`, `acc1.json.tmp-1${DEAD_PID}-ffffffff`])
      fs.writeFileSync(path.join(dir, name), '');
    await new FileTokenStore({ dir }).write('acc1', { tokens: tokens() });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['acc1.json', ...keep].sort());
  });

  it('failures without a system code are named "error"', async () => {
    const plain = () => Promise.reject(new Error('no code'));
    fs.promises.open = plain;
    let e = await errorOf(new FileTokenStore({ dir }).write('acc1', { tokens: tokens() }));
    assert.deepEqual([e.message, e.params.detail], [`Cannot write the token file ${file()} (error)`, 'error']);
    fs.promises.open = real.open;
    fs.promises.rename = plain;
    e = await errorOf(new FileTokenStore({ dir }).keepAside('acc1'));
    assert.deepEqual([e.message, e.params.detail], [`Cannot move the token file ${file()} aside (error)`, 'error']);
    fs.promises.rename = real.rename;
    fs.promises.writeFile = plain;
    e = await errorOf(new FileTokenStore({ dir }).check());
    assert.deepEqual([e.reason, e.params.detail], ['unwritable', 'error']);
    fs.promises.writeFile = real.writeFile;
    fs.promises.mkdir = plain;
    e = await errorOf(new FileTokenStore({ dir }).check());
    assert.deepEqual([e.reason, e.params.detail], ['folder', 'error']);
  });

  it('a folder it cannot list after a write: the write still succeeds', async () => {
    fs.promises.readdir = () => Promise.reject(Object.assign(new Error('no'), { code: 'EACCES' }));
    await new FileTokenStore({ dir }).write('acc1', { tokens: tokens() });
    assert.deepEqual(await new FileTokenStore({ dir }).read('acc1'), { tokens: tokens() });
  });

  it('a process of another user (EPERM) is alive: its temp file stays', async () => {
    const pid = 4_000_000;
    fs.writeFileSync(path.join(dir, `acc1.json.tmp-${pid}-0123abcd`), '');
    const asked = [];
    process.kill = (p, signal) => {
      asked.push([p, signal]);
      if (p === pid) throw sysError('EPERM');
      return real.kill.call(process, p, signal);
    };
    await new FileTokenStore({ dir }).write('acc1', { tokens: tokens() });
    assert.deepEqual(asked, [[pid, 0]]);
    assert.ok(fs.existsSync(path.join(dir, `acc1.json.tmp-${pid}-0123abcd`)));
  });

  it('check: creates the folder, leaves no probe, removes the probes of dead processes', async () => {
    const sub = path.join(dir, 'new');
    await new FileTokenStore({ dir: sub }).check();
    assert.deepEqual(fs.readdirSync(sub), []);
    assert.equal(fs.statSync(sub).mode & 0o777, 0o700);
    const live = `.write-check-${process.ppid}-0123abcd`;
    fs.writeFileSync(path.join(sub, live), '');
    fs.writeFileSync(path.join(sub, `.write-check-${DEAD_PID}-0123abcd`), '');
    fs.writeFileSync(path.join(sub, `acc1.json.tmp-${DEAD_PID}-0123abcd`), '');
    await new FileTokenStore({ dir: sub }).check();
    assert.deepEqual(fs.readdirSync(sub).sort(), [live, `acc1.json.tmp-${DEAD_PID}-0123abcd`].sort());
  });

  it('check: a folder it cannot write in is STORE "unwritable" naming it; a probe removed by another replica is fine', async () => {
    const probes = [];
    fs.promises.writeFile = async (p, data, options) => {
      probes.push(path.basename(p));
      assert.deepEqual([data, options], ['', { mode: 0o600 }], 'an empty probe, 0600');
      throw sysError('EROFS');
    };
    let e = await errorOf(new FileTokenStore({ dir }).check());
    assert.deepEqual(
      [e.code, e.message, e.reason, e.params],
      [
        'STORE',
        `Cannot write in the token folder ${dir} (EROFS): check its owner, permissions and mount`,
        'unwritable',
        { file: dir, detail: 'EROFS' },
      ],
    );
    assert.match(probes[0], new RegExp(`^\\.write-check-${process.pid}-[0-9a-f]{8}$`));
    fs.promises.writeFile = real.writeFile;
    fs.promises.unlink = async (p) => {
      await real.unlink(p);
      throw sysError('ENOENT');
    };
    await new FileTokenStore({ dir }).check();
    fs.promises.unlink = async () => {
      throw sysError('EACCES');
    };
    e = await errorOf(new FileTokenStore({ dir }).check());
    assert.deepEqual([e.reason, e.params], ['unwritable', { file: dir, detail: 'EACCES' }]);
  });

  it('locks <file> with 10 s stale and 60 s wait by default, or the times given', async () => {
    const seen = [];
    lockfile.lock = async (f, o) => {
      seen.push([f, o.stale, o.retries.retries]);
      return async () => undefined;
    };
    await new FileTokenStore({ dir }).withLock('acc1', async () => undefined);
    assert.equal(await new FileTokenStore({ dir, lockStaleMs: 2000, lockWaitMs: 400 }).withLock('acc1', async () => 'v'), 'v');
    assert.deepEqual(seen, [
      [file(), 10_000, 300],
      [file(), 2000, 2],
    ]);
  });

  it('a secret given as null or a list: null is none, the first of a list encrypts', async () => {
    await new FileTokenStore({ dir, secret: () => null }).write('acc1', { tokens: tokens() });
    assert.deepEqual(JSON.parse(fs.readFileSync(file(), 'utf8')).account, { tokens: tokens() });
    await new FileTokenStore({ dir, secret: ['s-a', 's-b'] }).write('acc1', { tokens: tokens(2) });
    assert.deepEqual(await new FileTokenStore({ dir, secret: 's-a' }).read('acc1'), { tokens: tokens(2) });
    await errorOf(new FileTokenStore({ dir, secret: 's-b' }).read('acc1'));
  });

  it('isStoredAccount: each field with its type', () => {
    assert.equal(isStoredAccount({ tokens: tokens() }), true);
    for (const v of [
      null,
      undefined,
      {},
      { tokens: null },
      { tokens: { ...tokens(), expires_at: undefined } },
      { tokens: { ...tokens(), access_token: undefined } },
    ])
      assert.equal(isStoredAccount(v), false, JSON.stringify(v));
  });
});
