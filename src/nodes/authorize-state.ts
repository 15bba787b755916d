import { createHash, randomBytes } from 'node:crypto';

/**
 * The `state` of a Netatmo login started from the editor, and what the callback needs
 * to finish it. Kept in this process's memory only: never written to disk, never logged.
 */
export interface PendingLogin {
  accountId: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  redirectUri: string;
  apiBase: string;
  /** Hash of the cookie of the browser that asked (see request-guard.ts); only that browser may finish it. */
  browser?: string;
  /** ms since epoch. */
  createdAt: number;
}

export type StateProblem = 'missing' | 'unknown' | 'used' | 'expired' | 'mismatch';

export type TakeResult = { ok: true; login: PendingLogin } | { ok: false; problem: StateProblem };

export interface AuthorizeStatesOptions {
  /** How long a state stays valid. Default 10 minutes. */
  ttlMs?: number;
  clock?: () => number;
  /** At most this many logins wait at once; the oldest are dropped first. */
  max?: number;
}

/** 32 random bytes: 256 bits, URL safe. */
const STATE_BYTES = 32;
const STATE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** Used states are remembered by hash only, to tell "already used" from "unknown". */
const digest = (state: string): string => createHash('sha256').update(state).digest('base64url');

/**
 * Single-use, expiring, account-bound states. `create` hands out a new random state;
 * `take` gives back the pending login exactly once, within the time limit, for the
 * account it was made for.
 */
export class AuthorizeStates {
  ttlMs: number;
  clock: () => number;
  private readonly max: number;
  private readonly pending = new Map<string, PendingLogin>();
  /** Hash of a state no longer pending -> when and why it ended. */
  private readonly spent = new Map<string, { at: number; problem: 'used' | 'expired' }>();

  constructor(opts: AuthorizeStatesOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 10 * 60_000;
    this.clock = opts.clock ?? Date.now;
    this.max = opts.max ?? 100;
    // Nothing in here may end up in a log through util.inspect.
    Object.defineProperty(this, 'pending', { enumerable: false });
    Object.defineProperty(this, 'spent', { enumerable: false });
  }

  create(login: Omit<PendingLogin, 'createdAt'>): string {
    this.sweep();
    while (this.pending.size >= this.max) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
    }
    const state = randomBytes(STATE_BYTES).toString('base64url');
    const entry = { ...login, createdAt: this.clock() } as PendingLogin;
    Object.defineProperty(entry, 'clientSecret', { value: login.clientSecret, enumerable: false });
    this.pending.set(state, entry);
    return state;
  }

  /** Looks a state up without using it. */
  peek(state: unknown): TakeResult {
    if (typeof state !== 'string' || state === '') return { ok: false, problem: 'missing' };
    if (!STATE_PATTERN.test(state)) return { ok: false, problem: 'unknown' };
    const login = this.pending.get(state);
    if (!login) return { ok: false, problem: this.spent.get(digest(state))?.problem ?? 'unknown' };
    if (this.clock() - login.createdAt >= this.ttlMs) return { ok: false, problem: 'expired' };
    return { ok: true, login };
  }

  /**
   * Uses a state: valid once. An expired one is dropped. A state made for another
   * account is refused and left as it is, so the right account can still use it.
   */
  take(state: unknown, accountId?: string): TakeResult {
    this.sweep();
    const found = this.peek(state);
    if (!found.ok) {
      if (found.problem === 'expired') this.forget(state as string, 'expired');
      return found;
    }
    if (accountId !== undefined && found.login.accountId !== accountId) return { ok: false, problem: 'mismatch' };
    this.forget(state as string, 'used');
    return found;
  }

  /** Drops every pending login (tests, shutdown). */
  clear(): void {
    this.pending.clear();
    this.spent.clear();
  }

  get size(): number {
    return this.pending.size;
  }

  private forget(state: string, problem: 'used' | 'expired'): void {
    this.pending.delete(state);
    this.spent.set(digest(state), { at: this.clock(), problem });
  }

  private sweep(): void {
    const now = this.clock();
    for (const [state, login] of this.pending) if (now - login.createdAt >= this.ttlMs) this.forget(state, 'expired');
    // "Already used" is worth telling for a while; after that it is just unknown.
    for (const [hash, end] of this.spent) if (now - end.at >= 2 * this.ttlMs) this.spent.delete(hash);
    while (this.spent.size > 10 * this.max) this.spent.delete(this.spent.keys().next().value as string);
  }
}

/** The one store of this runtime. Tests may set its `clock` or `ttlMs`. */
export const authorizeStates = new AuthorizeStates();
