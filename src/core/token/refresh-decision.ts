import type { TokenSet } from './oauth';
import type { StoredAccount } from './store';

/**
 * What a refresh does, given what the store holds. Decided the same way from a read without the lock
 * (where only `adopt` and `throttled` are acted upon) and under the lock.
 * - adopt: the stored pair is usable (another process, the command line, our own start-up stored it);
 * - throttled: re-authorization is needed and a token request was sent less than `reauthThrottleMs` ago;
 * - not authorized: nothing is stored;
 * - request: send the stored refresh token to Netatmo.
 */
export type RefreshDecision =
  | { action: 'adopt'; stored: StoredAccount }
  | { action: 'throttled'; stored: StoredAccount; invalid: NonNullable<StoredAccount['invalid']> }
  | { action: 'not authorized' }
  | { action: 'request'; stored: StoredAccount };

export interface RefreshSituation {
  /** What the store holds now. */
  stored: StoredAccount | null;
  now: number;
  /** The command line's `refresh`: a new pair even if the stored one is fresh, unless someone else rotated it. */
  force: boolean;
  /** The refresh token this manager held before reading the store. */
  known?: string;
  /** An access token Netatmo's API refused before its expiry: never adopted. */
  refusedAccessToken?: string;
  /** Refresh this long before expiry (see refreshMargin). */
  marginMs: number;
  /** While re-authorization is needed, at most one token request this often. */
  reauthThrottleMs: number;
  /** One request despite the throttle: the client was refused, and the account redeployed since. */
  clientRetry: boolean;
}

export function decideRefresh(s: RefreshSituation): RefreshDecision {
  const stored = s.stored;
  if (!stored) return { action: 'not authorized' };
  const t = stored.tokens;
  // Forced: only a pair rotated by someone else since we last read the store is adopted.
  const adoptable = s.force
    ? s.known !== undefined && t.refresh_token !== s.known
    : t.access_token !== s.refusedAccessToken && s.now < t.expires_at - refreshMargin(t, s.marginMs);
  const invalid = stored.invalid;
  if (!invalid) return adoptable ? { action: 'adopt', stored } : { action: 'request', stored };
  const retryClient = s.clientRetry && invalid.code === 'invalid_client';
  if (!retryClient && s.now - invalid.at < s.reauthThrottleMs) return { action: 'throttled', stored, invalid };
  return { action: 'request', stored };
}

/** How long before expiry a token is refreshed: `marginMs`, at most half the token's lifetime. */
export function refreshMargin(t: TokenSet, marginMs: number): number {
  return Math.min(marginMs, Math.max(0, (t.expires_at - t.obtained_at) / 2));
}
