import { EventEmitter } from 'node:events';
import { ErrorCode, NetatmoError, asNetatmoError } from './errors';
import type { OAuthClient, TokenSet } from './oauth';
import { Redactor, redact } from './redact';
import type { StoredAccount, TokenStore } from './store';

export type AccountStatus = 'unauthorized' | 'ok' | 'refreshing' | 'retrying' | 'reauthorize' | 'error';

/** What the editor, the node status and `/status` show. Never holds a secret. */
export interface AccountState {
  status: AccountStatus;
  authorized: boolean;
  expires_at?: number;
  scope?: string[];
  last_refresh?: number;
  retry_at?: number;
  error?: { code: ErrorCode; message: string };
}

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface TokenManagerOptions {
  accountId: string;
  store: TokenStore;
  /** Absent when the account has no client id/secret yet: refreshing then fails with CONFIG. */
  client?: OAuthClient;
  clock?: () => number;
  /** Refresh this long before expiry (capped at half the token's lifetime). Default 5 minutes. */
  marginMs?: number;
  /** First retry delay after a transient failure; doubles each time, with jitter. Default 2 s. */
  retryBaseMs?: number;
  /** Longest retry delay. Default 5 minutes. */
  retryMaxMs?: number;
  /** Wait after a 429 without Retry-After. Default 60 s. */
  rateLimitMs?: number;
  /** At most one token request this often while re-authorization is needed. Default 5 minutes. */
  reauthThrottleMs?: number;
  /** Refresh on a timer ahead of expiry (and retry on a timer). Default true. */
  autoRefresh?: boolean;
  logger?: Logger;
}

/** Below this remaining lifetime a cached token is not handed out any more. */
const MIN_REMAINING_MS = 10_000;

/**
 * The cached token of one Netatmo login. Hands out the cached access token,
 * refreshes ahead of expiry, runs one refresh at a time (in this process through a
 * shared promise, across processes through the store's lock) and persists every new
 * pair before anyone sees it. Emits `state` (AccountState) on every change.
 */
export class TokenManager extends EventEmitter {
  readonly accountId: string;
  private readonly store: TokenStore;
  private readonly client?: OAuthClient;
  private readonly clock: () => number;
  private readonly marginMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly rateLimitMs: number;
  private readonly reauthThrottleMs: number;
  private readonly autoRefresh: boolean;
  private readonly log: Logger;
  private readonly redactor = new Redactor();

  private tokens?: TokenSet;
  private invalid?: StoredAccount['invalid'];
  private inflight?: Promise<TokenSet>;
  private lastError?: NetatmoError;
  private failures = 0;
  private retryAt?: number;
  private lastRefresh?: number;
  /** The last refresh may have reached Netatmo although its answer was lost. */
  private uncertain = false;
  private timer?: NodeJS.Timeout;
  private running = false;
  private _state: AccountState = { status: 'unauthorized', authorized: false };

  constructor(opts: TokenManagerOptions) {
    super();
    this.accountId = opts.accountId;
    this.store = opts.store;
    this.client = opts.client;
    this.clock = opts.clock ?? Date.now;
    this.marginMs = opts.marginMs ?? 5 * 60_000;
    this.retryBaseMs = opts.retryBaseMs ?? 2_000;
    this.retryMaxMs = opts.retryMaxMs ?? 5 * 60_000;
    this.rateLimitMs = opts.rateLimitMs ?? 60_000;
    this.reauthThrottleMs = opts.reauthThrottleMs ?? 5 * 60_000;
    this.autoRefresh = opts.autoRefresh ?? true;
    const base = opts.logger ?? silentLogger;
    // Called as methods of `base`: a logger object may rely on `this` (Node-RED nodes do).
    const scrub = (level: keyof Logger) => (m: string) => base[level](this.redactor.scrub(m));
    this.log = { debug: scrub('debug'), info: scrub('info'), warn: scrub('warn'), error: scrub('error') };
  }

  get state(): AccountState {
    return this._state;
  }

  /** Loads the stored login. Makes no HTTP call while the stored token is still valid. */
  async start(): Promise<void> {
    this.running = true;
    try {
      const stored = await this.store.read(this.accountId);
      if (stored) this.adopt(stored);
      // A refused client gets one new try after a redeploy: the user may have fixed the secret.
      if (this.invalid?.code === 'invalid_client') this.invalid = { ...this.invalid, at: 0 };
      this.setState();
    } catch (err) {
      this.lastError = asNetatmoError(err);
      this.log.error(this.lastError.message);
      this.setState();
    }
    this.schedule();
  }

