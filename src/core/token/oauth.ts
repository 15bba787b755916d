import axios, { AxiosInstance } from 'axios';
import { ErrorCode, NetatmoError, NetatmoErrorDetails } from '../shared/errors';
import { parseRetryAfter } from '../shared/retry-timing';

export const DEFAULT_API_BASE = 'https://api.netatmo.com';
export const DEFAULT_TIMEOUT_MS = 15_000;
export const MAX_ANSWER_BYTES = 64 * 1024;

/** A token pair as we keep it: expiry turned into an absolute time. */
export interface TokenSet {
  access_token: string;
  refresh_token: string;
  scope: string[];
  /** ms since epoch when the access token expires. */
  expires_at: number;
  /** ms since epoch when we received it. */
  obtained_at: number;
}

export interface OAuthClientOptions {
  clientId: string;
  clientSecret: string;
  apiBase?: string;
  timeoutMs?: number;
  clock?: () => number;
}

/** The raw answer of the token endpoint, before any interpretation. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

type TokenGrant =
  | { grant_type: 'authorization_code'; code: string; redirect_uri: string; scope: string }
  | { grant_type: 'refresh_token'; refresh_token: string };

/**
 * Netatmo's OAuth2 endpoints. Each call is split in two: `send` (build and send
 * the form, with a timeout) and `parseTokenResponse` (validate the answer).
 * Errors never carry the request (it holds the secret) nor the raw body.
 */
export class OAuthClient {
  readonly apiBase: string;
  readonly clientId: string;
  private readonly clientSecret: string;
  private readonly timeoutMs: number;
  private readonly clock: () => number;
  private readonly http: AxiosInstance;

  constructor(opts: OAuthClientOptions) {
    this.clientId = opts.clientId;
    this.clientSecret = opts.clientSecret;
    this.apiBase = (opts.apiBase || DEFAULT_API_BASE).replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.clock = opts.clock ?? Date.now;
    this.http = axios.create({
      timeout: this.timeoutMs,
      maxRedirects: 0,
      // Stryker disable next-line StringLiteral: equivalent, the identity transformResponse below also keeps the body a string
      responseType: 'text',
      // A token answer is a few hundred bytes: a wrong API base must not fill our memory.
      maxContentLength: MAX_ANSWER_BYTES,
      maxBodyLength: MAX_ANSWER_BYTES,
      // Stryker disable next-line ArrayDeclaration: equivalent, responseType 'text' above also keeps axios from parsing JSON
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
    });
    // The secret must not show in util.inspect(client) either.
    Object.defineProperty(this, 'clientSecret', { enumerable: false });
  }

  /** The URL the user's browser opens to log in and consent. The secret is never part of it. */
  authorizeUrl(p: { redirectUri: string; scope: string; state: string }): string {
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: p.redirectUri,
      scope: p.scope,
      state: p.state,
    });
    return `${this.apiBase}/oauth2/authorize?${q.toString().replace(/\+/g, '%20')}`;
  }

  /** Replaces the client secret in a text (a log line) by its first 4 characters. */
  redact(text: string): string {
    const secret = this.clientSecret;
    return secret.length >= 6 && text.includes(secret) ? text.split(secret).join(`${secret.slice(0, 4)}…`) : text;
  }

  exchangeCode(code: string, redirectUri: string, scope: string): Promise<TokenSet> {
    return this.token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, scope });
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  private async token(grant: TokenGrant): Promise<TokenSet> {
    const raw = await this.send(grant);
    return parseTokenResponse(raw, this.clock());
  }

  private async send(grant: TokenGrant): Promise<RawResponse> {
    const form = new URLSearchParams({ ...grant, client_id: this.clientId, client_secret: this.clientSecret });
    try {
      const res = await this.http.post<string>(`${this.apiBase}/oauth2/token`, form.toString(), {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8', Accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs + 1000),
      });
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(res.headers ?? {})) headers[k.toLowerCase()] = String(v);
      // Always text here (responseType and transformResponse above).
      return { status: res.status, headers, body: String(res.data) };
    } catch (err) {
      throw transportError(err, this.apiBase, this.timeoutMs);
    }
  }
}

