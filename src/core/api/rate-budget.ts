import { createHash } from 'node:crypto';
import { NetatmoError } from '../shared/errors';
import { DEFAULT_RETRY_TIMING } from '../shared/retry-timing';
import { Timers, realTimers, stoppedError } from '../shared/timing';

/**
 * One Netatmo user's request budget, shared by every API call of an account.
 *
 * Netatmo allows a user 50 requests per 10 s and 500 per hour, answers 429 (code 26) above that, and
 * bans a user who keeps going. We keep a margin (45 and 450), and count a request from the moment it
 * is sent until a whole window after its answer came back: Netatmo saw it somewhere in between, so
 * however late it arrived there, no window of Netatmo's holds more than we allow. After a 429 every
 * call pauses for as long as Netatmo asked (Retry-After), or a minute.
 *
 * Calls over budget queue, first come first served, each for as long as its message may wait; one
 * that cannot get a turn in time is refused at once when that is already certain. The arithmetic
 * (`delay`) is pure on an injectable clock; the queue sleeps on timers.
 */

export interface RateWindow {
  /** Requests Netatmo allows... */
  limit: number;
  /** ...in this many milliseconds. */
  windowMs: number;
}

/** Netatmo's published per-user limits. */
export const NETATMO_USER_LIMITS: readonly RateWindow[] = [
  { limit: 50, windowMs: 10_000 },
  { limit: 500, windowMs: 3_600_000 },
];

export interface RateBudgetOptions {
  limits?: readonly RateWindow[];
  /** Fraction of each limit kept in reserve: 0.1 allows 45 of 50. Default 0.1. */
  margin?: number;
  clock?: () => number;
  /** Pause after a 429 that names no Retry-After. Default 60 s (DEFAULT_RETRY_TIMING.rateLimitMs). */
  defaultPauseMs?: number;
  /** Longest pause a Retry-After may impose. Default 1 hour (DEFAULT_RETRY_TIMING.maxRateLimitMs). */
  maxPauseMs?: number;
  /** The timers waiting calls sleep on (their deadline, the next turn). Default: the global ones. */
  timers?: Timers;
}

/** Ends a request's turn: called once its answer (or failure) came back. */
export type Release = () => void;

interface Sent {
  /** When the answer came back; undefined while the request is in flight. */
  done?: number;
}

interface Waiter {
  resolve(release: Release): void;
  reject(err: Error): void;
  cancel(): void;
}

export class RateBudget {
  readonly windows: readonly RateWindow[];
  private readonly clock: () => number;
  private readonly defaultPauseMs: number;
  private readonly maxPauseMs: number;
  private readonly horizonMs: number;
  private sent: Sent[] = [];
  private pausedUntil = 0;
  private readonly waiters: Waiter[] = [];
  private timer?: unknown;
  private readonly timers: Timers;

  constructor(opts: RateBudgetOptions = {}) {
    const margin = Math.min(0.5, Math.max(0, opts.margin ?? 0.1));
    this.windows = (opts.limits ?? NETATMO_USER_LIMITS).map((w) => ({
      limit: Math.max(1, Math.floor(w.limit * (1 - margin))),
      windowMs: w.windowMs,
    }));
    this.clock = opts.clock ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.defaultPauseMs = opts.defaultPauseMs ?? DEFAULT_RETRY_TIMING.rateLimitMs;
    this.maxPauseMs = opts.maxPauseMs ?? DEFAULT_RETRY_TIMING.maxRateLimitMs;
    this.horizonMs = Math.max(0, ...this.windows.map((w) => w.windowMs));
  }

  /** Milliseconds until one more request may be sent: 0 now, Infinity not before an answer comes back. */
  delay(): number {
    const now = this.clock();
    this.prune(now);
    let wait = Math.max(0, this.pausedUntil - now);
    for (const w of this.windows) {
      // Requests that must leave the window before one more may go. In flight, a request has not begun to
      // leave; answered, it leaves `windowMs` after its answer. Answers older than this window count too:
      // they left at or before now, sort first, and shift the index below by just their own number.
      const excess = this.sent.length - w.limit + 1;
      if (excess <= 0) continue;
      const leaving = this.sent
        .filter((s) => s.done !== undefined)
        .map((s) => (s.done as number) + w.windowMs)
        .sort((a, b) => a - b);
      wait = Math.max(wait, excess <= leaving.length ? leaving[excess - 1] - now : Infinity);
    }
    return wait;
  }

  /** Counts a request as sent now. Call the returned function when its answer (or failure) is back. */
  take(): Release {
    const s: Sent = {};
    this.sent.push(s);
    return () => {
      if (s.done !== undefined) return;
      s.done = this.clock();
      this.pump();
    };
  }

