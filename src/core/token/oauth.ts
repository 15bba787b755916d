import type { AxiosInstance } from 'axios';
import { ErrorCode, NetatmoError, NetatmoErrorDetails } from '../shared/errors';
import { DEFAULT_API_BASE, DEFAULT_TIMEOUT_MS, HttpTarget, RawResponse, createHttpClient, laterAnswer, sendRequest } from '../shared/http';

// Where they were first defined: still importable from here.
export { DEFAULT_API_BASE, DEFAULT_TIMEOUT_MS, type RawResponse } from '../shared/http';

/** A token answer is a few hundred bytes: a wrong API base must not fill our memory. */
export const MAX_TOKEN_ANSWER_BYTES = 64 * 1024;

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
  private readonly target: HttpTarget;
  private readonly clock: () => number;
  private readonly http: AxiosInstance;

  constructor(opts: OAuthClientOptions) {
    this.clientId = opts.clientId;
    this.clientSecret = opts.clientSecret;
    this.apiBase = (opts.apiBase || DEFAULT_API_BASE).replace(/\/+$/, '');
    this.target = { apiBase: this.apiBase, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxAnswerBytes: MAX_TOKEN_ANSWER_BYTES };
    this.clock = opts.clock ?? Date.now;
    this.http = createHttpClient(this.target, 'text');
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

  private send(grant: TokenGrant): Promise<RawResponse> {
    const form = new URLSearchParams({ ...grant, client_id: this.clientId, client_secret: this.clientSecret });
    const config = {
      url: `${this.apiBase}/oauth2/token`,
      method: 'POST',
      data: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8', Accept: 'application/json' },
    };
    return sendRequest<unknown>(this.http, this.target, config, (data) => (typeof data === 'string' ? data : ''));
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

  const later = laterAnswer(res, apiCode, now);
  if (later?.code === 'RATE_LIMITED') {
    return fail('RATE_LIMITED', 'Netatmo asks us to slow down (rate limit)', res, { retryAfterMs: later.retryAfterMs });
  }
  if (later?.code === 'SERVER')
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
