import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Keys, WrongSecretError, decode, deriveKey, encode, keysFor } from './envelope';
import { NetatmoError } from '../shared/errors';
import { withFileLock } from './lock';
import type { TokenSet } from './oauth';
import { checkAccountId } from '../shared/validate';

/**
 * Where the logins are kept, one per account id. The manager reads, writes and locks through it;
 * `FileTokenStore` (below) is Node-RED's encrypted file per account, `FolderTokenStore`
 * (folder-store.ts) the PHP script's three files.
 */
export interface TokenStore {
  /** The file (or folder) holding the account's login, for messages. */
  file(accountId: string): string;
  /**
   * The stored login, or null when there is none; STORE_CORRUPT when damaged (may be set aside); STORE
   * (reason `secret`) when written with another credential secret (left in place: another process's login).
   */
  read(accountId: string): Promise<StoredAccount | null>;
  /** Like `read`, without side effects (a damaged file stays where it is). */
  peek(accountId: string): Promise<StoredAccount | null>;
  /** Stores the login durably (the old or the new one survives a crash, never half of each). */
  write(accountId: string, account: StoredAccount): Promise<void>;
  remove(accountId: string): Promise<void>;
  /** Runs `fn` holding an inter-process lock on the account's login. */
  withLock<T>(accountId: string, fn: () => Promise<T>): Promise<T>;
  /** Moves an unreadable login out of the way before a new one is stored; returns where (or undefined). */
  keepAside(accountId: string, why?: string): Promise<string | undefined>;
  /** Fails (STORE, reason `unwritable`) when logins cannot be stored: said at start, not at the first refresh. */
  check?(): Promise<void>;
  /** True when the login, as last read, is not stored the way `write` would store it now. */
  isOutdated?(accountId: string): boolean;
  /** Rewrites an outdated login the current way, under the lock; true when it did. */
  upgrade?(accountId: string): Promise<boolean>;
}

/** What we keep for one Netatmo login. */
export interface StoredAccount {
  tokens: TokenSet;
  /** Set when Netatmo refused the stored refresh token: the user must authorize again. */
  invalid?: { code: string; message: string; at: number; reason?: string };
  /**
   * ms since epoch when a refresh request was sent with this refresh token and its answer is not
   * stored yet. Still there after a restart when the process died (or the answer was lost) in
   * between: an `invalid_grant` then most likely means Netatmo did rotate the token.
   */
  pending?: number;
}

/**
 * Node-RED's credential secret(s): the first one encrypts, any of them decrypts (a user who sets
 * `credentialSecret` after Node-RED had generated one still reads the older files). A function is
 * asked at every read and write, so that a secret which appears later is used from then on.
 * No secret (or an empty first one): files are written in clear text.
 */
export type SecretSource =
  string | undefined | ReadonlyArray<string | undefined> | (() => string | undefined | ReadonlyArray<string | undefined>);

export interface TokenStoreOptions {
  /** Folder holding one file per account; created 0700. */
  dir: string;
  /** When set, files are encrypted with a key derived from it (Node-RED's credentialSecret); see SecretSource. */
  secret?: SecretSource;
  /** A lock older than this (its holder died) is taken over. */
  lockStaleMs?: number;
  /** How long to wait for another process holding the lock. */
  lockWaitMs?: number;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** The name of `check`'s probe files, before `<pid>-<8 hex>`. */
const PROBE = '.write-check-';

/**
 * Durable, atomic, private token files: `<dir>/<account id>.json`.
 * A write goes to a temp file, is fsynced, renamed over the old one, and the folder is fsynced:
 * a crash at any instant leaves either the old or the new complete file.
 */
export class FileTokenStore implements TokenStore {
  readonly dir: string;
  private readonly secret?: SecretSource;
  private readonly keyCache = new Map<string, Buffer>();
  /** Accounts whose file, when last read, was not encrypted with the current first secret. */
  private readonly outdated = new Set<string>();
  private readonly lockStaleMs: number;
  private readonly lockWaitMs: number;

  constructor(opts: TokenStoreOptions) {
    this.dir = path.resolve(opts.dir);
    this.secret = opts.secret;
    // Neither the secret nor the keys derived from it show in util.inspect(store) or JSON.
    Object.defineProperty(this, 'secret', { enumerable: false });
    Object.defineProperty(this, 'keyCache', { enumerable: false });
    this.lockStaleMs = opts.lockStaleMs ?? 10_000;
    this.lockWaitMs = opts.lockWaitMs ?? 60_000;
  }

  file(accountId: string): string {
    return path.join(this.dir, `${checkAccountId(accountId)}.json`);
  }