  /** Clears every timer. An in-flight refresh still completes and persists its result. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The cached access token if it needs no network call at all: the hot path. */
  fresh(): TokenSet | undefined {
    const t = this.tokens;
    if (t && !this.invalid && this.clock() < t.expires_at - this.margin(t)) return t;
    return undefined;
  }

  /** A valid access token: cached, or from the one shared refresh. */
  getToken(): Promise<TokenSet> {
    const t = this.tokens;
    const now = this.clock();
    if (t && !this.invalid) {
      if (now < t.expires_at - this.margin(t)) return Promise.resolve(t);
      if (now < t.expires_at - MIN_REMAINING_MS) {
        // Due for refresh but still good: hand it out, refresh behind it.
        if (!this.retryAt || now >= this.retryAt) this.refresh().catch(() => undefined);
        return Promise.resolve(t);
      }
    }
    if (this.retryAt && now < this.retryAt && this.lastError && !this.inflight) return Promise.reject(this.lastError);
    return this.refresh();
  }

  /** Starts a refresh, or joins the one under way. */
  refresh(): Promise<TokenSet> {
    if (!this.inflight) {
      this.inflight = this.refreshLocked().finally(() => {
        this.inflight = undefined;
        this.setState(); // leave 'refreshing' now that nothing is in flight
        this.schedule();
      });
      this.setState();
    }
    return this.inflight;
  }

  /** Exchanges an authorization code for a new login, stored before it is used. */
  authorizeWithCode(code: string, redirectUri: string, scope: string): Promise<TokenSet> {
    return this.install('code', (c) => c.exchangeCode(code, redirectUri, scope));
  }

  /** Starts from a refresh token pasted by the user (token generator, the old script's file). */
  authorizeWithRefreshToken(refreshToken: string): Promise<TokenSet> {
    this.redactor.add(refreshToken);
    return this.install('refresh token', (c) => c.refresh(refreshToken));
  }

  /** Forgets the login: removes the token file (the account was deleted). */
  async forget(): Promise<void> {
    this.stop();
    await this.store.remove(this.accountId);
    this.tokens = undefined;
    this.invalid = undefined;
    this.setState();
  }

  private margin(t: TokenSet): number {
    return Math.min(this.marginMs, Math.max(0, (t.expires_at - t.obtained_at) / 2));
  }

  private adopt(stored: StoredAccount): void {
    this.tokens = stored.tokens;
    this.invalid = stored.invalid;
    this.redactor.add(stored.tokens.access_token, stored.tokens.refresh_token);
  }

  private async refreshLocked(): Promise<TokenSet> {
    try {
      const next = await this.store.withLock(this.accountId, () => this.refreshUnderLock());
      this.failures = 0;
      this.retryAt = undefined;
      this.lastError = undefined;
      this.setState();
      return next;
    } catch (err) {
      throw this.onFailure(asNetatmoError(err));
    }
  }

  private async refreshUnderLock(): Promise<TokenSet> {
    const stored = await this.store.read(this.accountId);
    if (!stored) {
      this.tokens = undefined;
      this.invalid = undefined;
      throw new NetatmoError('NOT_AUTHORIZED', 'Not authorized yet: open the account in the editor and click Authorize');
    }
    const now = this.clock();
    this.adopt(stored);
    // Another process (or the command line tool), or our own start-up, already has a fresh token: use it.
    if (!stored.invalid && now < stored.tokens.expires_at - this.margin(stored.tokens)) {
      this.log.debug(`refresh: the stored token ${redact(stored.tokens.access_token)} is still fresh; no request`);
      return stored.tokens;
    }
    if (stored.invalid && now - stored.invalid.at < this.reauthThrottleMs) {
      throw new NetatmoError('REAUTHORIZE', stored.invalid.message, { oauthError: stored.invalid.code });
    }
    if (!this.client) throw new NetatmoError('CONFIG', 'The account has no client id or secret');
    const rt = stored.tokens.refresh_token;
    this.log.debug(`refresh: sending refresh token ${redact(rt)}`);
    let next: TokenSet;
    try {
      next = await this.client.refresh(rt);
    } catch (err) {
      const e = asNetatmoError(err);
      this.log.debug(`refresh: failed with ${e.code}${e.oauthError ? ` (${e.oauthError})` : ''}`);
      if (e.code === 'INVALID_GRANT' || e.code === 'INVALID_CLIENT') {
        const invalid = { code: e.oauthError ?? e.code, message: this.reauthMessage(e), at: now };
        await this.store.write(this.accountId, { tokens: stored.tokens, invalid });
        this.invalid = invalid;
        throw new NetatmoError('REAUTHORIZE', invalid.message, { oauthError: e.oauthError, status: e.status });
      }
      if (e.uncertain) this.uncertain = true;
      throw e;
    }
    this.redactor.add(next.access_token, next.refresh_token);
    // Persist before use: nobody sees the new access token before the new pair is on disk.
    await this.store.write(this.accountId, { tokens: next });
    this.log.debug(`refresh: stored new refresh token ${redact(next.refresh_token)}, access token ${redact(next.access_token)} valid until ${new Date(next.expires_at).toISOString()}`);
    this.uncertain = false;
    this.tokens = next;
    this.invalid = undefined;
    this.lastRefresh = now;
    return next;
  }

