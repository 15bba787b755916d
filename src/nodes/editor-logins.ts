import { createHash } from 'node:crypto';

/**
 * What the account dialog needs to know about the logins it starts, kept in this process's memory
 * only and never holding a secret, a token or a state itself (states are kept as hashes):
 * - the outcome of the last login attempt of each account, which the dialog shows;
 * - the logins stored for accounts that were not deployed yet, so that a deploy that shows the
 *   account does not exist (the dialog was cancelled) removes them, unless a dialog still shows
 *   that account (it polls its status) and the deploy that adds it may still come.
 */
export type AttemptOutcome = 'pending' | 'authorized' | 'denied' | 'failed' | 'expired';

export interface Attempt {
  outcome: AttemptOutcome;
  /** ms since epoch: when it started, then when it ended. */
  at: number;
  /** For `failed`: a stable error code and our message (no token, no secret in either). */
  code?: string;
  message?: string;
}

const hash = (state: string): string => createHash('sha256').update(state).digest('base64url');

/** A dialog polls every 2 s; a status request younger than this means one is open. */
const DIALOG_OPEN_MS = 15_000;

export class EditorLogins {
  ttlMs = 10 * 60_000;
  clock: () => number = Date.now;
  private readonly attempts = new Map<string, Attempt & { state: string }>();
  private readonly undeployed = new Set<string>();
  private readonly polled = new Map<string, number>();

  /** The dialog of `accountId` clicked Authorize and got `state`. */
  started(accountId: string, state: string): void {
    this.attempts.delete(accountId); // re-inserted last: the map stays ordered by age
    this.attempts.set(accountId, { outcome: 'pending', at: this.clock(), state: hash(state) });
    while (this.attempts.size > 1000) this.attempts.delete(this.attempts.keys().next().value as string);
  }

  /** The login of `state` ended (callback or paste). A finished attempt keeps its outcome. */
  ended(state: unknown, outcome: Exclude<AttemptOutcome, 'pending'>, error?: { code: string; message: string }): void {
    if (typeof state !== 'string' || state === '') return;
    const h = hash(state);
    for (const [id, a] of this.attempts) {
      if (a.state !== h) continue;
      if (a.outcome === 'pending' || outcome === 'authorized')
        this.attempts.set(id, { state: h, outcome, at: this.clock(), code: error?.code, message: error?.message?.slice(0, 300) });
      return;
    }
  }

  /** The last attempt of an account, as the dialog shows it; a pending one turns expired with its state. */
  attempt(accountId: string): Attempt | null {
    const a = this.attempts.get(accountId);
    if (!a) return null;
    const shown: Attempt = { outcome: a.outcome, at: a.at, code: a.code, message: a.message };
    if (shown.outcome === 'pending' && this.clock() - shown.at >= this.ttlMs) return { ...shown, outcome: 'expired' };
    return shown;
  }

  /** A dialog showing `accountId` asked for its status (`open`), or was closed (`!open`). */
  dialog(accountId: string, open: boolean): void {
    this.polled.delete(accountId);
    if (open) this.polled.set(accountId, this.clock());
    if (this.polled.size > 1000) this.polled.delete(this.polled.keys().next().value as string);
  }

  /** A login was stored for an account that was not deployed. */
  storedUndeployed(accountId: string): void {
    this.undeployed.add(accountId);
  }

  /**
   * After a deploy: the accounts whose login must go (stored before a deploy, absent from it, and
   * no dialog showing them any more). Accounts that now exist are no longer watched.
   */
  orphans(exists: (accountId: string) => boolean): string[] {
    const gone: string[] = [];
    for (const id of this.undeployed) {
      if (exists(id)) this.undeployed.delete(id);
      else if (this.clock() - (this.polled.get(id) ?? -Infinity) > DIALOG_OPEN_MS) {
        this.undeployed.delete(id);
        gone.push(id);
      }
    }
    return gone;
  }

  clear(): void {
    this.attempts.clear();
    this.undeployed.clear();
    this.polled.clear();
  }
}

/** The one of this runtime (the admin routes and the account nodes share it). */
export const editorLogins = new EditorLogins();
