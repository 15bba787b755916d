import { EventEmitter } from 'node:events';
import { NetatmoError, asNetatmoError, scrubError } from '../shared/errors';
import { type Logger, scrubbedLogger, silentLogger } from '../shared/logger';
import { Redactor, redact } from '../shared/redact';
import { DEFAULT_RETRY_TIMING, type RetryTiming, retryDelayMs } from '../shared/retry-timing';
import { type Timers, realTimers, settledWithin } from '../shared/timing';
import { type AccountState, liveState } from './account-state';
import { freshness, refreshAt } from './freshness';
import { LoginMemory } from './login-memory';
import { Refresher } from './refresher';
import type { OAuthClient, TokenSet } from './oauth';
import * as refusals from './refusals';
import type { StoredAccount, TokenStore } from './store';

export interface GetTokenOptions {
  /**
   * How long the caller may wait for the manager's own retries (after a transient failure of the
   * refresh) before failing with the last error. Default 0: fail at once, as long as a retry is pending.
   */
  maxWaitMs?: number;
}

export interface TokenManagerOptions {
  accountId: string;
  store: TokenStore;
  /** Absent when the account has no client id/secret yet: refreshing then fails with CONFIG. */
  client?: OAuthClient;
  clock?: () => number;
  /** Default: the global setTimeout/clearTimeout. */
  timers?: Timers;
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
  private readonly timers: Timers;
  private readonly marginMs: number;
  private readonly retryTiming: RetryTiming;
  private readonly reauthThrottleMs: number;
  private readonly autoRefresh: boolean;
  private readonly log: Logger;
  private readonly redactor = new Redactor();
  /** Callers of getToken waiting for a retry: called with true to look again, false when the manager stops. */
  private readonly waiting = new Set<(again: boolean) => void>();
  /** The login and the failures, changed through its named transitions only. */
  private readonly memory = new LoginMemory();
  private readonly refresher: Refresher;

  private inflight?: Promise<TokenSet>;
  private timer?: unknown;
  private running = false;
  private _state: AccountState = { status: 'unauthorized', authorized: false };

  constructor(opts: TokenManagerOptions) {
    super();
    this.accountId = opts.accountId;
    this.store = opts.store;
    this.client = opts.client;
    this.clock = opts.clock ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.marginMs = opts.marginMs ?? 5 * 60_000;
    this.retryTiming = {
      baseMs: opts.retryBaseMs ?? DEFAULT_RETRY_TIMING.baseMs,
      maxMs: opts.retryMaxMs ?? DEFAULT_RETRY_TIMING.maxMs,
      rateLimitMs: opts.rateLimitMs ?? DEFAULT_RETRY_TIMING.rateLimitMs,
      maxRateLimitMs: DEFAULT_RETRY_TIMING.maxRateLimitMs,
    };
    this.reauthThrottleMs = opts.reauthThrottleMs ?? 5 * 60_000;
    this.autoRefresh = opts.autoRefresh ?? true;
    this.log = scrubbedLogger(opts.logger ?? silentLogger, (m) => this.redact(m));
    this.refresher = new Refresher({
      accountId: this.accountId,
      store: this.store,
      client: this.client,
      clock: this.clock,
      marginMs: this.marginMs,
      reauthThrottleMs: this.reauthThrottleMs,
      memory: this.memory,
      redactor: this.redactor,
      log: this.log,
      toError: (err) => this.toError(err),
    });
  }

  /**
   * A text with every secret this manager knows (the client secret, every token it has seen) replaced
   * by its first 4 characters. Applied to log lines, to error messages it throws and to its state.
   */
  redact(text: string): string {
    const scrubbed = this.redactor.scrub(text);
    return this.client ? this.client.redact(scrubbed) : scrubbed;
  }

  get state(): AccountState {
    return this._state;
  }