  private reauthMessage(e: NetatmoError): string {
    if (e.code === 'INVALID_CLIENT') {
      return 'Netatmo refused the client id or secret (invalid_client): check them against your app at dev.netatmo.com, deploy, and authorize again';
    }
    if (this.uncertain) {
      return "Netatmo refused the stored refresh token (invalid_grant). The last refresh may have succeeded on Netatmo's side but its answer was lost; re-authorize the account";
    }
    return 'Netatmo refused the stored refresh token (invalid_grant): the login is no longer valid; re-authorize the account';
  }

  /** Decides what happens next after a failed refresh, and returns the error for the callers. */
  private onFailure(e: NetatmoError): NetatmoError {
    this.lastError = e;
    const now = this.clock();
    if (e.retryable) {
      this.failures += 1;
      const backoff = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (this.failures - 1));
      const wait = e.code === 'RATE_LIMITED' ? Math.max(e.retryAfterMs ?? this.rateLimitMs, this.retryBaseMs) : backoff;
      this.retryAt = now + Math.round(wait * (0.75 + Math.random() * 0.5));
      this.log.warn(`Token refresh failed (${e.code}: ${e.message}); retrying in ${Math.round((this.retryAt - now) / 1000)} s with the same refresh token`);
    } else {
      this.retryAt = undefined;
      if (e.code === 'REAUTHORIZE') {
        this.log.error(`${e.message}. Open the Netatmo account in the Node-RED editor and click Authorize.`);
      } else {
        this.log.error(e.message);
      }
    }
    this.setState();
    return e;
  }

  private async install(what: string, obtain: (c: OAuthClient) => Promise<TokenSet>): Promise<TokenSet> {
    const client = this.client;
    if (!client) throw new NetatmoError('CONFIG', 'The account has no client id or secret');
    await this.inflight?.catch(() => undefined);
    this.log.debug(`authorize: exchanging a ${what} for a new login`);
    const next = await this.store.withLock(this.accountId, async () => {
      const t = await obtain(client);
      this.redactor.add(t.access_token, t.refresh_token);
      await this.store.write(this.accountId, { tokens: t });
      return t;
    });
    this.tokens = next;
    this.invalid = undefined;
    this.lastError = undefined;
    this.failures = 0;
    this.retryAt = undefined;
    this.uncertain = false;
    this.lastRefresh = this.clock();
    this.log.info(`Authorized for scopes ${next.scope.join(' ') || '(none)'}`);
    this.setState();
    this.schedule();
    return next;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running || !this.autoRefresh || this.inflight) return;
    let at: number | undefined;
    if (this.retryAt) at = this.retryAt;
    else if (this.tokens && !this.invalid && !this.lastError) at = this.tokens.expires_at - this.margin(this.tokens);
    if (at === undefined) return;
    const delay = Math.min(Math.max(0, at - this.clock()), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh().catch(() => undefined);
    }, delay);
  }

  private setState(): void {
    const t = this.tokens;
    const e = this.lastError;
    let status: AccountStatus;
    if (this.invalid) status = 'reauthorize';
    else if (this.inflight && t) status = 'refreshing';
    else if (e && this.retryAt) status = 'retrying';
    else if (e && e.code !== 'NOT_AUTHORIZED') status = 'error';
    else status = t ? 'ok' : 'unauthorized';
    const error = this.invalid
      ? { code: 'REAUTHORIZE' as const, message: this.invalid.message }
      : e
        ? { code: e.code, message: e.message }
        : undefined;
    const next: AccountState = {
      status,
      authorized: !!t && !this.invalid,
      expires_at: t?.expires_at,
      scope: t?.scope,
      last_refresh: this.lastRefresh ?? t?.obtained_at,
      retry_at: this.retryAt,
      error,
    };
    const prev = this._state;
    this._state = next;
    if (JSON.stringify(prev) !== JSON.stringify(next)) this.emit('state', next);
  }
}
