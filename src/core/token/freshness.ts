/**
 * When a cached access token may be handed out, and when the refresh timer fires: pure rules on a
 * token's times, so that the hot path and the timer agree.
 */
import type { TokenSet } from './oauth';
import { refreshMargin } from './refresh-decision';

/** Below this remaining lifetime a cached token is not handed out any more (a quarter of short lifetimes). */
const MIN_REMAINING_MS = 10_000;

/** fresh: hand it out; due: hand it out and refresh behind it; stale: only a refresh gives a token. */
export type Freshness = 'fresh' | 'due' | 'stale';

export function freshness(t: TokenSet, now: number, marginMs: number): Freshness {
  if (now < refreshAt(t, marginMs)) return 'fresh';
  if (now < t.expires_at - minRemaining(t)) return 'due';
  return 'stale';
}

/** When a refresh ahead of expiry is due. */
export function refreshAt(t: TokenSet, marginMs: number): number {
  return t.expires_at - refreshMargin(t, marginMs);
}

function minRemaining(t: TokenSet): number {
  return Math.min(MIN_REMAINING_MS, Math.max(0, (t.expires_at - t.obtained_at) / 4));
}