  /** Loads the stored login. Makes no HTTP call while the stored token is still valid. */
  async start(): Promise<void> {
    this.running = true;
    // A folder where no new pair could be stored is said now, not at the first refresh (the rotation
    // would then be lost). The stored token, if any, is still served until it expires.
    await this.store.check?.().catch((err: unknown) => this.startFailed(err));
    try {
      const stored = await this.refresher.readStore();
      if (stored) {
        this.refresher.adopt(stored);
        this.log.debug(
          `start: stored refresh token ${redact(stored.tokens.refresh_token)}, access token ${redact(stored.tokens.access_token)} valid until ${iso(stored.tokens.expires_at)}${stored.invalid ? ` (refused: ${stored.invalid.code})` : ''}${stored.pending ? ' (a refresh was interrupted)' : ''}`,
        );
      } else {
        this.log.debug(`start: no token file ${this.store.file(this.accountId)}`);
      }
      // A refused client gets one new try after a redeploy: the user may have fixed the secret.
      this.memory.allowClientRetry(this.memory.login.invalid?.code === 'invalid_client');
      this.setState();
      // Written in clear text before Node-RED had a credential secret, or with a secret since replaced.
      if (stored && this.store.isOutdated?.(this.accountId)) await this.upgradeStore();
    } catch (err) {
      this.startFailed(err);
      this.setState();
    }
    this.schedule();
  }

  /**
   * Clears every timer. A refresh under way still completes and persists its result: the promise
   * settles then (or after `waitMs`), so that a runtime closing its nodes and then calling
   * process.exit() (Node-RED on SIGTERM) does not die between Netatmo's rotation and the write.
   * Callers waiting for a retry get the last error now.
   */
  stop(waitMs = 12_000): Promise<void> {
    this.running = false;
    this.timers.clearTimeout(this.timer); // a handle already cleared (or none) is ignored
    this.timer = undefined;
    this.wakeWaiting(false);
    if (!this.inflight) return Promise.resolve();
    this.log.debug('stop: waiting for the refresh under way to be stored');
    return settledWithin(this.inflight, waitMs);
  }

  /**
   * The cached access token when no message needs to wait for the network: the hot path, synchronous.
   * When the token is due for refresh but still good, it is handed out and one refresh starts behind it.
   */
  fresh(): TokenSet | undefined {
    const { tokens: t, invalid, refusedAccessToken } = this.memory.login;
    if (!t || invalid || t.access_token === refusedAccessToken) return undefined;
    const now = this.clock();
    const f = freshness(t, now, this.marginMs);
    if (f === 'due' && !this.inflight && !this.memory.backingOff(now)) this.refresh().catch(() => undefined);
    return f === 'stale' ? undefined : t;
  }

  /**
   * A valid access token: cached, or from the one shared refresh. With `maxWaitMs`, a caller that meets a
   * transient failure waits for the manager's next retry when it comes within that time (and fails at once
   * with the last error when it does not). A `maxWaitMs` that is not a finite number counts as 0.
   */
  async getToken(opts: GetTokenOptions = {}): Promise<TokenSet> {
    const maxWaitMs = Number.isFinite(opts.maxWaitMs) ? Math.max(0, opts.maxWaitMs as number) : 0;
    if (maxWaitMs === 0) return this.tokenOrRefresh();
    const deadline = this.clock() + maxWaitMs;
    for (;;) {
      try {
        return await this.tokenOrRefresh();
      } catch (err) {
        const retryAt = this.memory.backoff.retryAt;
        if (retryAt === undefined || retryAt > deadline) throw err;
        if (!(await this.waitUntil(retryAt))) throw err; // the manager stopped meanwhile
      }
    }
  }

  /**
   * Netatmo's API refused this access token before its expiry (403, API error 2 or 3: re-authorized or
   * revoked elsewhere). If it is still the current one, it is not handed out any more and one refresh
   * starts (unless a retry is already scheduled), shared by every caller. A token already replaced is ignored.
   * When the token of the refresh that followed a refusal is refused too (Netatmo's side is wrong, or the
   * login was revoked without telling the token endpoint), refreshing for every later batch of messages
   * would not help: the account says so and refreshes again after a backoff that grows with each repeat.
   */
  rejectAccessToken(accessToken: string): void {
    const { tokens: t, refusedAccessToken, invalid } = this.memory.login;
    if (!t || t.access_token !== accessToken || refusedAccessToken === accessToken) return;
    const now = this.clock();
    const episode = this.memory.refuseAccessToken(accessToken);
    if (episode.again) {
      const e = refusals.refusedAgain();
      const retryAt = now + retryDelayMs({ failures: episode.count, rateLimited: false }, this.retryTiming);
      this.memory.failed(e, retryAt);
      this.log.warn(`${e.message} (${redact(accessToken)}); next refresh in ${seconds(retryAt - now)} s`);
      this.setState();
      this.schedule();
      return;
    }
    this.log.warn(`Netatmo refused the access token ${redact(accessToken)} before its expiry (${iso(t.expires_at)}); getting a new one`);
    if (!invalid && !this.inflight && !this.memory.backingOff(now)) this.refresh().catch(() => undefined);
    this.setState();
  }

