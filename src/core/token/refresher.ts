/**
 * One refresh, as the manager runs it: what the store holds decides (see refresh-decision.ts) whether
 * a pair stored by another process is adopted, a re-authorization is answered, or the stored refresh
 * token is sent, under the lock, and the new pair stored before anyone sees it.
 */
import type { Logger } from '../shared/logger';
import { NetatmoError, asNetatmoError } from '../shared/errors';
import { Redactor, redact } from '../shared/redact';
import type { LoginMemory } from './login-memory';
import type { OAuthClient, TokenSet } from './oauth';
import { decideRefresh, type RefreshDecision } from './refresh-decision';
import * as refusals from './refusals';
import type { StoredAccount, TokenStore } from './store';

/** What a refresh needs of its manager. */
export interface RefreshContext {
  accountId: string;
  store: TokenStore;
  client?: OAuthClient;
  clock: () => number;
  marginMs: number;
  reauthThrottleMs: number;
  memory: LoginMemory;
  redactor: Redactor;
  log: Logger;
  toError: (err: unknown) => NetatmoError;
}

export class Refresher {
  constructor(private readonly c: RefreshContext) {}

  /** One refresh: answered from the file without the lock when it can be, else under the lock. */
  async run(force: boolean): Promise<TokenSet> {
    // Tokens kept in memory are stored under the lock, before anything else.
    const quick = this.c.memory.login.unsaved ? undefined : await this.answerWithoutLock(force);
    return (
      quick ??
      this.c.store.withLock(this.c.accountId, () => {
        this.c.log.debug('refresh: lock taken');
        return this.refreshHoldingLock(force);
      })
    );
  }

  /** Takes the stored pair (and whether it was refused) as the current one; its tokens are redacted from now on. */
  adopt(stored: StoredAccount): void {
    this.c.memory.adoptStored(stored);
    this.c.redactor.add(stored.tokens.access_token, stored.tokens.refresh_token);
  }

  /** The decision for what the store holds now (see refresh-decision.ts). */
  private decide(stored: StoredAccount | null, force: boolean, known: string | undefined): RefreshDecision {
    return decideRefresh({
      stored,
      now: this.c.clock(),
      force,
      known,
      refusedAccessToken: this.c.memory.login.refusedAccessToken,
      marginMs: this.c.marginMs,
      reauthThrottleMs: this.c.reauthThrottleMs,
      clientRetry: this.c.memory.login.clientRetry === true,
    });
  }

