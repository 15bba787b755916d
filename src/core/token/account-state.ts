/**
 * The one account state: its type, how it is worked out (live, from what a manager knows; stored, from
 * the token file alone) and how it is shown (a node's status dot, the account dialog). A new state is
 * one edit here; the nodes, the admin routes, the CLI and the dialog read it.
 */
import type { ErrorCode, NetatmoError } from '../shared/errors';
import type { TokenSet } from './oauth';
import type { StoredAccount } from './store';

export type AccountStatus = 'unauthorized' | 'ok' | 'refreshing' | 'retrying' | 'reauthorize' | 'error';

/** What the editor, the node status and `/status` show. Never holds a secret. */
export interface AccountState {
  status: AccountStatus;
  authorized: boolean;
  expires_at?: number;
  scope?: string[];
  last_refresh?: number;
  retry_at?: number;
  /** `reason` and `params` let Node-RED show the message in the user's language. */
  error?: { code: ErrorCode; message: string; reason?: string; params?: Readonly<Record<string, string | number>> };
}

/** What a running manager knows, from which its state follows. */
export interface LiveFacts {
  tokens?: TokenSet;
  invalid?: StoredAccount['invalid'];
  lastRefresh?: number;
  refreshing: boolean;
  lastError?: NetatmoError;
  retryAt?: number;
  /** Applied to every message that leaves (the manager's redaction). */
  redact: (text: string) => string;
}

/** Which REAUTHORIZE message a stored refusal is (files written before `reason` existed: from the OAuth error). */
export function reauthReason(invalid: { code: string; reason?: string }): string {
  return invalid.reason ?? (invalid.code === 'invalid_client' ? 'client' : 'grant');
}

/** The state of an account whose manager runs. */
export function liveState(f: LiveFacts): AccountState {
  const { tokens: t, invalid, lastError: e, retryAt } = f;
  let status: AccountStatus;
  if (invalid) status = 'reauthorize';
  else if (f.refreshing && t) status = 'refreshing';
  else if (e && retryAt) status = 'retrying';
  else if (e && e.code !== 'NOT_AUTHORIZED') status = 'error';
  else status = t ? 'ok' : 'unauthorized';
  const error = invalid
    ? { code: 'REAUTHORIZE' as const, message: f.redact(invalid.message), reason: reauthReason(invalid) }
    : e
      ? { code: e.code, message: f.redact(e.message), reason: e.reason, params: e.params }
      : undefined;
  return {
    status,
    authorized: !!t && !invalid,
    expires_at: t?.expires_at,
    scope: t?.scope,
    last_refresh: f.lastRefresh ?? t?.obtained_at,
    retry_at: retryAt,
    error,
  };
}

/** The state of an account known only by its token file (not deployed yet, or read by the CLI). */
export function storedState(stored: StoredAccount | null): AccountState {
  if (!stored) return { status: 'unauthorized', authorized: false };
  return {
    status: stored.invalid ? 'reauthorize' : 'ok',
    authorized: !stored.invalid,
    expires_at: stored.tokens.expires_at,
    scope: stored.tokens.scope,
    last_refresh: stored.tokens.obtained_at,
  };
}

/** The CLI's `current --json` status: a stored login whose access token has run out says `expired`. */
export function fileStatus(state: AccountState, expired: boolean): AccountStatus | 'expired' {
  return state.status === 'ok' && expired ? 'expired' : state.status;
}

/** How a state is shown: a node's status (fill, shape, catalogue key) and the account dialog (heading, tone). */
export interface AccountDisplay {
  fill: 'green' | 'blue' | 'yellow' | 'red' | 'grey';
  shape: 'dot' | 'ring';
  /** Under `netatmo-account.status.`; filled with `time` (the expiry) and `code` (the error's code). */
  key: AccountStatus;
  /** The account dialog's heading, under `netatmo-account.editor.status.` (its details follow from it). */
  heading: DialogHeading;
  /** The account dialog's frame: ok, warn, bad or none. */
  tone: 'ok' | 'warn' | 'bad' | 'none';
}

/** What the dialog says first: a login it can use, one Netatmo refused, a failure, or no login yet. */
export type DialogHeading = 'authorized' | 'reauthorize' | 'error' | 'unauthorized';

const DISPLAY: Readonly<Record<AccountStatus, Pick<AccountDisplay, 'fill' | 'shape'>>> = {
  ok: { fill: 'green', shape: 'dot' },
  refreshing: { fill: 'blue', shape: 'dot' },
  retrying: { fill: 'yellow', shape: 'ring' },
  reauthorize: { fill: 'red', shape: 'ring' },
  error: { fill: 'red', shape: 'dot' },
  unauthorized: { fill: 'grey', shape: 'ring' },
};

/** The dialog's frame per heading; an authorized one is fine unless the last refresh went wrong. */
const TONE: Readonly<Record<Exclude<DialogHeading, 'authorized'>, AccountDisplay['tone']>> = {
  reauthorize: 'bad',
  error: 'bad',
  unauthorized: 'none',
};

export function displayOf(state: AccountState): AccountDisplay {
  const key = DISPLAY[state.status] ? state.status : 'unauthorized';
  const heading = headingOf(state);
  const tone = heading !== 'authorized' ? TONE[heading] : key === 'ok' || key === 'refreshing' ? 'ok' : 'warn';
  return { ...DISPLAY[key], key, heading, tone };
}

/** An authorized account first; then a refused login; then a failure other than "no login yet". */
function headingOf(state: AccountState): DialogHeading {
  if (state.authorized) return 'authorized';
  if (state.status === 'reauthorize') return 'reauthorize';
  return state.error?.code && state.error.code !== 'NOT_AUTHORIZED' ? 'error' : 'unauthorized';
}

/** The account waits for the user (a login, a new authorization), not for Netatmo: said before anything else. */
export function needsUser(state: AccountState): boolean {
  return state.status === 'reauthorize' || state.status === 'unauthorized';
}
