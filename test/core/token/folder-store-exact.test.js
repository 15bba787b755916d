'use strict';
/**
 * FolderTokenStore and writeFileAtomic (src/core/folder-store.ts), exactly: values, messages and
 * the files left, on real files. Failures the file system does not give on demand (a file gone or
 * changed right after its write) come from a wrapped fs.promises.readFile, restored after each test.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lockfile = require('proper-lockfile');
const { FolderTokenStore, TokenFileError, TOKEN_FILES, writeFileAtomic } = require('../../../dist/core/token/folder-store');

const TOKENS = { access_token: 'u1|a', refresh_token: 'u1|r', expires_at: 1737385729999, obtained_at: 5, scope: ['read_station'] };

describe('core: FolderTokenStore, exactly', () => {
  let dir;
  const realReadFile = fs.promises.readFile;
  const realOpen = fs.promises.open;
  const realLock = lockfile.lock;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-folder-exact-'))));
  afterEach(() => {
    fs.promises.readFile = realReadFile;
    fs.promises.open = realOpen;
    lockfile.lock = realLock;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const put = (name, text) => fs.writeFileSync(path.join(dir, name), text);
  const get = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
  const errorOf = (p) =>
    p.then(
      () => assert.fail('resolved'),
      (e) => e,
    );

  it('names its three files as the PHP script does, and resolves its folder', () => {
    assert.deepEqual(TOKEN_FILES, { access: 'file_access_token.txt', refresh: 'file_refresh_token.txt', expire: 'file_expire_time.txt' });
    const store = new FolderTokenStore({ dir: path.join(dir, 'a', '..', 'b') });
    assert.equal(store.dir, path.join(dir, 'b'));
    assert.equal(store.file(), path.join(dir, 'b', 'file_refresh_token.txt'));
  });

  it('obtained_at is when the expiry file was written, never after the expiry; a missing expiry file gives 0 and 0', async () => {
    put('file_refresh_token.txt', ' u1|r \n');
    put('file_access_token.txt', '\n');
    put('file_expire_time.txt', '4102444800'); // 2100: later than the file's time
    const before = Date.now();
    const store = new FolderTokenStore({ dir });
    const acc = await store.read('x');
    assert.deepEqual(Object.keys(acc), ['tokens']);
    assert.equal(acc.tokens.refresh_token, 'u1|r');
    assert.equal(acc.tokens.access_token, '', 'an empty access token file reads as ""');
    assert.equal(acc.tokens.expires_at, 4102444800000);
    assert.equal(acc.tokens.obtained_at, fs.statSync(path.join(dir, 'file_expire_time.txt')).mtimeMs);
    assert.ok(acc.tokens.obtained_at <= before + 1000);
    put('file_expire_time.txt', '1000');
    assert.equal((await store.read('x')).tokens.obtained_at, 1_000_000, 'the expiry, when the file is newer');
    fs.rmSync(path.join(dir, 'file_expire_time.txt'));
    const none = await store.peek('x');
    assert.deepEqual([none.tokens.expires_at, none.tokens.obtained_at], [0, 0]);
  });

  it('an expiry that is not 1 to 12 digits reads as 0 (expired)', async () => {
    put('file_refresh_token.txt', 'u1|r');
    const store = new FolderTokenStore({ dir });
    for (const [text, expected] of [
      ['123456789012', 123456789012000],
      ['1', 1000],
      ['1234567890123', 0],
      ['-5', 0],
      ['12a', 0],
      ['a12', 0],
      ['1.5', 0],
    ]) {
      put('file_expire_time.txt', text);
      assert.equal((await store.read('x')).tokens.expires_at, expected, text);
    }
  });

  it('a token file that cannot be read: STORE naming it, its folder and the reason', async () => {
    fs.mkdirSync(path.join(dir, 'file_refresh_token.txt'));
    const e = await errorOf(new FolderTokenStore({ dir }).read('x'));
    assert.equal(e.code, 'STORE');
    assert.equal(e.message, `file_refresh_token.txt in ${dir} cannot be read (EISDIR): check its owner and permissions`);
    fs.rmdirSync(path.join(dir, 'file_refresh_token.txt'));
    put('file_refresh_token.txt', 'u1|r');
    fs.mkdirSync(path.join(dir, 'file_access_token.txt'));
    fs.mkdirSync(path.join(dir, 'file_expire_time.txt'));
    const acc = await new FolderTokenStore({ dir }).read('x');
    assert.deepEqual([acc.tokens.access_token, acc.tokens.expires_at], ['', 0], 'the other two unreadable: "" and expired');
  });

  it('writes the expiry in whole seconds, rounded down, and clears the last error on a good write', async () => {
    const store = new FolderTokenStore({ dir });
    fs.mkdirSync(path.join(dir, 'file_expire_time.txt'));
    const e = await errorOf(store.write('x', { tokens: TOKENS }));
    assert.equal(e, store.lastWriteError);
    assert.deepEqual([e.fileName, e.problem], ['file_expire_time.txt', 'not-written']);
    assert.match(e.message, new RegExp(`^file_expire_time\\.txt cannot be written in ${dir.replace(/[.\\]/g, '\\$&')} \\(E[A-Z]+\\)$`));
    fs.rmdirSync(path.join(dir, 'file_expire_time.txt'));
    await store.write('x', { tokens: { ...TOKENS, expires_at: 1999 } });
    assert.equal(store.lastWriteError, undefined);
    assert.equal(get('file_expire_time.txt'), '1');
  });

  it('a file gone after its write: not-there; one that reads back otherwise: not-written; each named', async () => {
    const store = new FolderTokenStore({ dir });
    const target = path.join(dir, 'file_access_token.txt');
    fs.promises.readFile = async (file, ...rest) => {
      if (file === target) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
      return realReadFile(file, ...rest);
    };
    let e = await errorOf(store.write('x', { tokens: TOKENS }));
    assert.ok(e instanceof TokenFileError);
    assert.deepEqual(
      [e.code, e.fileName, e.problem, e.message],
      ['STORE', 'file_access_token.txt', 'not-there', `file_access_token.txt does not exist in ${dir} after writing it`],
    );
    assert.equal(store.lastWriteError, e);
    assert.equal(fs.existsSync(path.join(dir, 'file_expire_time.txt')), false, 'stopped at the first failure');
    fs.promises.readFile = async (file, ...rest) => (file === target ? 'u1|other' : realReadFile(file, ...rest));
    e = await errorOf(store.write('x', { tokens: TOKENS }));
    assert.deepEqual(
      [e.fileName, e.problem, e.message],
      ['file_access_token.txt', 'not-written', `file_access_token.txt in ${dir} does not hold what was written`],
    );
  });

  it('a failure without a system code (even a thrown null) is named "error"', async () => {
    const store = new FolderTokenStore({ dir });
    fs.promises.open = () => Promise.reject(null);
    const e = await errorOf(store.write('x', { tokens: TOKENS }));
    assert.deepEqual([e.fileName, e.message], ['file_refresh_token.txt', `file_refresh_token.txt cannot be written in ${dir} (error)`]);
  });

  it('remove deletes the three files, and nothing else; twice is fine', async () => {
    put('file_refresh_token.txt', 'r');
    put('file_access_token.txt', 'a');
    put('file_expire_time.txt', '1');
    put('other.txt', 'o');
    const store = new FolderTokenStore({ dir });
    await store.remove('x');
    await store.remove('x');
    assert.deepEqual(fs.readdirSync(dir), ['other.txt']);
  });

  it('locks with the stale and wait times given', async () => {
    const seen = [];
    lockfile.lock = async (file, options) => {
      seen.push([file, options.stale, options.retries.retries]);
      return async () => undefined;
    };
    assert.equal(await new FolderTokenStore({ dir, lockStaleMs: 3000, lockWaitMs: 400 }).withLock('x', async () => 'in'), 'in');
    await new FolderTokenStore({ dir }).withLock('x', async () => undefined);
    assert.deepEqual(seen, [
      [path.join(dir, 'file_refresh_token.txt'), 3000, 2],
      [path.join(dir, 'file_refresh_token.txt'), 10_000, 300],
    ]);
  });

  it('keepAside: one suffix of the reason (letters, digits, "-" only), the time and 6 hex; what is missing is skipped', async () => {
    put('file_access_token.txt', 'a');
    put('file_expire_time.txt', '1');
    const store = new FolderTokenStore({ dir });
    const before = Date.now();
    assert.equal(await store.keepAside('x', 'bad/../name ok-1'), undefined, 'no refresh token to name');
    const names = fs.readdirSync(dir).sort();
    assert.equal(names.length, 2);
    const m = /^file_access_token\.txt\.(badnameok-1)-(\d+)-([0-9a-f]{6})$/.exec(names[0]);
    assert.ok(m, names[0]);
    assert.ok(Number(m[2]) >= before && Number(m[2]) <= Date.now());
    assert.equal(names[1], `file_expire_time.txt.${m[1]}-${m[2]}-${m[3]}`);
    put('file_refresh_token.txt', 'r');
    const aside = await store.keepAside('x');
    assert.match(aside, /file_refresh_token\.txt\.unreadable-\d+-[0-9a-f]{6}$/);
    assert.equal(path.dirname(aside), dir);
  });

  it('keepAside: a file that cannot be moved is STORE naming it', async () => {
    put('file_refresh_token.txt', 'r');
    const store = new FolderTokenStore({ dir: path.join(dir, 'file_refresh_token.txt') }); // a file as the folder
    const e = await errorOf(store.keepAside('x'));
    assert.equal(e.code, 'STORE');
    assert.equal(e.message, `Cannot move file_access_token.txt aside in ${store.dir} (ENOTDIR)`);
  });
});

describe('core: writeFileAtomic, exactly', () => {
  let dir;
  const realOpen = fs.promises.open;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-atomic-'))));
  afterEach(() => {
    fs.promises.open = realOpen;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no file descriptor open, and a folder it cannot open for its fsync is no failure', async () => {
    const open = () => fs.readdirSync('/proc/self/fd').length;
    const file = path.join(dir, 'f.txt');
    await writeFileAtomic(file, 'warm-up');
    const before = open();
    for (let i = 0; i < 10; i++) await writeFileAtomic(file, `v${i}`);
    assert.equal(open(), before, 'file descriptors leaked');
    fs.promises.open = (p, ...rest) =>
      p === dir ? Promise.reject(Object.assign(new Error('no'), { code: 'EACCES' })) : realOpen(p, ...rest);
    await writeFileAtomic(file, 'still written');
    assert.equal(fs.readFileSync(file, 'utf8'), 'still written');
  });

  it('replaces the content, mode 0600, and leaves no temporary file', async () => {
    const file = path.join(dir, 'f.txt');
    fs.writeFileSync(file, 'old content, longer', { mode: 0o644 });
    await writeFileAtomic(file, 'new');
    assert.equal(fs.readFileSync(file, 'utf8'), 'new');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), ['f.txt']);
  });

  it('through a symbolic link: the target is written, the link stays a link', async () => {
    const real = path.join(dir, 'real.txt');
    const link = path.join(dir, 'link.txt');
    fs.writeFileSync(real, 'old');
    fs.symlinkSync(real, link);
    await writeFileAtomic(link, 'new');
    assert.equal(fs.lstatSync(link).isSymbolicLink(), true);
    assert.equal(fs.readFileSync(real, 'utf8'), 'new');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['link.txt', 'real.txt']);
  });

  it('a rename that fails leaves the old file and no temporary file, and throws the system error', async () => {
    const file = path.join(dir, 'sub');
    fs.mkdirSync(file);
    fs.writeFileSync(path.join(file, 'keep'), 'x');
    await assert.rejects(writeFileAtomic(file, 'new'), (err) => typeof err.code === 'string' && err.code.startsWith('E'));
    assert.deepEqual(fs.readdirSync(dir), ['sub']);
  });
});
