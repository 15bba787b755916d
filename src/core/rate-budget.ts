/**
 * One Netatmo user's request budget, shared by every API call of an account.
 *
 * Netatmo allows a user 50 requests per 10 s and 500 per hour, answers 429 (code 26) above that, and
 * bans a user who keeps going. We stay below with a margin (fewer requests, over longer windows, so that
 * the jitter between our clock and Netatmo's arrival times cannot make two of our windows one of theirs).
 *
 * A call books the earliest send time both windows allow, first come first served: a burst becomes a
 * queue, and a call whose turn is further away than it may wait is refused at once (nothing booked).
 * After a 429 every call pauses for as long as Netatmo asked (Retry-After), or a minute.
 * Pure arithmetic on an injectable clock; the caller sleeps.
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
  /** Fraction kept in reserve: 0.1 books at most 45 of 50, over windows 10 % longer. Default 0.1. */
  margin?: number;
  clock?: () => number;
  /** Pause after a 429 that names no Retry-After. Default 60 s. */
  defaultPauseMs?: number;
  /** Longest pause a Retry-After may impose. Default 1 hour. */
  maxPauseMs?: number;
}

export class RateBudget {
  readonly windows: readonly RateWindow[];
  private readonly clock: () => number;
  private readonly defaultPauseMs: number;
  private readonly maxPauseMs: number;
  private readonly horizonMs: number;
  /** Booked send times, oldest first, never decreasing. */
  private times: number[] = [];
  private pausedUntil = 0;

  constructor(opts: RateBudgetOptions = {}) {
    const margin = Math.min(0.5, Math.max(0, opts.margin ?? 0.1));
    this.windows = (opts.limits ?? NETATMO_USER_LIMITS).map((w) => ({
      limit: Math.max(1, Math.floor(w.limit * (1 - margin))),
      windowMs: Math.ceil(w.windowMs * (1 + margin)),
    }));
    this.clock = opts.clock ?? Date.now;
    this.defaultPauseMs = opts.defaultPauseMs ?? 60_000;
    this.maxPauseMs = opts.maxPauseMs ?? 3_600_000;
    this.horizonMs = Math.max(0, ...this.windows.map((w) => w.windowMs));
  }

  /**
   * Books the next free send time. Returns how long to wait before sending (0: now), or `undefined`
   * when that wait would exceed `maxWaitMs`: then nothing is booked.
   */
  reserve(maxWaitMs: number): number | undefined {
    const now = this.clock();
    this.prune(now);
    const n = this.times.length;
    let at = Math.max(now, this.pausedUntil, n ? this.times[n - 1] : now);
    for (const w of this.windows) if (n >= w.limit) at = Math.max(at, this.times[n - w.limit] + w.windowMs);
    if (at - now > maxWaitMs) return undefined;
    this.times.push(at);
    return at - now;
  }

  /** Netatmo answered 429: every call waits `retryAfterMs` (capped), or the default pause. */
  pause(retryAfterMs?: number): void {
    const ms = Math.min(this.maxPauseMs, Math.max(0, retryAfterMs ?? this.defaultPauseMs));
    this.pausedUntil = Math.max(this.pausedUntil, this.clock() + ms);
  }

  /** How long calls still have to wait after a 429 (0 when not paused). */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.clock());
  }

  /** Requests booked in the last `windowMs` (for status and tests). */
  used(windowMs: number): number {
    const now = this.clock();
    return this.times.filter((t) => t > now - windowMs && t <= now).length;
  }

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.times.length && this.times[drop] <= now - this.horizonMs) drop++;
    if (drop) this.times.splice(0, drop);
  }
}

/** Reads `[{limit, windowMs}]` from settings; anything malformed gives Netatmo's limits. */
export function parseRateLimits(value: unknown): readonly RateWindow[] {
  if (!Array.isArray(value) || value.length === 0) return NETATMO_USER_LIMITS;
  const ok = value.every(
    (w) => w && typeof w === 'object' && Number.isFinite(w.limit) && w.limit >= 1 && Number.isFinite(w.windowMs) && w.windowMs >= 1,
  );
  return ok ? value.map((w) => ({ limit: Number(w.limit), windowMs: Number(w.windowMs) })) : NETATMO_USER_LIMITS;
}
