import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { NetatmoError } from './errors';
import type { TokenSet } from './oauth';
import { checkAccountId } from './validate';

/** What we keep for one Netatmo login. */
export interface StoredAccount {
  tokens: TokenSet;
  /** Set when Netatmo refused the stored refresh token: the user must authorize again. */
  invalid?: { code: string; message: string; at: number };
}

export interface TokenStoreOptions {
  /** Folder holding one file per account; created 0700. */
  dir: string;
  /** When set, files are encrypted with a key derived from it (Node-RED's credentialSecret). */
  secret?: string;
  /** A lock older than this (its holder died) is taken over. */
  lockStaleMs?: number;
  /** How long to wait for another process holding the lock. */
  lockWaitMs?: number;
}

interface Envelope {
  version: 1;
  encrypted?: 'aes-256-gcm';
  iv?: string;
  tag?: string;
  data?: string;
  account?: StoredAccount;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Durable, atomic, private token files: `<dir>/<account id>.json`.
 * A write goes to a temp file, is fsynced, renamed over the old one, and the folder is fsynced:
 * a crash at any instant leaves either the old or the new complete file.
 */
export class TokenStore {
  readonly dir: string;
  private readonly key?: Buffer;
  private readonly lockStaleMs: number;
  private readonly lockWaitMs: number;

  constructor(opts: TokenStoreOptions) {
    this.dir = path.resolve(opts.dir);
    if (opts.secret) this.key = createHash('sha256').update(opts.secret).digest();
    Object.defineProperty(this, 'key', { enumerable: false });
    this.lockStaleMs = opts.lockStaleMs ?? 10_000;
    this.lockWaitMs = opts.lockWaitMs ?? 60_000;
  }

  file(accountId: string): string {
    return path.join(this.dir, `${checkAccountId(accountId)}.json`);
  }

  async read(accountId: string): Promise<StoredAccount | null> {
    const file = this.file(accountId);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new NetatmoError('STORE', `Cannot read the token file ${file} (${(err as NodeJS.ErrnoException).code}): check its owner and permissions`);
    }
    let account: StoredAccount;
    try {
      account = this.decode(text);
    } catch (err) {
      const aside = `${file}.corrupt-${Date.now()}-${randomBytes(3).toString('hex')}`; // unique: rename would overwrite an earlier one
      await fs.rename(file, aside).catch(() => undefined);
      throw new NetatmoError('STORE_CORRUPT', `The token file ${file} is damaged (${(err as Error).message}); it was kept as ${path.basename(aside)}. Authorize again.`);
    }
    return account;
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
      throw new NetatmoError('STORE', `Cannot write the token file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
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
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(file, {
        realpath: false,
        stale: this.lockStaleMs,
        update: Math.max(1000, Math.floor(this.lockStaleMs / 2)),
        retries: { retries: Math.ceil(this.lockWaitMs / 200), factor: 1, minTimeout: 50, maxTimeout: 200, randomize: true },
        onCompromised: () => undefined, // the write that follows is still atomic; nothing to crash for
      });
    } catch (err) {
      throw new NetatmoError('STORE', `The token file ${file} is locked by another process (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      return await fn();
    } finally {
      await release().catch(() => undefined);
    }
  }

  private async ensureDir(): Promise<void> {
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: DIR_MODE });
      await fs.chmod(this.dir, DIR_MODE);
    } catch (err) {
      throw new NetatmoError('STORE', `Cannot create the token folder ${this.dir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
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

  private encode(account: StoredAccount): string {
    if (!this.key) return JSON.stringify({ version: 1, account } satisfies Envelope, null, 2);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(account), 'utf8'), cipher.final()]);
    const env: Envelope = { version: 1, encrypted: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    return JSON.stringify(env);
  }

  private decode(text: string): StoredAccount {
    let env: Envelope;
    try {
      env = JSON.parse(text) as Envelope;
    } catch {
      throw new Error('not JSON');
    }
    if (!env || env.version !== 1) throw new Error('unknown format');
    let account: unknown = env.account;
    if (env.encrypted) {
      if (!this.key) throw new Error('encrypted, but Node-RED has no credential secret');
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(env.iv ?? '', 'base64'));
        decipher.setAuthTag(Buffer.from(env.tag ?? '', 'base64'));
        const plain = Buffer.concat([decipher.update(Buffer.from(env.data ?? '', 'base64')), decipher.final()]);
        account = JSON.parse(plain.toString('utf8'));
      } catch {
        throw new Error('cannot decrypt: the credential secret changed');
      }
    }
    if (!isStoredAccount(account)) throw new Error('missing fields');
    return account;
  }
}

function isStoredAccount(v: unknown): v is StoredAccount {
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
