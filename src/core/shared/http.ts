import axios, { AxiosInstance, AxiosRequestConfig } from 'axios';
import { NetatmoError } from './errors';
import { parseRetryAfter } from './retry-timing';

/**
 * The HTTP plumbing both Netatmo clients share (the OAuth client in token/oauth.ts, the API client in
 * api/client.ts): one axios set-up, one way to send and fold the answer's headers, one sorting of
 * transport failures and of the answers that mean "later" (429, 5xx), and the one place that knows
 * Netatmo's rate-limit codes. What an answer means beyond that is each client's own story.
 */

export const DEFAULT_API_BASE = 'https://api.netatmo.com';
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Netatmo's API error code for a spent quota (the user's or the app's): 429, and 403 in older answers. */
export const RATE_LIMIT_CODE = 26;
/** Netatmo's firewall ("Failed to enter concurrency limited section", 429): not the user's quota. */
export const CONCURRENCY_LIMIT_CODE = 11;

/** An answer as read, before any interpretation: header names in lower case. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

export interface HttpTarget {
  apiBase: string;
  timeoutMs: number;
  /** The answer size the client reads at most (named in the message of a larger one). */
  maxAnswerBytes: number;
}

/**
 * An axios instance that never follows a redirect, never throws on a status (the caller sorts it) and
 * never parses: `text` answers are capped by axios at `maxAnswerBytes`; `stream` answers are read (and
 * capped) by the caller.
 */
export function createHttpClient(target: HttpTarget, responseType: 'text' | 'stream'): AxiosInstance {
  return axios.create({
    timeout: target.timeoutMs,
    maxRedirects: 0,
    responseType,
    ...(responseType === 'text' ? { maxContentLength: target.maxAnswerBytes, maxBodyLength: target.maxAnswerBytes } : {}),
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
  });
}

/**
 * Sends one request and reads its answer with `readBody`. A transport failure becomes a typed error
 * that holds no request detail (the request may hold the client secret or a token); a NetatmoError
 * thrown by `readBody` goes through as it is.
 */
export async function sendRequest<T>(
  http: AxiosInstance,
  target: HttpTarget,
  config: AxiosRequestConfig,
  readBody: (data: T) => string | Promise<string>,
): Promise<RawResponse> {
  try {
    const res = await http.request<T>({ ...config, signal: AbortSignal.timeout(target.timeoutMs + 1000) });
    return { status: res.status, headers: foldHeaders(res.headers), body: await readBody(res.data) };
  } catch (err) {
    if (err instanceof NetatmoError) throw err;
    throw transportError(err, target);
  }
}

/** Header names in lower case, values as text. */
export function foldHeaders(headers: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v == null ? undefined : String(v);
  return out;
}

/** Maps an axios/transport failure to a typed error. The original error is dropped: its config holds the request. */
export function transportError(err: unknown, target: HttpTarget): NetatmoError {
  const code = String((err as { code?: unknown })?.code ?? '');
  const host = safeHost(target.apiBase);
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED' || code === 'ABORT_ERR') {
    const seconds = Math.round(target.timeoutMs / 1000);
    return new NetatmoError('TIMEOUT', `No answer from ${host} within ${seconds} s`, { uncertain: true, params: { host, seconds } });
  }
  if (/maxContentLength/.test(String((err as { message?: unknown })?.message))) {
    const kib = target.maxAnswerBytes / 1024;
    return new NetatmoError('BAD_RESPONSE', `The answer of ${host} is larger than ${kib} KiB: is the API base URL right?`, {
      uncertain: true,
      reason: 'too-large',
      params: { host, kib },
    });
  }
  // A reset after the request was sent may hide a request that Netatmo did process.
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

/** An answer that means "try later": a rate limit (with the wait Netatmo asked for, if any) or a server failure. */
export type LaterAnswer = { code: 'RATE_LIMITED'; retryAfterMs: number | undefined } | { code: 'SERVER' };

/**
 * Sorts the answers both endpoints give when Netatmo wants us back later: any 429 or code 26 (quota,
 * 429 now, 403 in older answers; code 11, Netatmo's firewall, comes with 429) is a rate limit, a 5xx
 * a server failure. Code 11 with another status is not one ("device.setThermPoint is not a function
 * (11)" came as 500). `now` dates a Retry-After given as an HTTP date. Undefined: the caller reads on.
 */
export function laterAnswer(res: RawResponse, apiCode: unknown, now: number): LaterAnswer | undefined {
  if (res.status === 429 || apiCode === RATE_LIMIT_CODE) {
    return { code: 'RATE_LIMITED', retryAfterMs: parseRetryAfter(res.headers['retry-after'], now) };
  }
  return res.status >= 500 ? { code: 'SERVER' } : undefined;
}

/** Netatmo's firewall, not the user's quota: tried again a few seconds later, without pausing the account. */
export function isConcurrencyLimit(e: NetatmoError): boolean {
  return e.code === 'RATE_LIMITED' && e.status === 429 && e.cause?.code === CONCURRENCY_LIMIT_CODE;
}