  async read(accountId: string): Promise<StoredAccount | null> {
    const file = this.file(accountId);
    const text = await readText(file);
    if (text === null) return null;
    let decoded: { account: StoredAccount; outdated: boolean };
    try {
      decoded = this.decodeEntry(text);
    } catch (err) {
      if (err instanceof WrongSecretError) throw wrongSecret(file, err);
      const aside = `${file}.corrupt-${Date.now()}-${randomBytes(3).toString('hex')}`; // unique: rename would overwrite an earlier one
      await fs.rename(file, aside).catch(() => undefined);
      const detail = (err as Error).message;
      throw new NetatmoError(
        'STORE_CORRUPT',
        `The token file ${file} is damaged (${detail}); it was kept as ${path.basename(aside)}. Authorize again.`,
        { reason: 'damaged', params: { file, detail, aside: path.basename(aside) } },
      );
    }
    if (decoded.outdated) this.outdated.add(accountId);
    else this.outdated.delete(accountId);
    return decoded.account;
  }

  /** True when the file, as last read, is not encrypted with the current (first) secret: see `upgrade`. */
  isOutdated(accountId: string): boolean {
    return this.outdated.has(accountId);
  }

  /**
   * Rewrites the file with the current (first) secret if it was written in clear text or with an
   * older secret. Under the lock, so that it never puts back an older token than another process
   * stored meanwhile. Returns true when the file was rewritten.
   */
  async upgrade(accountId: string): Promise<boolean> {
    return this.withLock(accountId, async () => {
      const account = await this.read(accountId);
      if (!account || !this.outdated.has(accountId)) return false;
      await this.write(accountId, account);
      return true;
    });
  }

  /**
   * Moves the account's file out of the way, under a new unique name that is returned (undefined
   * when there was no file). For a file that cannot be read (owner, permissions) before a new login
   * is stored in its place: it is kept, never silently overwritten.
   */
  async keepAside(accountId: string, why = 'unreadable'): Promise<string | undefined> {
    const file = this.file(accountId);
    const aside = `${file}.${why.replace(/[^a-z0-9-]/gi, '')}-${Date.now()}-${randomBytes(3).toString('hex')}`;
    try {
      await fs.rename(file, aside);
      return aside;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      const detail = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new NetatmoError('STORE', `Cannot move the token file ${file} aside (${detail})`, {
        reason: 'aside',
        params: { file, detail },
      });
    }
  }

  /**
   * Like `read`, without side effects: a file that cannot be decoded (damaged, or encrypted with
   * another secret) is reported as STORE_CORRUPT but left in place. For tools (the command line)
   * that may hold the wrong credential secret and must not move Node-RED's file aside.
   */
  async peek(accountId: string): Promise<StoredAccount | null> {
    const file = this.file(accountId);
    const text = await readText(file);
    if (text === null) return null;
    try {
      return this.decode(text);
    } catch (err) {
      if (err instanceof WrongSecretError) throw wrongSecret(file, err);
      const detail = (err as Error).message;
      throw new NetatmoError('STORE_CORRUPT', `The token file ${file} cannot be decoded (${detail}); it was left untouched`, {
        reason: 'undecodable',
        params: { file, detail },
      });
    }
  }

  async write(accountId: string, account: StoredAccount): Promise<void> {
    const file = this.file(accountId);
    await this.ensureDir();
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const fh = await fs.open(tmp, 'w', FILE_MODE);
      try {
        await fh.writeFile(this.encode(account));
        await fh.chmod(FILE_MODE);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, file);
      await this.syncDir();
    } catch (err) {
      await fs.unlink(tmp).catch(() => undefined);
      const detail = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new NetatmoError('STORE', `Cannot write the token file ${file} (${detail})`, { reason: 'write', params: { file, detail } });
    }
    this.outdated.delete(accountId);
    await this.removeStaleTemps(`${path.basename(file)}.tmp-`);
  }