/** Maps an axios/transport failure to a typed error. The original error is dropped: its config holds the form. */
export function transportError(err: unknown, apiBase: string, timeoutMs: number): NetatmoError {
  const code = String((err as { code?: unknown })?.code ?? '');
  const host = safeHost(apiBase);
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED' || code === 'ABORT_ERR') {
    const seconds = Math.round(timeoutMs / 1000);
    return new NetatmoError('TIMEOUT', `No answer from ${host} within ${seconds} s`, { uncertain: true, params: { host, seconds } });
  }
  // Stryker disable next-line StringLiteral: equivalent, no stand-in for a missing message names maxContentLength
  if (/maxContentLength/.test(String((err as { message?: unknown })?.message ?? ''))) {
    const kib = MAX_ANSWER_BYTES / 1024;
    return new NetatmoError('BAD_RESPONSE', `The answer of ${host} is larger than ${kib} KiB: is the API base URL right?`, {
      uncertain: true,
      reason: 'too-large',
      params: { host, kib },
    });
  }
  // A reset after the request was sent may hide a refresh that Netatmo did process.
  const uncertain = code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_BAD_RESPONSE' || code === '';
  const detail = code.slice(0, 40);
  return new NetatmoError('NETWORK', `Cannot reach ${host}${detail ? ` (${detail})` : ''}`, {
    uncertain,
    ...(detail ? { reason: 'detail', params: { host, detail } } : { params: { host } }),
  });
}

function safeHost(apiBase: string): string {
  try {
    return new URL(apiBase).host;
  } catch {
    return 'the Netatmo server';
  }
}

const OAUTH_ERROR_NAMES: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
]);

const OAUTH_CODES: Record<string, ErrorCode> = {
  invalid_grant: 'INVALID_GRANT',
  invalid_client: 'INVALID_CLIENT',
};

const OAUTH_MESSAGES: Record<string, string> = {
  invalid_grant:
    'Netatmo refused the code or refresh token (invalid_grant): it was already used, has expired, or the redirect URI does not match the app',
  invalid_client: 'Netatmo refused the client id or secret (invalid_client): check them against your app at dev.netatmo.com',
};

/** Validates a token endpoint answer into a TokenSet, or throws a typed error. */
export function parseTokenResponse(res: RawResponse, now: number): TokenSet {
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    // not JSON: json stays undefined
  }
  const body = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  // The API's `{error: {code}}`; a string, number or null there has no code.
  const apiCode = (body.error as { code?: unknown } | null | undefined)?.code;

  if (res.status === 429 || apiCode === 26) {
    return fail('RATE_LIMITED', 'Netatmo asks us to slow down (rate limit)', res, {
      retryAfterMs: parseRetryAfter(res.headers['retry-after'], now),
    });
  }
  if (res.status >= 500)
    return fail('SERVER', `Netatmo answered HTTP ${res.status}; will try again`, res, { params: { status: res.status } });
  if (typeof body.error === 'string') {
    // Only the error names of RFC 6749 (and Netatmo's access_denied) are repeated: a server echoing
    // a token or the client secret there must not leak it through our messages.
    const oauthError = OAUTH_ERROR_NAMES.has(body.error) ? body.error : 'unknown_error';
    const code = OAUTH_CODES[oauthError] ?? 'OAUTH_ERROR';
    const message = OAUTH_MESSAGES[oauthError] ?? `Netatmo refused the request (${oauthError})`;
    return fail(code, message, res, { oauthError, params: { error: oauthError } });
  }
  if (json === undefined) {
    return fail('BAD_RESPONSE', `Netatmo's answer (HTTP ${res.status}) was not JSON or was cut short`, res, {
      uncertain: true,
      reason: 'not-json',
      params: { status: res.status },
    });
  }
  if (res.status !== 200)
    return fail('OAUTH_ERROR', `Netatmo answered HTTP ${res.status}`, res, { reason: 'http', params: { status: res.status } });

  const { access_token, refresh_token } = body;
  const expiresIn = Number(body.expires_in ?? body.expire_in);
  if (typeof access_token !== 'string' || access_token === '' || typeof refresh_token !== 'string' || refresh_token === '') {
    return fail('BAD_RESPONSE', "Netatmo's answer has no access or refresh token", res, { uncertain: true, reason: 'no-token' });
  }
  if (!Number.isFinite(expiresIn) || expiresIn <= 0) {
    return fail('BAD_RESPONSE', "Netatmo's answer has no valid expires_in", res, { uncertain: true, reason: 'no-expiry' });
  }
  const scope = Array.isArray(body.scope)
    ? body.scope.filter((s): s is string => typeof s === 'string')
    : typeof body.scope === 'string'
      ? body.scope.split(/[\s,]/).filter(Boolean)
      : [];
  return { access_token, refresh_token, scope, expires_at: now + expiresIn * 1000, obtained_at: now };
}

function fail(code: ErrorCode, message: string, res: RawResponse, extra: Omit<NetatmoErrorDetails, 'status'> = {}): never {
  throw new NetatmoError(code, message, { status: res.status, ...extra });
}
