/**
 * What a manager knows of its login and of its failures, changed only through named transitions:
 * each groups the writes that belong together, so that no field is reset at one place and forgotten at another.
 */
import type { NetatmoError } from '../shared/errors';
import type { TokenSet } from './oauth';
import type { StoredAccount } from './store';

/**
 * What the manager knows of the login. Replaced as a whole by `adoptLogin` when a new pair is obtained
 * and stored, or the login is forgotten; single fields change as the store or Netatmo tell more.
 */
export interface Login {
  tokens?: TokenSet;
  /** Netatmo refused the refresh token or the client (as stored): re-authorization is needed. */
  invalid?: StoredAccount['invalid'];
  /** An access token Netatmo's API refused before its expiry: never handed out again. */
  refusedAccessToken?: string;
  /**
   * A new pair that Netatmo gave but that could not be stored: kept, unused, until the store takes it.
   * `from`: the refresh token it replaces (none when no file was there).
   */
  unsaved?: { tokens: TokenSet; from?: string };
  /** The last refresh may have reached Netatmo although its answer was lost: the refresh token may be spent. */
  uncertain?: boolean;
  /** The token file was damaged (and set aside) or disappeared: said until the next authorization. */
  storeProblem?: NetatmoError;
  /** One token request despite the throttle: the account was refused as a client, and redeployed since. */
  clientRetry?: boolean;
  lastRefresh?: number;
}

/** The failures since the last success, and when to try again. Cleared as a whole by `clearBackoff`. */
export interface Backoff {
  failures: number;
  retryAt?: number;
  lastError?: NetatmoError;
}

/** An access token the API refused, and how often the one that replaced it was refused too. */
interface Refusal {
  refused: string;
  count: number;
}

export class LoginMemory {
  #login: Login = {};
  #backoff: Backoff = { failures: 0 };
  #refusal?: Refusal;

  get login(): Readonly<Login> {
    return this.#login;
  }

  get backoff(): Readonly<Backoff> {
    return this.#backoff;
  }

  // ---------------------------------------------------------------- the login

  /** A new login (refreshed, authorized, kept tokens finally stored), or none: what was known of the old one goes. */
  adoptLogin(tokens?: TokenSet, at?: number): void {
    this.#login = tokens ? { tokens, lastRefresh: at } : {};
  }

  /** Takes the stored pair (and whether it was refused) as the current one. */
  adoptStored(stored: StoredAccount): void {
    this.#login.tokens = stored.tokens;
    this.#login.invalid = stored.invalid;
  }

  /** The token file is gone; `problem` (a damaged or vanished file) is said until the next login. */
  loseStored(problem?: NetatmoError): void {
    this.#login.tokens = undefined;
    this.#login.invalid = undefined;
    if (problem) this.#login.storeProblem = problem;
  }

  /** The store was read: a file there ends a problem; a damaged one (set aside) is one. */
  storeRead(problem?: NetatmoError): void {
    this.#login.storeProblem = problem;
  }

  /** Netatmo refused the refresh token or the client, as now stored. */
  refused(invalid: NonNullable<Login['invalid']>): void {
    this.#login.invalid = invalid;
  }

  /** A refused client gets one token request despite the throttle (after a redeploy), until one is sent. */
  allowClientRetry(allowed: boolean): void {
    this.#login.clientRetry = allowed;
  }

  /** A refresh failed in a way that may have reached Netatmo: the refresh token may be spent. */
  refreshUncertain(): void {
    this.#login.uncertain = true;
  }

  /** A new pair that could not be stored (`from`: the refresh token it replaces); undefined: forget it. */
  keepUnsaved(unsaved?: Login['unsaved']): void {
    this.#login.unsaved = unsaved;
  }

  // ---------------------------------------------------------------- access tokens refused by the API

  /** Netatmo's API refused the current access token; true when the token that replaced a refused one is refused too. */
  refuseAccessToken(accessToken: string): { again: boolean; count: number } {
    this.#login.refusedAccessToken = accessToken;
    const episode = this.#refusal;
    if (episode && episode.refused !== accessToken) {
      episode.refused = accessToken;
      episode.count += 1;
      return { again: true, count: episode.count };
    }
    this.#refusal = { refused: accessToken, count: 0 };
    return { again: false, count: 0 };
  }

  /** The API accepted the current access token: the refusal episode, if any, is over. */
  acceptAccessToken(accessToken: string): void {
    if (this.#refusal && this.#login.tokens?.access_token === accessToken) this.#refusal = undefined;
  }

  // ---------------------------------------------------------------- the backoff

  clearBackoff(): void {
    this.#backoff = { failures: 0 };
  }

  /** A failure that is said (state, callers) until the next success; `retryAt`: when to try again, if at all. */
  failed(e: NetatmoError, retryAt?: number): void {
    this.#backoff.lastError = e;
    this.#backoff.retryAt = retryAt;
  }

  /** One more failed refresh worth retrying, after a delay that grows with the failures: when the retry is due. */
  refreshFailed(e: NetatmoError, now: number, delayOf: (failures: number) => number): number {
    const b = this.#backoff;
    b.lastError = e;
    b.failures += 1;
    b.retryAt = now + delayOf(b.failures);
    return b.retryAt;
  }

  /** A retry is scheduled and not due yet: until then, no new token request. */
  backingOff(now: number): boolean {
    return now < (this.#backoff.retryAt ?? now);
  }
}