  /**
   * Waits for a turn, behind the calls already waiting; at most `maxWaitMs`, else RATE_LIMITED
   * (at once when no turn can come in time). `onWait` is told when the call has to wait.
   */
  acquire(maxWaitMs: number, opts: { signal?: AbortSignal; onWait?: () => void } = {}): Promise<Release> {
    if (this.waiters.length === 0 && this.delay() === 0) return Promise.resolve(this.take());
    if (this.pausedFor() > maxWaitMs) return Promise.reject(exhausted(true));
    if (this.soonest() > maxWaitMs) return Promise.reject(exhausted(false));
    if (opts.signal?.aborted) return Promise.reject(stoppedError());
    return new Promise<Release>((resolve, reject) => {
      const onAbort = (): void => fail(stoppedError());
      const timer = this.timers.setTimeout(() => fail(exhausted(this.pausedFor() > 0)), maxWaitMs);
      const waiter: Waiter = {
        resolve: (release) => {
          waiter.cancel();
          resolve(release);
        },
        reject,
        cancel: () => {
          this.timers.clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
        },
      };
      const fail = (err: Error): void => {
        waiter.cancel();
        const i = this.waiters.indexOf(waiter);
        // Stryker disable next-line ConditionalExpression: a waiter fails once, still queued (cancel clears its timer and listener); the guard keeps a bug from dropping another call
        if (i >= 0) this.waiters.splice(i, 1);
        reject(err);
        this.pump();
      };
      opts.signal?.addEventListener('abort', onAbort); // removed by cancel, whichever way the wait ends
      this.waiters.push(waiter);
      opts.onWait?.();
      this.pump();
    });
  }

  /** Netatmo answered 429: every call waits `retryAfterMs` (capped), or the default pause. */
  pause(retryAfterMs?: number): void {
    const ms = Math.min(this.maxPauseMs, Math.max(0, retryAfterMs ?? this.defaultPauseMs));
    this.pausedUntil = Math.max(this.pausedUntil, this.clock() + ms);
    this.pump();
  }

  /** How long calls still have to wait after a 429 (0 when not paused). */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.clock());
  }

  /** Calls waiting for a turn. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Requests remembered: in flight, or answered within the longest window (older ones are forgotten as turns are counted). */
  get remembered(): number {
    return this.sent.length;
  }

  /**
   * The earliest a new call could go, behind those waiting: not before the next turn, and, as at most
   * `limit` requests start in any window, n requests (counted ones included) need ceil(n / limit) - 2
   * whole windows more.
   */
  private soonest(): number {
    const now = this.clock();
    const next = this.delay(); // Infinity: when an answer comes back, which may be soon
    let wait = Math.max(this.pausedFor(), Number.isFinite(next) ? next : 0);
    for (const w of this.windows) {
      const counted = this.sent.filter((s) => s.done === undefined || s.done > now - w.windowMs).length;
      wait = Math.max(wait, (Math.ceil((counted + this.waiters.length + 1) / w.limit) - 2) * w.windowMs);
    }
    return wait;
  }

  /** Lets waiting calls go while the budget allows; sleeps until the next turn otherwise. */
  private pump(): void {
    this.timers.clearTimeout(this.timer); // none set: nothing to clear
    this.timer = undefined;
    let wait = 0;
    while (this.waiters.length && (wait = this.delay()) === 0) {
      const next = this.waiters.shift() as Waiter;
      next.resolve(this.take());
    }
    // Infinity: the next turn comes with an answer (take's release pumps again).
    if (this.waiters.length && Number.isFinite(wait)) this.timer = this.timers.setTimeout(() => this.pump(), Math.min(wait, 2 ** 31 - 1));
  }

  private prune(now: number): void {
    this.sent = this.sent.filter((s) => s.done === undefined || s.done > now - this.horizonMs);
  }
}

function exhausted(paused: boolean): NetatmoError {
  return paused
    ? new NetatmoError('RATE_LIMITED', 'Netatmo asked this account to pause (rate limit) for longer than the message may wait', {
        reason: 'paused',
      })
    : new NetatmoError(
        'RATE_LIMITED',
        "This account's request budget (Netatmo's per-user limits) has no turn within the time the message may wait",
        { reason: 'budget' },
      );
}

/**
 * Reads `[{limit, seconds}]` from settings (`windowMs` instead of `seconds` is read too); anything
 * malformed gives Netatmo's limits.
 */
export function parseRateLimits(value: unknown): readonly RateWindow[] {
  if (!Array.isArray(value) || value.length === 0) return NETATMO_USER_LIMITS;
  const windows = value.map((w) => {
    const limit = Number(w?.limit);
    const windowMs = w?.seconds !== undefined ? Number(w.seconds) * 1000 : Number(w?.windowMs);
    return { limit, windowMs };
  });
  const ok = windows.every((w) => Number.isFinite(w.limit) && w.limit >= 1 && Number.isFinite(w.windowMs) && w.windowMs >= 1);
  return ok ? windows : NETATMO_USER_LIMITS;
}

/**
 * Whose budget a call spends: Netatmo counts per user, and its access tokens begin with the user's id
 * (`<24 hex>|<32 hex>`, the part before `|` stays the same across refreshes and logins of that user).
 * Two accounts logged in as one user thus share one budget. The key is a hash of that id, so no part of
 * a token is kept; a token of another form gives undefined (the caller keys by its account then).
 */
export function netatmoUserKey(accessToken: string): string | undefined {
  const bar = accessToken.indexOf('|');
  if (bar <= 0 || bar > 64) return undefined;
  return createHash('sha256').update(accessToken.slice(0, bar)).digest('hex').slice(0, 32);
}
