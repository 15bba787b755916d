import { NetatmoError } from './errors';

/**
 * The one way the core waits: `sleep` on injectable timers (tests pass virtual ones), ended early by a
 * stop signal (a node closing). The arithmetic of how long to wait lives beside it, in retry-timing.ts.
 */

/** The timers a wait runs on; tests pass virtual ones. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SleepOptions {
  timers?: Timers;
  /** Aborted: the wait ends at once, rejecting with `stoppedError()`. */
  signal?: AbortSignal;
}

/** Waits `ms`; rejects (TIMEOUT, reason `stopped`) as soon as `signal` aborts, or at once if it already has. */
export function sleep(ms: number, opts: SleepOptions = {}): Promise<void> {
  const { timers = realTimers, signal } = opts;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(stoppedError());
    const onAbort = (): void => {
      timers.clearTimeout(timer);
      reject(stoppedError());
    };
    const timer = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What a message waiting on a stopped node (redeploy, shutdown) fails with. */
export function stoppedError(): NetatmoError {
  return new NetatmoError('TIMEOUT', 'The node was stopped (redeploy or shutdown) while the message waited', { reason: 'stopped' });
}

/**
 * Resolves when `work` settles or after `ms` of real time, whichever comes first; never rejects.
 * The timer does not keep the process alive.
 */
export function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const settle = (): void => {
      clearTimeout(timer);
      resolve();
    };
    work.then(settle, settle);
  });
}