  /**
   * What can be answered from a read of the file without the lock (atomic: the old or the new one):
   * a pair stored by another process is adopted, a throttled re-authorization is answered.
   * A request, a missing or unreadable file go on under the lock (undefined).
   */
  private async answerWithoutLock(force: boolean): Promise<TokenSet | undefined> {
    const known = this.c.memory.login.tokens?.refresh_token;
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
      throw new refusals.ThrottledReauthorization(decision.invalid);
    }
    return undefined;
  }

  private async refreshHoldingLock(force: boolean): Promise<TokenSet> {
    let known = this.c.memory.login.tokens?.refresh_token;
    let stored = await this.readStore();
    const unsaved = this.c.memory.login.unsaved;
    const kept = unsaved && (await this.storeKeptTokens(stored, unsaved));
    if (kept) {
      stored = { tokens: kept };
      known = kept.refresh_token;
    }
    const decision = this.decide(stored, force, known);
    if (decision.action === 'not authorized') throw this.nothingStored(known);
    this.adopt(decision.stored);
    if (decision.action === 'adopt') return this.adoptFresh(decision.stored);
    if (decision.action === 'throttled') throw new refusals.ThrottledReauthorization(decision.invalid);
    return this.requestNewPair(decision.stored);
  }

  private adoptFresh(stored: StoredAccount): TokenSet {
    this.adopt(stored);
    this.c.log.debug(`refresh: the stored token ${redact(stored.tokens.access_token)} is still fresh; no request`);
    return stored.tokens;
  }

  /** The file is gone: a damaged one was set aside, or it disappeared, or there never was a login. */
  private nothingStored(known: string | undefined): NetatmoError {
    const problem = this.c.memory.login.storeProblem;
    if (problem || known === undefined) {
      this.c.memory.loseStored();
      return problem ?? refusals.notAuthorizedYet();
    }
    const disappeared = refusals.fileDisappeared(this.c.store.file(this.c.accountId));
    this.c.memory.loseStored(disappeared);
    return disappeared;
  }

  /** Sends the stored refresh token (under the lock) and stores the new pair before anyone sees it. */
  private async requestNewPair(stored: StoredAccount): Promise<TokenSet> {
    if (!this.c.client) throw refusals.noClient();
    const now = this.c.clock();
    this.c.memory.allowClientRetry(false);
    const rt = stored.tokens.refresh_token;
    // Marked before sending: if this process dies before the answer is stored, the next start knows.
    await this.c.store.write(this.c.accountId, { ...stored, pending: stored.pending ?? now });
    this.c.log.debug(`refresh: sending refresh token ${redact(rt)}`);
    let next: TokenSet;
    try {
      next = await this.c.client.refresh(rt);
    } catch (err) {
      return this.refreshRefused(this.c.toError(err), stored, now);
    }
    this.c.redactor.add(next.access_token, next.refresh_token);
    this.c.log.debug(
      `refresh: received refresh token ${redact(next.refresh_token)}, access token ${redact(next.access_token)}; storing them`,
    );
    // Persist before use: nobody sees the new access token before the new pair is on disk.
    try {
      await this.c.store.write(this.c.accountId, { tokens: next });
    } catch (err) {
      // Netatmo has already killed the old refresh token: this pair is the login now. Keep it (unused)
      // and store it on the next try, rather than lose it.
      this.c.memory.keepUnsaved({ tokens: next, from: rt });
      throw refusals.keptUnsaved(this.c.toError(err), this.c.store.file(this.c.accountId));
    }
    this.c.log.debug(
      `refresh: stored new refresh token ${redact(next.refresh_token)}, access token ${redact(next.access_token)} valid until ${iso(next.expires_at)}`,
    );
    this.c.memory.adoptLogin(next, now);
    return next;
  }

  /** The token request failed: a refusal (re-authorization, or someone else's newer pair), or a failure to retry. */
  private async refreshRefused(e: NetatmoError, stored: StoredAccount, now: number): Promise<TokenSet> {
    this.c.log.debug(
      `refresh: failed with ${e.code}${e.oauthError ? ` (${e.oauthError})` : ''}${e.uncertain ? ', Netatmo may have rotated the token' : ''}`,
    );
    if (e.code === 'INVALID_GRANT' || e.code === 'INVALID_CLIENT') return this.afterRefusal(e, stored, now);
    if (e.uncertain) this.c.memory.refreshUncertain();
    else if (stored.pending === undefined) {
      // Netatmo answered and did not rotate: the mark would only mislead a later message.
      await this.c.store.write(this.c.accountId, stored).catch(() => undefined);
    }
    throw e;
  }

  /** Netatmo refused the refresh token or the client: a pair stored meanwhile by someone else, or re-authorization. */
  private async afterRefusal(e: NetatmoError, stored: StoredAccount, now: number): Promise<TokenSet> {
    const rt = stored.tokens.refresh_token;
    // Refused because someone else rotated it meanwhile (a lock taken over, a tool that does not lock)?
    // Stryker disable next-line ArrowFunction: null or undefined, both mean no newer pair to use
    const current = await this.c.store.read(this.c.accountId).catch(() => null);
    if (current && current.tokens.refresh_token !== rt && !current.invalid) {
      this.c.log.warn('Netatmo refused a refresh token that another process had already replaced; using the newer one');
      this.adopt(current);
      return current.tokens;
    }
    const lost = this.c.memory.login.uncertain === true || stored.pending !== undefined;
    const invalid = { code: e.oauthError ?? e.code, ...refusals.reauthMessage(e, lost), at: now };
    await this.c.store.write(this.c.accountId, { tokens: stored.tokens, invalid });
    this.c.memory.refused(invalid);
    throw refusals.reauthorize(invalid, e);
  }

  /** Stores the pair kept in memory after a failed write, unless another process stored a newer login. */
  private async storeKeptTokens(
    stored: StoredAccount | null,
    unsaved: NonNullable<LoginMemory['login']['unsaved']>,
  ): Promise<TokenSet | undefined> {
    const onDisk = stored?.tokens.refresh_token;
    if (onDisk !== undefined && onDisk !== unsaved.from && onDisk !== unsaved.tokens.refresh_token) {
      this.c.memory.keepUnsaved(undefined); // a newer login (another process, a new authorization) wins
      return undefined;
    }
    await this.c.store.write(this.c.accountId, { tokens: unsaved.tokens });
    this.c.log.info(`The new tokens kept in memory are now stored in ${this.c.store.file(this.c.accountId)}`);
    this.c.memory.adoptLogin(unsaved.tokens, unsaved.tokens.obtained_at);
    return unsaved.tokens;
  }

  /** Reads the token file; remembers a damaged one (set aside by the store) until the next login. */
  async readStore(): Promise<StoredAccount | null> {
    try {
      const stored = await this.c.store.read(this.c.accountId);
      if (stored) this.c.memory.storeRead(undefined);
      return stored;
    } catch (err) {
      if (err instanceof NetatmoError && err.code === 'STORE_CORRUPT') this.c.memory.storeRead(err);
      throw err;
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
