/**
 * When to try again after a failed token request: pure arithmetic, no timers, no state (the manager keeps
 * the count of failures). Modelled on ky's `core/retry-timing.ts`.
 */

export interface RetryTiming {
  /** First delay after a transient failure; doubles with each failure in a row. */
  baseMs: number;
  /** Longest delay after transient failures. */
  maxMs: number;
  /** Wait after a rate limit (429) that does not say how long (no Retry-After). */
  rateLimitMs: number;
  /** Longest wait a rate limit may impose: a Retry-After of days would disable the account. */
  maxRateLimitMs: number;
}

export const DEFAULT_RETRY_TIMING: RetryTiming = {
  baseMs: 2_000,
  maxMs: 5 * 60_000,
  rateLimitMs: 60_000,
  maxRateLimitMs: 60 * 60_000,
};

export interface Failure {
  /** Failures in a row, this one included (1 after the first). */
  failures: number;
  /** Netatmo asked us to slow down (429, API error 26). */
  rateLimited: boolean;
  /** How long Netatmo asked us to wait (Retry-After), if it said. */
  retryAfterMs?: number;
}

/** The delay before the next try, without jitter: `baseMs` doubled with each failure in a row, at most `maxMs`. */
export function backoffMs(failures: number, timing: RetryTiming): number {
  return Math.min(timing.maxMs, timing.baseMs * 2 ** (Math.max(1, failures) - 1));
}

/**
 * How long to wait before the next try. A transient failure: the backoff, give or take 25 % (jitter,
 * so that processes sharing a login do not retry in step). A rate limit: as long as Netatmo asks (or
 * `rateLimitMs`), never less than the backoff, at most `maxRateLimitMs`; there jitter only adds, up to 25 %.
 * `random` returns a number in [0, 1).
 */
export function retryDelayMs(failure: Failure, timing: RetryTiming, random: () => number = Math.random): number {
  const backoff = backoffMs(failure.failures, timing);
  if (failure.rateLimited) {
    const asked = Math.min(timing.maxRateLimitMs, Math.max(failure.retryAfterMs ?? timing.rateLimitMs, backoff));
    return Math.round(asked * (1 + random() * 0.25));
  }
  return Math.round(backoff * (0.75 + random() * 0.5));
}

/**
 * A Retry-After header as a wait in ms: a number of seconds, or an HTTP date compared with `now` (never
 * negative). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
