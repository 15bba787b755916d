import { EventEmitter } from 'node:events';
import { NetatmoError, asNetatmoError, scrubError } from '../shared/errors';
import type { OAuthClient, TokenSet } from './oauth';
import { Redactor, redact } from '../shared/redact';
import { decideRefresh, refreshMargin, type RefreshDecision } from './refresh-decision';
import { DEFAULT_RETRY_TIMING, type RetryTiming, retryDelayMs } from '../shared/retry-timing';
import type { StoredAccount, TokenStore } from './store';
import { type AccountState, liveState, reauthReason } from './account-state';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The timers the manager waits with (its refresh timer, callers waiting for a retry); tests pass virtual ones. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

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

/** Below this remaining lifetime a cached token is not handed out any more (a quarter of short lifetimes). */
const MIN_REMAINING_MS = 10_000;

/**
 * What this manager knows of the login. Replaced as a whole by `newLogin` when a new pair is obtained
 * and stored, or the login is forgotten; single fields change as the store or Netatmo tell more.
 */
interface Login {
  tokens?: TokenSet;
  /** Netatmo refused the refresh token or the client (as stored): re-authorization is needed. */
  invalid?: StoredAccount['invalid'];
  /** An access token Netatmo's API refused before its expiry: never handed out again. */
  refusedAccessToken?: string;
  /** A new pair that Netatmo gave but that could not be stored: kept, unused, until the store takes it. */
  unsaved?: { tokens: TokenSet; from: string };
  /** The last refresh may have reached Netatmo although its answer was lost: the refresh token may be spent. */
  uncertain?: boolean;
  /** The token file was damaged (and set aside) or disappeared: said until the next authorization. */
  storeProblem?: NetatmoError;
  /** One token request despite the throttle: the account was refused as a client, and redeployed since. */
  clientRetry?: boolean;
  lastRefresh?: number;
}

/** The failures since the last success, and when to try again. Cleared as a whole by `clearBackoff`. */
interface Backoff {
  failures: number;
  retryAt?: number;
  lastError?: NetatmoError;
}

/** A throttled re-authorization: repeats the state the account already shows, so it is not logged again. */
class ThrottledReauthorization extends NetatmoError {
  constructor(invalid: NonNullable<StoredAccount['invalid']>) {
    super('REAUTHORIZE', invalid.message, { oauthError: invalid.code, reason: reauthReason(invalid) });
  }
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

