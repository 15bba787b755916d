import { createHash } from 'node:crypto';

/**
 * What the account dialog needs to know about the logins it starts, kept in this process's memory
 * only and never holding a secret, a token or a state itself (states are kept as hashes):
 * - the outcome of the last login attempt of each account, which the dialog shows;
 * - the logins stored for accounts that were not deployed yet, so that a deploy that shows the
 *   account does not exist (the dialog was cancelled) removes them, unless a dialog still shows
 *   that account (it polls its status) and the deploy that adds it may still come.
 *
 * The dialog's signals travel on their own requests, so they may reach the runtime after the deploy
 * that followed them: a Cancel's close can land after the deploy (which saw a dialog polled moments
 * ago and held the login), and a poll sent before the close can land after it. So a close that comes
 * after a deploy lacking the account, with no open signal since that deploy, removes the login then
 * (an editor cannot deploy while its own dialog is open: a dialog open at that deploy was in another
 * editor, and it went on polling after it); and an open signal just after a close is that dialog's
 * last poll, not a new dialog. Either way the open signal may come from a GET or a POST.
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
/** An open signal this soon after a close is the closed dialog's last poll (a new dialog polls again 2 s later). */
const CLOSED_QUIET_MS = 1_000;

export class EditorLogins {
  ttlMs = 10 * 60_000;
  clock: () => number = Date.now;
  private readonly attempts = new Map<string, Attempt & { state: string }>();
  private readonly undeployed = new Set<string>();
  private readonly polled = new Map<string, number>();
  /** When each dialog last closed (to tell a late poll from a new dialog). */
  private readonly closed = new Map<string, number>();
  /** Accounts the last deploy lacked while their dialog looked open, with no open signal since. */
  private readonly held = new Set<string>();
  /** Removes the login of an account found orphan outside a deploy (a close that came after it). */
  onOrphan: (accountId: string) => void = () => undefined;

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
    const now = this.clock();
    if (open && now - (this.closed.get(accountId) ?? -Infinity) < CLOSED_QUIET_MS) return; // its last poll
    this.polled.delete(accountId);
    this.closed.delete(accountId);
    if (open) {
      this.polled.set(accountId, now);
      this.held.delete(accountId); // open after the deploy: it was open at it, the next deploy decides
    } else {
      this.closed.set(accountId, now);
      if (this.held.delete(accountId) && this.undeployed.delete(accountId)) this.onOrphan(accountId);
    }
    for (const seen of [this.polled, this.closed]) if (seen.size > 1000) seen.delete(seen.keys().next().value as string);
  }

  /** A login was stored for an account that was not deployed. */
  storedUndeployed(accountId: string): void {
    this.undeployed.add(accountId);
  }

  /**
   * After a deploy: the accounts whose login must go (stored before a deploy, absent from it, and
   * no dialog showing them any more). Accounts that now exist are no longer watched; those a dialog
   * still seemed to show are held: their close, if no open signal comes first, removes them (onOrphan).
   */
  orphans(exists: (accountId: string) => boolean): string[] {
    const gone: string[] = [];
    const now = this.clock();
    for (const id of this.undeployed) {
      this.held.delete(id);
      if (exists(id)) this.undeployed.delete(id);
      else if (now - (this.polled.get(id) ?? -Infinity) > DIALOG_OPEN_MS) {
        this.undeployed.delete(id);
        gone.push(id);
      } else this.held.add(id);
    }
    return gone;
  }

  clear(): void {
    this.attempts.clear();
    this.undeployed.clear();
    this.polled.clear();
    this.closed.clear();
    this.held.clear();
  }
}

/** The one of this runtime (the admin routes and the account nodes share it). */
export const editorLogins = new EditorLogins();
