import { ApiErrorBody, NetatmoError } from '../shared/errors';
import type { ApiAnswer, ApiCall } from './call';
import { RawResponse, laterAnswer } from '../shared/http';

// Netatmo's firewall (code 11) is known in the HTTP plumbing; still importable from here.
export { isConcurrencyLimit } from '../shared/http';

/**
 * The second half of an API call (as oauth4webapi splits its operations): Netatmo's answer turned into
 * a result or a typed error that carries Netatmo's own `{code, message}`. Pure: no request, no timer.
 * Mappings follow what Netatmo sends as recorded by pyatmo and Home Assistant's users (see the README).
 */

/**
 * A plain object of any realm: a function node's sandbox has its own `Object.prototype`, and
 * `Object.create(null)` has none. Arrays, Buffers, dates, maps and class instances are not.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  // null is no object either: its tag is [object Null].
  if (typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) return false;
  if (Object.prototype.toString.call(v) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(v);
  // Object.prototype of this realm or another: its own prototype is null.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** 403 with API code 2 (invalid) or 3 (expired): the access token is dead although our clock said otherwise. */
export function isTokenRefused(e: NetatmoError): boolean {
  return e.code === 'API_ERROR' && (e.cause?.code === 2 || e.cause?.code === 3);
}

/**
 * Turns an API answer into a result, or throws a typed error carrying Netatmo's own `{code, message}`.
 * `now` (the client's clock) dates a Retry-After given as an HTTP date; `granted` (the login's scopes)
 * tells a missing scope (SCOPE_MISSING) from Netatmo's other refusals with code 13 (API_ERROR).
 */
export function parseApiResponse(
  res: RawResponse,
  call: ApiCall,
  accessToken?: string,
  now = Date.now(),
  granted?: readonly string[],
): ApiAnswer {
  let json: unknown = undefined;
  try {
    json = JSON.parse(res.body); // pretty-printed answers with CRLF parse as any other
  } catch {
    // not JSON, or cut short: json stays undefined
  }
  const answer = isPlainObject(json) ? json : undefined;
  const apiError = readApiError(answer?.error, accessToken);
  const status = res.status;

  const later = laterAnswer(res, apiError?.code, now);
  if (later?.code === 'RATE_LIMITED') throw rateLimited(status, later.retryAfterMs, apiError);
  if (later?.code === 'SERVER') {
    throw new NetatmoError('SERVER', `Netatmo answered HTTP ${status} to ${call.endpoint}`, {
      status,
      apiError,
      reason: 'api',
      params: { status, endpoint: call.endpoint },
    });
  }
  // Code 13 also answers refusals of a login that holds the scope ("Couldn't apply setpoint (13)"):
  // a missing scope only when the login lacks every scope the endpoint takes.
  const needed = call.scopes;
  if (apiError?.code === 13 && granted && needed.length && !needed.some((s) => granted.includes(s))) {
    const scopes = needed.join(', ');
    throw new NetatmoError(
      'SCOPE_MISSING',
      `The account lacks the scope ${call.endpoint} needs (one of: ${scopes}): add it to the account, deploy, and authorize again`,
      { status, apiError, reason: 'scopes', params: { endpoint: call.endpoint, scopes } },
    );
  }
  if (apiError) {
    throw new NetatmoError('API_ERROR', `Netatmo refused ${call.endpoint} (HTTP ${status}, code ${apiError.code}: ${apiError.message})`, {
      status,
      apiError,
      reason: 'refused',
      params: { endpoint: call.endpoint, status, code: apiError.code, message: apiError.message },
    });
  }
  if (json === undefined) {
    throw new NetatmoError('BAD_RESPONSE', `Netatmo's answer to ${call.endpoint} (HTTP ${status}) was not JSON or was cut short`, {
      status,
      uncertain: true,
      reason: 'api-not-json',
      params: { endpoint: call.endpoint, status },
    });
  }
  if (status !== 200) {
    throw new NetatmoError('API_ERROR', `Netatmo answered HTTP ${status} to ${call.endpoint}`, {
      status,
      reason: 'http',
      params: { status, endpoint: call.endpoint },
    });
  }
  const body = answer && 'body' in answer ? answer.body : undefined;
  const errors = isPlainObject(body) && Array.isArray(body.errors) ? body.errors : [];
  return {
    statusCode: status,
    payload: body !== undefined ? body : json,
    status: typeof answer?.status === 'string' ? answer.status : undefined,
    time_server: typeof answer?.time_server === 'number' ? answer.time_server : undefined,
    ...(typeof answer?.time_exec === 'number' ? { time_exec: answer.time_exec } : {}),
    errors,
  };
}

/** Code 26 (the user's or the app's quota), code 11 (Netatmo's firewall) or any other 429: see laterAnswer. */
function rateLimited(status: number, retryAfterMs: number | undefined, apiError: ApiErrorBody | undefined): NetatmoError {
  const said = apiError ? `, code ${apiError.code}${apiError.message ? `: ${apiError.message}` : ''}` : '';
  return new NetatmoError('RATE_LIMITED', `Netatmo asks this account to slow down (HTTP ${status}${said})`, {
    status,
    retryAfterMs,
    apiError,
    ...(apiError
      ? { reason: 'api-code', params: { status, code: apiError.code, message: apiError.message } }
      : { reason: 'api-http', params: { status } }),
  });
}

/** Netatmo's `{code, message}`, with a message cut short, printable, and free of the token sent. */
function readApiError(value: unknown, accessToken: string | undefined): ApiErrorBody | undefined {
  if (!isPlainObject(value)) return undefined;
  const code = Number(value.code);
  if (!Number.isInteger(code)) return undefined;
  let message = typeof value.message === 'string' ? value.message : '';
  if (accessToken && accessToken.length >= 6) message = message.split(accessToken).join('…');
  message = message.replace(/[^\x20-\x7e\u00a0-\uffff]/g, ' ').slice(0, 200);
  return { code, message };
}