  /** The API accepted this access token: the refusal episode, if any, is over. */
  acceptAccessToken(accessToken: string): void {
    this.memory.acceptAccessToken(accessToken);
  }

  /**
   * Starts a refresh, or joins the one under way. With `force` (the command line's `refresh`), a new
   * pair is requested even if the stored one is still fresh, unless another process stored a new pair
   * since this manager last read the store: that pair is adopted instead.
   */
  refresh(opts: { force?: boolean } = {}): Promise<TokenSet> {
    if (!this.inflight) {
      this.inflight = this.refreshAndRecord(opts.force === true).finally(() => {
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
    this.redactor.add(code);
    return this.install('code', (c) => c.exchangeCode(code, redirectUri, scope)).catch((err) => Promise.reject(this.toError(err)));
  }

  /** Starts from a refresh token pasted by the user (token generator, the old script's file). */
  authorizeWithRefreshToken(refreshToken: string): Promise<TokenSet> {
    this.redactor.add(refreshToken);
    return this.install('refresh token', (c) => c.refresh(refreshToken)).catch((err) => Promise.reject(this.toError(err)));
  }

  /** Forgets the login: removes the token file (the account was deleted). */
  async forget(): Promise<void> {
    // A refresh under way would store its pair after the removal: let it finish first.
    await this.stop();
    await this.inflight?.catch(() => undefined);
    await this.store.withLock(this.accountId, () => this.store.remove(this.accountId)).catch(() => this.store.remove(this.accountId));
    this.memory.adoptLogin();
    this.setState();
  }

  // ---------------------------------------------------------------- transitions with side effects

  /** A new login is in use: the failures are over, and whoever waited for it looks again. */
  private succeeded(): void {
    this.memory.clearBackoff();
    this.setState();
    this.wakeWaiting(true);
  }

  private startFailed(err: unknown): void {
    const e = this.toError(err);
    this.memory.failed(e);
    this.log.error(e.message);
  }

  private async upgradeStore(): Promise<void> {
    await this.store.upgrade?.(this.accountId).then(
      (done) =>
        done &&
        this.log.info(`The token file ${this.store.file(this.accountId)} is now encrypted with Node-RED's current credential secret`),
      (err) => this.log.warn(this.toError(err).message),
    );
  }

  // ---------------------------------------------------------------- callers

  private tokenOrRefresh(): Promise<TokenSet> {
    const t = this.fresh();
    if (t) return Promise.resolve(t);
    const { lastError } = this.memory.backoff;
    if (lastError && this.memory.backingOff(this.clock()) && !this.inflight) return Promise.reject(lastError);
    return this.refresh();
  }

  /** Resolves true at `at` (or as soon as a new token is there), false if the manager stops first. */
  private waitUntil(at: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const wake = (again: boolean): void => {
        this.waiting.delete(wake);
        this.timers.clearTimeout(handle);
        resolve(again);
      };
      const handle = this.timers.setTimeout(() => wake(true), Math.max(0, at - this.clock()));
      this.waiting.add(wake);
    });
  }

  private wakeWaiting(again: boolean): void {
    for (const wake of [...this.waiting]) wake(again);
  }

  // ---------------------------------------------------------------- one refresh

  /** One refresh; its outcome goes into the backoff (cleared, or one more failure and the next retry). */
  private async refreshAndRecord(force: boolean): Promise<TokenSet> {
    try {
      const next = await this.refresher.run(force);
      this.succeeded();
      return next;
    } catch (err) {
      throw this.recordFailure(this.toError(err));
    }
  }

  /** Counts a failed refresh, schedules the retry when one is worth it, logs once per new problem. */
  private recordFailure(e: NetatmoError): NetatmoError {
    const prev = this.memory.backoff.lastError;
    const now = this.clock();
    const unsaved = this.memory.login.unsaved !== undefined;
    if (e.retryable || unsaved) {
      const rateLimited = e.code === 'RATE_LIMITED';
      const delay = (failures: number) => retryDelayMs({ failures, rateLimited, retryAfterMs: e.retryAfterMs }, this.retryTiming);
      const retryAt = this.memory.refreshFailed(e, now, delay);
      const what = unsaved ? 'Storing the new tokens failed' : 'Token refresh failed';
      const how = unsaved ? 'keeping them in memory until then' : 'with the same refresh token';
      this.log.warn(`${what} (${e.code}: ${e.message}); retrying in ${seconds(retryAt - now)} s ${how}`);
    } else {
      this.memory.failed(e, undefined);
      // One line per new problem: a message every 100 ms must not repeat it every 100 ms.
      const repeated =
        e instanceof refusals.ThrottledReauthorization || (prev !== undefined && prev.code === e.code && prev.message === e.message);
      if (repeated) this.log.debug(`refresh: ${e.code} again`);
      else this.log.error(refusals.failureLine(e));
    }
    this.setState();
    return e;
  }

  /** A NetatmoError for the callers; a programming error (INTERNAL) is logged with its stack, redacted like every line. */
  private toError(err: unknown): NetatmoError {
    const e = asNetatmoError(err);
    if (e.code === 'INTERNAL' && err instanceof Error && !(err instanceof NetatmoError))
      this.log.error(`Internal error, please report it: ${err.stack ?? err.message}`);
    // Whatever leaves the core (status, Catch, admin answers) holds no secret, as the log lines do not.
    return scrubError(e, (t) => this.redact(t));
  }

  /** A new login from a code or a pasted refresh token, stored under the lock before it is used. */
  private async install(what: string, obtain: (c: OAuthClient) => Promise<TokenSet>): Promise<TokenSet> {
    const client = this.client;
    if (!client) throw refusals.noClient();
    await this.inflight?.catch(() => undefined);
    this.log.debug(`authorize: exchanging a ${what} for a new login`);
    const next = await this.store.withLock(this.accountId, async () => {
      const before = await this.readOrSetAside();
      const t = await obtain(client);
      this.redactor.add(t.access_token, t.refresh_token);
      try {
        await this.store.write(this.accountId, { tokens: t });
      } catch (err) {
        // The code is spent (or the pasted refresh token rotated): keep the pair, store it on the next try.
        this.memory.keepUnsaved({ tokens: t, from: before?.tokens.refresh_token });
        throw this.recordFailure(this.toError(err));
      }
      return t;
    });
    this.memory.adoptLogin(next, this.clock());
    this.log.info(`Authorized for scopes ${next.scope.join(' ') || '(none)'}`);
    this.succeeded();
    this.schedule();
    return next;
  }

  /** The stored login before an authorization; a file that cannot be read (owner, permissions) is kept aside, not overwritten. */
  private async readOrSetAside(): Promise<StoredAccount | null> {
    try {
      return await this.store.read(this.accountId);
    } catch (err) {
      if (asNetatmoError(err).code === 'STORE') {
        const aside = await this.store.keepAside(this.accountId);
        if (aside) this.log.warn(`The unreadable token file was kept as ${aside}`);
      }
      return null;
    }
  }

  private schedule(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running || !this.autoRefresh || this.inflight) return;
    const { tokens: t, invalid } = this.memory.login;
    const { retryAt, lastError } = this.memory.backoff;
    let at: number | undefined;
    if (retryAt) at = retryAt;
    else if (t && !invalid && !lastError) at = refreshAt(t, this.marginMs);
    if (at === undefined) return;
    const delay = Math.min(Math.max(0, at - this.clock()), 2 ** 31 - 1);
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.refresh().catch(() => undefined);
    }, delay);
  }

  private setState(): void {
    const { login, backoff } = this.memory;
    const next = liveState({
      ...login,
      refreshing: this.inflight !== undefined,
      lastError: backoff.lastError,
      retryAt: backoff.retryAt,
      redact: (t) => this.redact(t),
    });
    const prev = this._state;
    this._state = next;
    if (JSON.stringify(prev) !== JSON.stringify(next)) this.emit('state', next);
  }
}

/** A delay in seconds for a log line: 0.4, 2.5, 120. */
function seconds(ms: number): string {
  // Stryker disable next-line EqualityOperator: at exactly 10 000 ms both forms say "10" (<= cannot differ; >= is killed by the 2.5 s line)
  return ms < 10_000 ? (Math.round(ms / 100) / 10).toString() : Math.round(ms / 1000).toString();
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