  private login: Login = {};
  private backoff: Backoff = { failures: 0 };
  private inflight?: Promise<TokenSet>;
  /** An access token the API refused, and how often the one that replaced it was refused too (reset when one works). */
  private refusal?: { refused: string; count: number };
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
    const base = opts.logger ?? silentLogger;
    // Called as methods of `base`: a logger object may rely on `this` (Node-RED nodes do).
    const scrub = (level: keyof Logger) => (m: string) => base[level](this.redact(m));
    this.log = { debug: scrub('debug'), info: scrub('info'), warn: scrub('warn'), error: scrub('error') };
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
    await this.store.check?.().catch((err: unknown) => {
      this.backoff.lastError = this.toError(err);
      this.log.error(this.backoff.lastError.message);
    });
    try {
      const stored = await this.readStore();
      if (stored) {
        this.adopt(stored);
        this.log.debug(
          `start: stored refresh token ${redact(stored.tokens.refresh_token)}, access token ${redact(stored.tokens.access_token)} valid until ${iso(stored.tokens.expires_at)}${stored.invalid ? ` (refused: ${stored.invalid.code})` : ''}${stored.pending ? ' (a refresh was interrupted)' : ''}`,
        );
      } else {
        this.log.debug(`start: no token file ${this.store.file(this.accountId)}`);
      }
      // A refused client gets one new try after a redeploy: the user may have fixed the secret.
      this.login.clientRetry = this.login.invalid?.code === 'invalid_client';
      this.setState();
      // Written in clear text before Node-RED had a credential secret, or with a secret since replaced.
      if (stored && this.store.isOutdated?.(this.accountId)) {
        await this.store.upgrade?.(this.accountId).then(
          (done) =>
            done &&
            this.log.info(`The token file ${this.store.file(this.accountId)} is now encrypted with Node-RED's current credential secret`),
          (err) => this.log.warn(this.toError(err).message),
        );
      }
    } catch (err) {
      this.backoff.lastError = this.toError(err);
      this.log.error(this.backoff.lastError.message);
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
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeWaiting(false);
    const inflight = this.inflight;
    if (!inflight) return Promise.resolve();
    this.log.debug('stop: waiting for the refresh under way to be stored');
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      timer.unref?.();
      const settle = (): void => {
        clearTimeout(timer);
        resolve();
      };
      inflight.then(settle, settle);
    });
  }

  /**
   * The cached access token when no message needs to wait for the network: the hot path, synchronous.
   * When the token is due for refresh but still good, it is handed out and one refresh starts behind it.
   */
  fresh(): TokenSet | undefined {
    const { tokens: t, invalid, refusedAccessToken } = this.login;
    if (!t || invalid || t.access_token === refusedAccessToken) return undefined;
    const now = this.clock();
    if (now < t.expires_at - refreshMargin(t, this.marginMs)) return t;
    if (now < t.expires_at - this.minRemaining(t)) {
      if (!this.inflight && !this.backingOff(now)) this.refresh().catch(() => undefined);
      return t;
    }
    return undefined;
  }

  /**
   * A valid access token: cached, or from the one shared refresh. With `maxWaitMs`, a caller that meets a
   * transient failure waits for the manager's next retry when it comes within that time (and fails at once
   * with the last error when it does not). A `maxWaitMs` that is not a finite number counts as 0.
   */
  async getToken(opts: GetTokenOptions = {}): Promise<TokenSet> {
    const maxWaitMs = opts.maxWaitMs !== undefined && Number.isFinite(opts.maxWaitMs) ? Math.max(0, opts.maxWaitMs) : 0;
    if (maxWaitMs === 0) return this.tokenOrRefresh();
    const deadline = this.clock() + maxWaitMs;
    for (;;) {
      try {
        return await this.tokenOrRefresh();
      } catch (err) {
        const retryAt = this.backoff.retryAt;
        if (retryAt === undefined || retryAt > deadline) throw err;
        if (!(await this.waitUntil(retryAt))) throw err; // the manager stopped meanwhile
      }
    }
  }

  /**
   * Netatmo's API refused this access token before its expiry (403, API error 2 or 3: re-authorized or
   * revoked elsewhere). If it is still the current one, it is not handed out any more and one refresh
   * starts (unless a retry is already scheduled), shared by every caller. A token already replaced is ignored.
   */
  rejectAccessToken(accessToken: string): void {
    const t = this.login.tokens;
    if (!t || t.access_token !== accessToken || this.login.refusedAccessToken === accessToken) return;
    this.login.refusedAccessToken = accessToken;
    if (this.refusal && this.refusal.refused !== accessToken) {
      this.refusedAgain(accessToken);
      return;
    }
    this.refusal = { refused: accessToken, count: 0 };
    this.log.warn(`Netatmo refused the access token ${redact(accessToken)} before its expiry (${iso(t.expires_at)}); getting a new one`);
    if (!this.login.invalid && !this.inflight && !this.backingOff(this.clock())) this.refresh().catch(() => undefined);
    this.setState();
  }

  /** The API accepted this access token: the refusal episode, if any, is over. */
  acceptAccessToken(accessToken: string): void {
    if (this.refusal && this.login.tokens?.access_token === accessToken) this.refusal = undefined;
  }

  /**
   * The token of the refresh that followed a refusal is refused too (Netatmo's side is wrong, or the
   * login was revoked without telling the token endpoint): refreshing for every later batch of messages
   * would not help. The account says so and refreshes again after a backoff that grows with each repeat.
   */
  private refusedAgain(accessToken: string): void {
    const episode = this.refusal as { refused: string; count: number };
    episode.refused = accessToken;
    episode.count += 1;
    const now = this.clock();
    const e = new NetatmoError('API_ERROR', 'Netatmo refused the freshly refreshed access token too: the account tries again later', {
      reason: 'token-refused-again',
    });
    this.backoff.lastError = e;
    this.backoff.retryAt = now + retryDelayMs({ failures: episode.count, rateLimited: false }, this.retryTiming);
    this.log.warn(`${e.message} (${redact(accessToken)}); next refresh in ${seconds(this.backoff.retryAt - now)} s`);
    this.setState();
    this.schedule();
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
    this.newLogin();
    this.setState();
  }

  // ---------------------------------------------------------------- the two groups of state

  /** A new login (refreshed, authorized, kept tokens finally stored), or none: what was known of the old one goes. */
  private newLogin(tokens?: TokenSet, at?: number): void {
    this.login = tokens ? { tokens, lastRefresh: at } : {};
  }

  private clearBackoff(): void {
    this.backoff = { failures: 0 };
  }

  /** A retry is scheduled and not due yet: until then, no new token request. */
  private backingOff(now: number): boolean {
    return this.backoff.retryAt !== undefined && now < this.backoff.retryAt;
  }

  /** Takes the stored pair (and whether it was refused) as the current one. */
  private adopt(stored: StoredAccount): void {
    this.login.tokens = stored.tokens;
    this.login.invalid = stored.invalid;
    this.redactor.add(stored.tokens.access_token, stored.tokens.refresh_token);
  }

  private minRemaining(t: TokenSet): number {
    return Math.min(MIN_REMAINING_MS, Math.max(0, (t.expires_at - t.obtained_at) / 4));
  }

  // ---------------------------------------------------------------- callers

  private tokenOrRefresh(): Promise<TokenSet> {
    const t = this.fresh();
    if (t) return Promise.resolve(t);
    const { lastError } = this.backoff;
    if (lastError && this.backingOff(this.clock()) && !this.inflight) return Promise.reject(lastError);
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
      // Tokens kept in memory are stored under the lock, before anything else.
      const quick = this.login.unsaved ? undefined : await this.answerWithoutLock(force);
      const next =
        quick ??
        (await this.store.withLock(this.accountId, () => {
          this.log.debug('refresh: lock taken');
          return this.refreshHoldingLock(force);
        }));
      this.clearBackoff();
      this.setState();
      this.wakeWaiting(true);
      return next;
    } catch (err) {
      throw this.recordFailure(this.toError(err));
    }
  }

  /** The decision for what the store holds now (see refresh-decision.ts). */
  private decide(stored: StoredAccount | null, force: boolean, known: string | undefined): RefreshDecision {
    return decideRefresh({
      stored,
      now: this.clock(),
      force,
      known,
      refusedAccessToken: this.login.refusedAccessToken,
      marginMs: this.marginMs,
      reauthThrottleMs: this.reauthThrottleMs,
      clientRetry: this.login.clientRetry === true,
    });
  }

  /**
   * What can be answered from a read of the file without the lock (atomic: the old or the new one):
   * a pair stored by another process is adopted, a throttled re-authorization is answered.
   * A request, a missing or unreadable file go on under the lock (undefined).
   */
  private async answerWithoutLock(force: boolean): Promise<TokenSet | undefined> {
    const known = this.login.tokens?.refresh_token;
    let stored: StoredAccount | null;
    try {
      stored = await this.readStore();
    } catch (err) {
      const e = asNetatmoError(err);
      // Set aside already, or another credentialSecret's file (the lock changes nothing): say why now.
      if (e.code === 'STORE_CORRUPT' || e.reason === 'secret') throw err;
      return undefined; // reported under the lock
    }
    const decision = this.decide(stored, force, known);
    if (decision.action === 'adopt') return this.adoptFresh(decision.stored);
    if (decision.action === 'throttled') {
      this.adopt(decision.stored);
      throw new ThrottledReauthorization(decision.invalid);
    }
    return undefined;
  }

  private async refreshHoldingLock(force: boolean): Promise<TokenSet> {
    let known = this.login.tokens?.refresh_token;
    let stored = await this.readStore();
    const kept = this.login.unsaved && (await this.storeKeptTokens(stored));
    if (kept) {
      stored = { tokens: kept };
      known = kept.refresh_token;
    }
    const decision = this.decide(stored, force, known);
    if (decision.action === 'not authorized') throw this.nothingStored(known);
    this.adopt(decision.stored);
    if (decision.action === 'adopt') return this.adoptFresh(decision.stored);
    if (decision.action === 'throttled') throw new ThrottledReauthorization(decision.invalid);
    return this.requestNewPair(decision.stored);
  }

  private adoptFresh(stored: StoredAccount): TokenSet {
    this.adopt(stored);
    this.log.debug(`refresh: the stored token ${redact(stored.tokens.access_token)} is still fresh; no request`);
    return stored.tokens;
  }

  /** The file is gone: a damaged one was set aside, or it disappeared, or there never was a login. */
  private nothingStored(known: string | undefined): NetatmoError {
    this.login.tokens = undefined;
    this.login.invalid = undefined;
    if (this.login.storeProblem) return this.login.storeProblem;
    if (known === undefined)
      return new NetatmoError('NOT_AUTHORIZED', 'Not authorized yet: open the account in the editor and click Authorize');
    const file = this.store.file(this.accountId);
    this.login.storeProblem = new NetatmoError(
      'NOT_AUTHORIZED',
      `The token file ${file} has disappeared (removed outside Node-RED?): open the account in the editor and click Authorize`,
      { reason: 'disappeared', params: { file } },
    );
    return this.login.storeProblem;
  }

  /** Sends the stored refresh token (under the lock) and stores the new pair before anyone sees it. */
  private async requestNewPair(stored: StoredAccount): Promise<TokenSet> {
    if (!this.client) throw new NetatmoError('CONFIG', 'The account has no client id or secret');
    const now = this.clock();
    this.login.clientRetry = false;
    const rt = stored.tokens.refresh_token;
    // Marked before sending: if this process dies before the answer is stored, the next start knows.
    const marked: StoredAccount = { ...stored, pending: stored.pending ?? now };
    await this.store.write(this.accountId, marked);
    this.log.debug(`refresh: sending refresh token ${redact(rt)}`);
    let next: TokenSet;
    try {
      next = await this.client.refresh(rt);
    } catch (err) {
      const e = this.toError(err);
      this.log.debug(
        `refresh: failed with ${e.code}${e.oauthError ? ` (${e.oauthError})` : ''}${e.uncertain ? ', Netatmo may have rotated the token' : ''}`,
      );
      if (e.code === 'INVALID_GRANT' || e.code === 'INVALID_CLIENT') return this.afterRefusal(e, stored, now);
      if (e.uncertain) this.login.uncertain = true;
      else if (stored.pending === undefined) {
        // Netatmo answered and did not rotate: the mark would only mislead a later message.
        await this.store.write(this.accountId, stored).catch(() => undefined);
      }
      throw e;
    }
    this.redactor.add(next.access_token, next.refresh_token);
    this.log.debug(
      `refresh: received refresh token ${redact(next.refresh_token)}, access token ${redact(next.access_token)}; storing them`,
    );
    // Persist before use: nobody sees the new access token before the new pair is on disk.
    try {
      await this.store.write(this.accountId, { tokens: next });
    } catch (err) {
      // Netatmo has already killed the old refresh token: this pair is the login now. Keep it (unused)
      // and store it on the next try, rather than lose it.
      this.login.unsaved = { tokens: next, from: rt };
      const e = this.toError(err);
      throw new NetatmoError('STORE', `${e.message}; the new tokens are kept in memory and stored as soon as the file can be written`, {
        reason: 'unsaved',
        params: { file: this.store.file(this.accountId), detail: e.params?.detail ?? e.code },
      });
    }
    this.log.debug(
      `refresh: stored new refresh token ${redact(next.refresh_token)}, access token ${redact(next.access_token)} valid until ${iso(next.expires_at)}`,
    );
    this.newLogin(next, now);
    return next;
  }

  /** Netatmo refused the refresh token or the client: a pair stored meanwhile by someone else, or re-authorization. */
  private async afterRefusal(e: NetatmoError, stored: StoredAccount, now: number): Promise<TokenSet> {
    const rt = stored.tokens.refresh_token;
    // Refused because someone else rotated it meanwhile (a lock taken over, a tool that does not lock)?
    const current = await this.store.read(this.accountId).catch(() => null);
    if (current && current.tokens.refresh_token !== rt && !current.invalid) {
      this.log.warn('Netatmo refused a refresh token that another process had already replaced; using the newer one');
      this.adopt(current);
      return current.tokens;
    }
    const invalid = { code: e.oauthError ?? e.code, ...this.reauthMessage(e, stored.pending !== undefined), at: now };
    await this.store.write(this.accountId, { tokens: stored.tokens, invalid });
    this.login.invalid = invalid;
    throw new NetatmoError('REAUTHORIZE', invalid.message, { oauthError: e.oauthError, status: e.status, reason: invalid.reason });
  }

  /** Stores the pair kept in memory after a failed write, unless another process stored a newer login. */
  private async storeKeptTokens(stored: StoredAccount | null): Promise<TokenSet | undefined> {
    const unsaved = this.login.unsaved;
    if (!unsaved) return undefined;
    const onDisk = stored?.tokens.refresh_token;
    if (onDisk !== undefined && onDisk !== unsaved.from && onDisk !== unsaved.tokens.refresh_token) {
      this.login.unsaved = undefined; // a newer login (another process, a new authorization) wins
      return undefined;
    }
    await this.store.write(this.accountId, { tokens: unsaved.tokens });
    this.log.info(`The new tokens kept in memory are now stored in ${this.store.file(this.accountId)}`);
    this.newLogin(unsaved.tokens, unsaved.tokens.obtained_at);
    return unsaved.tokens;
  }

  /** Reads the token file; remembers a damaged one (set aside by the store) until the next login. */
  private async readStore(): Promise<StoredAccount | null> {
    try {
      const stored = await this.store.read(this.accountId);
      if (stored) this.login.storeProblem = undefined;
      return stored;
    } catch (err) {
      if (err instanceof NetatmoError && err.code === 'STORE_CORRUPT') this.login.storeProblem = err;
      throw err;
    }
  }

  private reauthMessage(e: NetatmoError, interrupted = false): { message: string; reason: string } {
    if (e.code === 'INVALID_CLIENT') {
      return {
        reason: 'client',
        message:
          'Netatmo refused the client id or secret (invalid_client): check them against your app at dev.netatmo.com, deploy, and authorize again',
      };
    }
    if (this.login.uncertain || interrupted) {
      return {
        reason: 'lost',
        message:
          "Netatmo refused the stored refresh token (invalid_grant). The last refresh may have succeeded on Netatmo's side but its answer was lost; re-authorize the account",
      };
    }
    return {
      reason: 'grant',
      message: 'Netatmo refused the stored refresh token (invalid_grant): the login is no longer valid; re-authorize the account',
    };
  }

  /** Counts a failed refresh, schedules the retry when one is worth it, logs once per new problem. */
  private recordFailure(e: NetatmoError): NetatmoError {
    const backoff = this.backoff;
    const prev = backoff.lastError;
    backoff.lastError = e;
    const now = this.clock();
    const unsaved = this.login.unsaved !== undefined;
    if (e.retryable || unsaved) {
      backoff.failures += 1;
      const failure = { failures: backoff.failures, rateLimited: e.code === 'RATE_LIMITED', retryAfterMs: e.retryAfterMs };
      backoff.retryAt = now + retryDelayMs(failure, this.retryTiming);
      const what = unsaved ? 'Storing the new tokens failed' : 'Token refresh failed';
      const how = unsaved ? 'keeping them in memory until then' : 'with the same refresh token';
      this.log.warn(`${what} (${e.code}: ${e.message}); retrying in ${seconds(backoff.retryAt - now)} s ${how}`);
    } else {
      backoff.retryAt = undefined;
      // One line per new problem: a message every 100 ms must not repeat it every 100 ms.
      const repeated = e instanceof ThrottledReauthorization || (prev !== undefined && prev.code === e.code && prev.message === e.message);
      const line =
        e.code === 'REAUTHORIZE' ? `${e.message}. Open the Netatmo account in the Node-RED editor and click Authorize.` : e.message;
      if (repeated) this.log.debug(`refresh: ${e.code} again`);
      else this.log.error(line);
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

  private async install(what: string, obtain: (c: OAuthClient) => Promise<TokenSet>): Promise<TokenSet> {
    const client = this.client;
    if (!client) throw new NetatmoError('CONFIG', 'The account has no client id or secret');
    await this.inflight?.catch(() => undefined);
    this.log.debug(`authorize: exchanging a ${what} for a new login`);
    const next = await this.store.withLock(this.accountId, async () => {
      // A file that cannot be read (owner, permissions) is kept aside, not overwritten.
      let before: StoredAccount | null = null;
      try {
        before = await this.store.read(this.accountId);
      } catch (err) {
        if (asNetatmoError(err).code === 'STORE') {
          const aside = await this.store.keepAside(this.accountId);
          if (aside) this.log.warn(`The unreadable token file was kept as ${aside}`);
        }
      }
      const t = await obtain(client);
      this.redactor.add(t.access_token, t.refresh_token);
      try {
        await this.store.write(this.accountId, { tokens: t });
      } catch (err) {
        // The code is spent (or the pasted refresh token rotated): keep the pair, store it on the next try.
        this.login.unsaved = { tokens: t, from: before?.tokens.refresh_token ?? '' };
        throw this.recordFailure(this.toError(err));
      }
      return t;
    });
    this.newLogin(next, this.clock());
    this.clearBackoff();
    this.log.info(`Authorized for scopes ${next.scope.join(' ') || '(none)'}`);
    this.setState();
    this.schedule();
    this.wakeWaiting(true);
    return next;
  }

  private schedule(): void {
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running || !this.autoRefresh || this.inflight) return;
    const { tokens: t, invalid } = this.login;
    const { retryAt, lastError } = this.backoff;
    let at: number | undefined;
    if (retryAt) at = retryAt;
    else if (t && !invalid && !lastError) at = t.expires_at - refreshMargin(t, this.marginMs);
    if (at === undefined) return;
    const delay = Math.min(Math.max(0, at - this.clock()), 2 ** 31 - 1);
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.refresh().catch(() => undefined);
    }, delay);
  }

  private setState(): void {
    const next = liveState({
      ...this.login,
      refreshing: this.inflight !== undefined,
      lastError: this.backoff.lastError,
      retryAt: this.backoff.retryAt,
      redact: (t) => this.redact(t),
    });
    const prev = this._state;
    this._state = next;
    if (JSON.stringify(prev) !== JSON.stringify(next)) this.emit('state', next);
  }
}

/** A delay in seconds for a log line: 0.4, 2.5, 120. */
function seconds(ms: number): string {
  return ms < 10_000 ? (Math.round(ms / 100) / 10).toString() : Math.round(ms / 1000).toString();
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