  /**
   * Temp files left by a process killed between its write and its rename (`<id>.json.tmp-`), or during
   * `check` (`.write-check-`): never used now, so removed.
   */
  private async removeStaleTemps(base: string): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      // Exactly the names `write` and `check` make: `<base><pid>-<8 hex>`, nothing else.
      if (!name.startsWith(base)) continue;
      const pid = Number(/^(\d+)-[0-9a-f]{8}$/.exec(name.slice(base.length))?.[1]);
      if (!Number.isInteger(pid) || processAlive(pid)) continue; // ours too: alive
      await fs.unlink(path.join(this.dir, name)).catch(() => undefined);
    }
  }

  async remove(accountId: string): Promise<void> {
    await fs.rm(this.file(accountId), { force: true });
  }

  /**
   * Runs `fn` while holding an inter-process lock on the account's file, so that two
   * Node-RED processes, or Node-RED and the CLI, never refresh the same login at once.
   */
  async withLock<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    const file = this.file(accountId);
    await this.ensureDir();
    return withFileLock(file, fn, { staleMs: this.lockStaleMs, waitMs: this.lockWaitMs });
  }

  /**
   * Creates the folder if needed and writes (then removes) a probe file in it: a folder on a read-only
   * mount, owned by another user or not a folder at all is a STORE error at start, naming the folder.
   */
  async check(): Promise<void> {
    await this.ensureDir();
    const probe = path.join(this.dir, `${PROBE}${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.writeFile(probe, '', { mode: FILE_MODE });
      // ENOENT: a replica on another machine (where our pid means nothing) took it for a leftover.
      await fs.unlink(probe).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await this.removeStaleTemps(PROBE);
    } catch (err) {
      await fs.unlink(probe).catch(() => undefined);
      const detail = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new NetatmoError('STORE', `Cannot write in the token folder ${this.dir} (${detail}): check its owner, permissions and mount`, {
        reason: 'unwritable',
        params: { file: this.dir, detail },
      });
    }
  }

  private async ensureDir(): Promise<void> {
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: DIR_MODE });
      // A folder of another owner (a mount point chosen as the token folder) cannot be tightened: its files still are 0600.
      await fs.chmod(this.dir, DIR_MODE).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPERM') throw err;
      });
    } catch (err) {
      const detail = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new NetatmoError('STORE', `Cannot create the token folder ${this.dir} (${detail})`, {
        reason: 'folder',
        params: { file: this.dir, detail },
      });
    }
  }

  private async syncDir(): Promise<void> {
    const dh = await fs.open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  /** The keys of the moment: the first secret encrypts, every secret decrypts. */
  private keys(): Keys {
    let value: string | undefined | ReadonlyArray<string | undefined>;
    try {
      value = typeof this.secret === 'function' ? this.secret() : this.secret;
    } catch {
      // a source that throws means no secret: value stays undefined
    }
    const list: ReadonlyArray<string | undefined> =
      typeof value === 'string' || value === undefined || value === null ? [value ?? undefined] : value;
    return keysFor(list, (secret) => {
      const key = this.keyCache.get(secret) ?? deriveKey(secret);
      this.keyCache.set(secret, key);
      return key;
    });
  }

  private encode(account: StoredAccount): string {
    return encode(account, this.keys());
  }

  private decode(text: string): StoredAccount {
    return this.decodeEntry(text).account;
  }

  /** Decodes a file; `outdated` when it is not written the way `encode` would write it now. */
  private decodeEntry(text: string): { account: StoredAccount; outdated: boolean } {
    const { account, outdated } = decode(text, this.keys());
    if (!isStoredAccount(account)) throw new Error('missing fields');
    return { account, outdated };
  }
}

/** The name the encrypted file store had before TokenStore became an interface. */
export const TokenStore = FileTokenStore;

/** Whether a process of this machine still runs (EPERM: it does, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isStoredAccount(v: unknown): v is StoredAccount {
  const t = (v as StoredAccount | null)?.tokens;
  return (
    !!t &&
    typeof t.access_token === 'string' &&
    typeof t.refresh_token === 'string' &&
    t.refresh_token !== '' &&
    typeof t.expires_at === 'number' &&
    Array.isArray(t.scope)
  );
}

/** A file encrypted with a secret we do not have: said as such, naming `credentialSecret`, never set aside. */
function wrongSecret(file: string, err: WrongSecretError): NetatmoError {
  const detail = err.message;
  return new NetatmoError(
    'STORE',
    `The token file ${file} was written with another credentialSecret (${detail}); it was left untouched and nothing is refreshed. ` +
      'Give this Node-RED the same credentialSecret (settings.js) as the one that wrote it, or authorize again to replace it',
    { reason: 'secret', params: { file, detail } },
  );
}

/** The file's text, or null when there is none; any other failure is a STORE error naming the file. */
async function readText(file: string): Promise<string | null> {
  try {
    // Stryker disable next-line StringLiteral: equivalent, a Buffer read without encoding parses as the same JSON
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    const detail = String((err as NodeJS.ErrnoException).code);
    throw new NetatmoError('STORE', `Cannot read the token file ${file} (${detail}): check its owner and permissions`, {
      reason: 'read',
      params: { file, detail },
    });
  }
}
