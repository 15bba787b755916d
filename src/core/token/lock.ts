import * as lockfile from 'proper-lockfile';
import { NetatmoError } from '../shared/errors';

export interface FileLockOptions {
  /** A lock older than this (its holder died) is taken over. Default 10 s, as TokenStore. */
  staleMs?: number;
  /** How long to wait for another process holding the lock. Default 60 s, as TokenStore. */
  waitMs?: number;
}

/**
 * Runs `fn` while holding an inter-process lock on `file` (a `<file>.lock` folder beside it,
 * proper-lockfile; a holder that died is taken over after `staleMs`). The file itself need not
 * exist. TokenStore locks its account files with it; the command line tool, the PHP script's files.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const staleMs = opts.staleMs ?? 10_000;
  const waitMs = opts.waitMs ?? 60_000;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false,
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 2)),
      retries: { retries: Math.ceil(waitMs / 200), factor: 1, minTimeout: 50, maxTimeout: 200, randomize: true },
      onCompromised: () => undefined, // the write that follows is still atomic; nothing to crash for
    });
  } catch (err) {
    const detail = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new NetatmoError('STORE', `${file} is locked by another process (${detail})`, { reason: 'locked', params: { file, detail } });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
