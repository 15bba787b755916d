/**
 * The PHP script's folder as a TokenStore: `file_refresh_token.txt`, `file_access_token.txt` and
 * `file_expire_time.txt` (Unix seconds), one login per folder, each file holding one value and no
 * final newline, as netatmo_manage_tokens.php writes them. Written atomically, mode 0600, and
 * read back; locked with `file_refresh_token.txt.lock`, as every earlier netatmo-tokens did.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { NetatmoError } from '../shared/errors';
import { withFileLock } from './lock';
import type { StoredAccount, TokenStore } from './store';

export const TOKEN_FILES = {
  access: 'file_access_token.txt',
  refresh: 'file_refresh_token.txt',
  expire: 'file_expire_time.txt',
} as const;

export type TokenFileName = (typeof TOKEN_FILES)[keyof typeof TOKEN_FILES];

const FILE_MODE = 0o600;

const errno = (err: unknown): string => (err as NodeJS.ErrnoException)?.code ?? 'error';

/** A token file that could not be written (`not-written`) or was not there when read back (`not-there`). */
export class TokenFileError extends NetatmoError {
  constructor(
    readonly fileName: TokenFileName,
    readonly problem: 'not-written' | 'not-there',
    message: string,
  ) {
    super('STORE', message);
  }
}

export interface FolderTokenStoreOptions {
  dir: string;
  lockStaleMs?: number;
  lockWaitMs?: number;
}

/**
 * The folder holds one login: the account id is ignored. The files have no place for the
 * manager's marks (a refresh under way, a refused login): `write` keeps the tokens only, so the
 * mark written before a refresh request rewrites the same pair, which also proves that the files
 * can still be written before the refresh token is spent.
 */
export class FolderTokenStore implements TokenStore {
  readonly dir: string;
  /** The last write that failed, naming the file: the command line turns it into the manual's exit code. */
  lastWriteError?: TokenFileError;
  private readonly lockStaleMs?: number;
  private readonly lockWaitMs?: number;

  constructor(opts: FolderTokenStoreOptions) {
    this.dir = path.resolve(opts.dir);
    this.lockStaleMs = opts.lockStaleMs;
    this.lockWaitMs = opts.lockWaitMs;
  }

  file(): string {
    return path.join(this.dir, TOKEN_FILES.refresh);
  }

  /**
   * The login, or null without a refresh token. A missing access token reads as '', a missing or
   * unreadable expiry as 0 (expired): the manual's way to start from a refresh token copied by hand.
   */
  async read(): Promise<StoredAccount | null> {
    const refresh = await this.readValue(TOKEN_FILES.refresh);
    if (!refresh) return null;
    const access = (await this.readValue(TOKEN_FILES.access).catch(() => undefined)) ?? '';
    const expire = await this.readValue(TOKEN_FILES.expire).catch(() => undefined);
    const expiresAt = /^\d{1,12}$/.test(String(expire)) ? Number(expire) * 1000 : 0; // none: "undefined", 0
    const written = await fs.stat(path.join(this.dir, TOKEN_FILES.expire)).then(
      (st) => st.mtimeMs,
      () => expiresAt,
    );
    return {
      tokens: { access_token: access, refresh_token: refresh, expires_at: expiresAt, obtained_at: Math.min(written, expiresAt), scope: [] },
    };
  }

  peek(): Promise<StoredAccount | null> {
    return this.read();
  }

  /** The refresh token first (it cannot be obtained again), then the access token and the expiry. */
  async write(_accountId: string, account: StoredAccount): Promise<void> {
    const t = account.tokens;
    const writes: Array<[TokenFileName, string]> = [
      [TOKEN_FILES.refresh, t.refresh_token],
      [TOKEN_FILES.access, t.access_token],
      [TOKEN_FILES.expire, String(Math.floor(t.expires_at / 1000))],
    ];
    this.lastWriteError = undefined;
    for (const [name, content] of writes) {
      const file = path.join(this.dir, name);
      try {
        await writeFileAtomic(file, content);
      } catch (err) {
        throw this.failed(name, 'not-written', `${name} cannot be written in ${this.dir} (${errno(err)})`);
      }
      const back = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (back === undefined) throw this.failed(name, 'not-there', `${name} does not exist in ${this.dir} after writing it`);
      if (back !== content) throw this.failed(name, 'not-written', `${name} in ${this.dir} does not hold what was written`);
    }
  }

  async remove(): Promise<void> {
    for (const name of Object.values(TOKEN_FILES)) await fs.rm(path.join(this.dir, name), { force: true });
  }

  withLock<T>(_accountId: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(this.file(), fn, { staleMs: this.lockStaleMs, waitMs: this.lockWaitMs });
  }

  /** Moves the three files aside under one unique suffix; returns the refresh token's new name. */
  async keepAside(_accountId: string, why = 'unreadable'): Promise<string | undefined> {
    const suffix = `.${why.replace(/[^a-z0-9-]/gi, '')}-${Date.now()}-${randomBytes(3).toString('hex')}`;
    let moved: string | undefined;
    for (const name of Object.values(TOKEN_FILES)) {
      const file = path.join(this.dir, name);
      try {
        await fs.rename(file, file + suffix);
        if (name === TOKEN_FILES.refresh) moved = file + suffix;
      } catch (err) {
        if (errno(err) !== 'ENOENT') throw new NetatmoError('STORE', `Cannot move ${name} aside in ${this.dir} (${errno(err)})`);
      }
    }
    return moved;
  }

  /** The trimmed content, or undefined when the file does not exist or is empty. */
  private async readValue(name: string): Promise<string | undefined> {
    try {
      return (await fs.readFile(path.join(this.dir, name), 'utf8')).trim() || undefined;
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw new NetatmoError('STORE', `${name} in ${this.dir} cannot be read (${errno(err)}): check its owner and permissions`);
    }
  }

  private failed(name: TokenFileName, problem: 'not-written' | 'not-there', message: string): TokenFileError {
    this.lastWriteError = new TokenFileError(name, problem, message);
    return this.lastWriteError;
  }
}

/** Where a write to `file` really lands: a symbolic link's target (kept a link), else the path itself. */
async function target(file: string): Promise<string> {
  try {
    return await fs.realpath(file);
  } catch {
    return file;
  }
}

/**
 * Temp file beside the target, fsync, rename over it, fsync the folder: a crash leaves
 * either the old or the new complete file, never a truncated one. Mode 0600.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const dest = await target(file);
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await fs.open(tmp, 'wx', FILE_MODE);
    try {
      await fh.writeFile(content);
      await fh.chmod(FILE_MODE);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, dest);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
  // Stryker disable next-line StringLiteral: equivalent, the folder's fsync is not observable without a crash
  const dh = await fs.open(path.dirname(dest), 'r').catch(() => undefined);
  if (dh)
    await dh
      .sync()
      .catch(() => undefined)
      .finally(() => dh.close());
}
