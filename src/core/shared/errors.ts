/**
 * Typed errors with stable codes. A Node-RED Catch node sees `msg.error.code`,
 * the CLI maps codes to exit codes. `message` is English, for the CLI and the core's logs;
 * Node-RED shows the user's language instead, from its catalogue by `code` (and `reason`, when
 * a code has several messages) filled with `params`.
 * Messages and params are written by us and never contain a token or a secret.
 */
export type ErrorCode =
  | 'NOT_AUTHORIZED' // no token stored yet for this account
  | 'NO_ACCOUNT' // a token node without a (deployed) Netatmo account
  | 'REAUTHORIZE' // Netatmo refused the stored refresh token or the app: log in again
  | 'INVALID_GRANT' // a code or refresh token was refused (exchange, pasted token)
  | 'INVALID_CLIENT' // wrong client id or secret
  | 'OAUTH_ERROR' // another OAuth error answered by Netatmo
  | 'NETWORK' // connection refused, reset, DNS...
  | 'TIMEOUT' // no answer in time
  | 'SERVER' // Netatmo answered 5xx
  | 'BAD_RESPONSE' // answer not JSON, truncated, or missing fields
  | 'RATE_LIMITED' // 429 or API error 26 (or 11), or our own rate budget exhausted within the wait allowed
  | 'SCOPE_MISSING' // API error 13: the login lacks a scope the endpoint needs
  | 'API_ERROR' // any other error answered by the API (`{error: {code, message}}`)
  | 'INVALID_INPUT' // bad input from the user or a message
  | 'CONFIG' // account not configured (client id/secret missing)
  | 'STORE' // the token file cannot be read or written
  | 'STORE_CORRUPT' // the token file is damaged (kept aside)
  | 'INTERNAL'; // a programming error (a TypeError...): a bug of this package, logged with its stack

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['NETWORK', 'TIMEOUT', 'SERVER', 'BAD_RESPONSE', 'RATE_LIMITED']);

export interface NetatmoErrorDetails {
  /** OAuth `error` field from Netatmo, e.g. `invalid_grant`. */
  oauthError?: string;
  /** HTTP status of the answer, if there was one. */
  status?: number;
  /** How long Netatmo asked us to wait (429), in ms. */
  retryAfterMs?: number;
  /** True when the request may have been processed by Netatmo although we got no usable answer. */
  uncertain?: boolean;
  /** The API's own error `{code, message}`: becomes `cause` (Node-RED copies it into `msg.error.cause`). */
  apiError?: ApiErrorBody;
  /** Which of its code's messages this is (`<code>-<reason>` in the catalogue), when a code has several. */
  reason?: string;
  /** The values the message names (file, host, seconds...), for its translation. Never a token or a secret. */
  params?: Record<string, string | number>;
}

/** Netatmo's API error, as it answered it (`{"error": {"code": 13, "message": ".."}}`). */
export interface ApiErrorBody {
  code: number;
  message: string;
}

export class NetatmoError extends Error {
  readonly code: ErrorCode;
  readonly oauthError?: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly uncertain: boolean;
  readonly reason?: string;
  readonly params?: Readonly<Record<string, string | number>>;

  declare readonly cause?: ApiErrorBody;

  constructor(code: ErrorCode, message: string, details: NetatmoErrorDetails = {}) {
    super(message, details.apiError ? { cause: details.apiError } : undefined);
    this.name = 'NetatmoError';
    this.code = code;
    this.uncertain = details.uncertain === true;
    // Each field is an own property (undefined when not given) since the class declares it: no test needed.
    this.oauthError = details.oauthError;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.reason = details.reason;
    this.params = details.params;
  }

  /** Worth trying again later with the same refresh token. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  toJSON(): { code: ErrorCode; message: string; oauthError?: string } {
    return { code: this.code, message: this.message, oauthError: this.oauthError };
  }
}

/**
 * Turns anything thrown into a NetatmoError without carrying foreign details (which may hold secrets).
 * An Error without a system code (a TypeError, a RangeError) is a bug of ours: INTERNAL, named by its
 * class only (its message may quote data); the caller logs the original, redacted. Anything else
 * (a system error such as EACCES, a thrown value) gets `fallback`.
 */
export function asNetatmoError(err: unknown, fallback: ErrorCode = 'STORE'): NetatmoError {
  if (err instanceof NetatmoError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const detail = code.slice(0, 40);
    return new NetatmoError(fallback, `Unexpected failure (${detail})`, { reason: 'unexpected-detail', params: { detail } });
  }
  if (err instanceof Error) {
    const name = safeName(err);
    return new NetatmoError('INTERNAL', `Internal error (${name})`, { params: { name } });
  }
  return new NetatmoError(fallback, 'Unexpected failure', { reason: 'unexpected' });
}

/** An error's class name when it looks like one (TypeError), else "Error". */
function safeName(err: Error): string {
  return /^[A-Z][A-Za-z]{0,40}$/.test(err.name) ? err.name : 'Error';
}

/**
 * The error with every text it carries passed through `scrub` (a Redactor's): the message, the OAuth
 * error, the params and the cause at any depth (Netatmo's `{code, message}`, or whatever a caller put
 * there). Built anew, so that the stack (which repeats the message) is clean too. Every error leaving
 * the core goes through it: Catch copies `cause` into `msg.error.cause`, the api node into
 * `msg.netatmo.error`, and a server may repeat a token there, URL-encoded or in part.
 */
export function scrubError(e: NetatmoError, scrub: (text: string) => string): NetatmoError {
  const params = e.params
    ? Object.fromEntries(Object.entries(e.params).map(([k, v]) => [k, typeof v === 'string' ? scrub(v) : v]))
    : undefined;
  const message = scrub(e.message);
  const oauthError = e.oauthError === undefined ? undefined : scrub(e.oauthError);
  const cause = scrubValue(e.cause, scrub, 0) as ApiErrorBody | undefined; // undefined stays undefined
  // Nothing to remove: the error itself (its class and identity may matter to the caller).
  if (message === e.message && oauthError === e.oauthError && same(params, e.params) && same(cause, e.cause)) return e;
  return new NetatmoError(e.code, message, {
    oauthError,
    status: e.status,
    retryAfterMs: e.retryAfterMs,
    uncertain: e.uncertain,
    apiError: cause,
    reason: e.reason,
    params,
  });
}

function scrubValue(v: unknown, scrub: (text: string) => string, depth: number): unknown {
  if (typeof v === 'string') return scrub(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= 8) return undefined; // deeper than any answer of Netatmo's: dropped, not copied unread
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, scrub, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = scrubValue(x, scrub, depth + 1);
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
