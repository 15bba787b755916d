import type { AxiosInstance } from 'axios';
import { Encoding, HttpMethod, findEndpoint } from './catalogue';
import { isPlainObject, isTokenRefused, parseApiResponse } from './answer';
import { NetatmoError, asNetatmoError } from '../shared/errors';
import {
  DEFAULT_API_BASE,
  DEFAULT_TIMEOUT_MS,
  HttpTarget,
  RawResponse,
  createHttpClient,
  isConcurrencyLimit,
  sendRequest,
} from '../shared/http';
import { DEFAULT_RETRY_TIMING, RetryTiming, retryDelayMs } from '../shared/retry-timing';
import { Timers, realTimers, sleep } from '../shared/timing';
import type { TokenSet } from '../token/oauth';
import type { RateBudget } from './rate-budget';
import type { ApiAnswer, ApiCall } from './call';

// The answer's half lives in answer.ts, the call's two ends in call.ts; these stay importable from here.
export type { ApiAnswer, ApiCall } from './call';
export { isConcurrencyLimit, isPlainObject, isTokenRefused, parseApiResponse } from './answer';

/**
 * One call to Netatmo's device API, in three steps: `prepareCall` checks and encodes what a message
 * asks for (before any request), `ApiClient.send` sends it with a bearer token, `parseApiResponse` (answer.ts) turns
 * the answer into a result or a typed error. `ApiClient.call` runs the story around them: a token, a turn
 * in the account's rate budget, and the few retries that are safe.
 */

export type MethodSetting = 'auto' | 'GET' | 'POST';

/** At most this many parameters, this long a name, this big an encoded request. */
const MAX_PARAMS = 64;
const MAX_REQUEST_BYTES = 256 * 1024;
/** The biggest API answer read (a long getmeasure); beyond it the call fails with BAD_RESPONSE. */
export const MAX_API_ANSWER_BYTES = 16 * 1024 * 1024;
/**
 * The bytes of API answers being read, all calls of this process together: 20 answers of 15 MB at
 * once took a runtime from 146 MB to 1.4 GB (a hostile or broken API base; a Raspberry Pi dies of it).
 * A call that would pass it fails as BAD_RESPONSE (a read is tried again later).
 */
export const MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;
let inFlightBytes = 0;
/** Bytes of answers being read right now (tests). */
export const answerBytesInFlight = (): number => inFlightBytes;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const API_PATH = /^\/api\/[A-Za-z0-9_-]{1,64}(\/[A-Za-z0-9_-]{1,64}){0,3}$/;

/** A bad message: `reason` picks its text in the catalogue (`INVALID_INPUT-<reason>`), `params` fill it. */
function invalid(message: string, reason: string, params?: Record<string, string | number>): NetatmoError {
  return new NetatmoError('INVALID_INPUT', message, { reason, params });
}

/**
 * The parameters a message carries in `msg.payload`: an object (of any realm), a text holding a JSON
 * object, or nothing (undefined, null, empty text, the inject node's timestamp is not nothing).
 * Anything else is refused: a message is never sent without the parameters its author meant.
 */
export function payloadParams(payload: unknown): Record<string, unknown> | undefined {
  if (payload === undefined || payload === null) return undefined;
  if (isPlainObject(payload)) return payload;
  if (typeof payload === 'string') {
    if (payload.trim() === '') return undefined;
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(payload);
    } catch {
      // not JSON: refused below as a text
    }
    if (isPlainObject(parsed)) return parsed;
  }
  const kind = Array.isArray(payload) ? 'array' : typeof payload === 'string' ? 'text' : typeof payload;
  throw invalid(`msg.payload must be an object of parameters, such as {"home_id": "..."} (got ${kind})`, 'payload-not-object', { kind });
}

/**
 * What a message asks for, checked and ready to send: the endpoint (a catalogue name or an `/api/..`
 * path), the method (the catalogue's unless forced), the parameters (fixed ones, then the message's).
 * Throws INVALID_INPUT, so a bad message costs no request and no budget.
 */
/** Names that are no parameter but the plumbing of every JavaScript object. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function prepareCall(endpoint: unknown, method: MethodSetting, ...paramSets: unknown[]): ApiCall {
  if (typeof endpoint !== 'string' || endpoint.trim() === '') {
    throw invalid('No endpoint: pick one in the node, or set msg.endpoint (e.g. "homestatus")', 'no-endpoint');
  }
  const name = endpoint.trim();
  const spec = findEndpoint(name);
  if (!spec && !API_PATH.test(name)) {
    const shown = name.slice(0, 64);
    throw invalid(`Unknown endpoint "${shown}": use a name such as homestatus, or a path such as /api/homestatus`, 'unknown-endpoint', {
      endpoint: shown,
    });
  }
  const params: Record<string, unknown> = {};
  for (const set of paramSets) {
    if (set === undefined || set === null || set === '') continue;
    if (!isPlainObject(set)) throw invalid('Parameters must be an object, such as {"home_id": "..."}', 'params-not-object');
    // JSON.parse makes `__proto__` an own key: copied, it would become the prototype of the parameters,
    // whose keys then pass the required-parameter check without being sent.
    for (const k of Object.keys(set)) if (RESERVED_KEYS.has(k)) throw invalid(`"${k}" is not a parameter name`, 'param-name', { name: k });
    Object.assign(params, set);
  }
  const keys = Object.keys(params);
  if (keys.length > MAX_PARAMS)
    throw invalid(`Too many parameters (${keys.length}, at most ${MAX_PARAMS})`, 'too-many-params', {
      count: keys.length,
      max: MAX_PARAMS,
    });
  for (const k of keys) {
    if (!PARAM_NAME.test(k)) throw invalid(`"${k.slice(0, 64)}" is not a parameter name`, 'param-name', { name: k.slice(0, 64) });
    if (k.toLowerCase() === 'access_token')
      throw invalid('access_token is not a parameter: the token comes from the account', 'access-token-param');
  }

  const chosen: HttpMethod = method === 'GET' || method === 'POST' ? method : (spec?.method ?? 'GET');
  let encoding: Encoding = chosen === 'GET' ? 'query' : 'form';
  if (spec?.encoding === 'json') {
    if (chosen === 'GET') throw invalid(`${spec.name} takes a JSON body: use method POST (or auto)`, 'json-body', { endpoint: spec.name });
    encoding = 'json';
  }
  if (spec) {
    const missing = spec.required.filter(
      (k) => !Object.hasOwn(params, k) || params[k] === undefined || params[k] === null || params[k] === '',
    );
    if (missing.length) {
      throw invalid(`${spec.name} needs ${missing.join(', ')}`, 'param-required', { endpoint: spec.name, missing: missing.join(', ') });
    }
    for (const [k, allowed] of Object.entries(spec.values ?? {})) {
      // Stryker disable next-line ConditionalExpression: every parameter with values is required too (checked above); kept for one that is not
      if (params[k] === undefined) continue;
      if (!allowed.includes(String(params[k]))) {
        throw invalid(`${spec.name}: ${k} must be one of ${allowed.join(', ')}`, 'param-value', {
          endpoint: spec.name,
          name: k,
          values: allowed.join(', '),
        });
      }
    }
  }
  if (encoding !== 'json') {
    for (const [k, v] of Object.entries(params)) params[k] = flat(k, v);
  }
  const call: ApiCall = {
    endpoint: spec?.name ?? name,
    path: spec ? `/api/${spec.name}` : name,
    method: chosen,
    encoding,
    params,
    scopes: spec?.scopes ?? [],
    write: spec ? spec.write : chosen === 'POST',
  };
  if (Buffer.byteLength(encode(call)) > MAX_REQUEST_BYTES) {
    const kb = MAX_REQUEST_BYTES / 1024;
    throw invalid(`The parameters are too big (more than ${kb} KB)`, 'too-big', { kb });
  }
  return call;
}

/** A query or form value: text, number, boolean, or a list of them (sent comma separated, as Netatmo wants). */
function flat(key: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (Number.isFinite(v)) return String(v); // a number, and not NaN nor Infinity
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || Number.isFinite(x))) return v.join(',');
  throw invalid(`Parameter ${key} must be a text, a number, a boolean or a list of them`, 'param-type', { name: key });
}

/** The request body (form or JSON), or the query string for GET ('' without parameters). */
function encode(call: ApiCall): string {
  if (call.encoding === 'json') return JSON.stringify(call.params);
  return new URLSearchParams(call.params as Record<string, string>).toString();
}

export interface ApiClientOptions {
  apiBase?: string;
  timeoutMs?: number;
  clock?: () => number;
  /** First delay before trying a failed read again; doubles each time. Default 1 s. */
  retryBaseMs?: number;
  /** Delay (0.5 to 1.5 times, jitter) before sending again a call Netatmo's firewall refused (429 code 11). Default 3 x retryBaseMs. */
  concurrencyRetryMs?: number;
  /** The timers the retries wait on. Default: the global ones. */
  timers?: Timers;
  /** Caps of the answers read (tests pass small ones). Default MAX_API_ANSWER_BYTES and MAX_IN_FLIGHT_BYTES. */
  answerCaps?: AnswerCaps;
}

/** The biggest answer read, and the bytes of answers all calls of this process may be reading at once. */
export interface AnswerCaps {
  answerBytes: number;
  inFlightBytes: number;
}

/** What a call needs from its account. `rejectAccessToken` drops a token the API refused (once). */
export interface TokenSource {
  fresh(): TokenSet | undefined;
  getToken(opts?: { maxWaitMs?: number }): Promise<TokenSet>;
  rejectAccessToken(accessToken: string): unknown;
  /** The API accepted this token: a refusal episode (see rejectAccessToken) is over. */
  acceptAccessToken?(accessToken: string): unknown;
}

export interface CallContext {
  tokens: TokenSource;
  /** The budget of the Netatmo user the token belongs to (one per user, however many accounts log in as them). */
  budget: RateBudget | ((accessToken: string) => RateBudget);
  /** How long this message may wait in all (token, budget, retries). */
  maxWaitMs: number;
  /** Called when the message starts waiting for its turn in the budget... */
  onWait?: () => void;
  /** ...and when that wait is over (its turn came, or it gave up). */
  onWaitEnd?: () => void;
  /** Aborted when the node closes: waits end at once. */
  signal?: AbortSignal;
}

export class ApiClient {
  readonly apiBase: string;
  private readonly target: HttpTarget;
  private readonly clock: () => number;
  /** Retries of a read: the message's deadline is their only cap. */
  private readonly retryTiming: RetryTiming;
  private readonly concurrencyRetryMs: number;
  private readonly timers: Timers;
  private readonly http: AxiosInstance;
  readonly caps: AnswerCaps;

  constructor(opts: ApiClientOptions = {}) {
    this.apiBase = (opts.apiBase || DEFAULT_API_BASE).replace(/\/+$/, '');
    this.target = { apiBase: this.apiBase, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxAnswerBytes: MAX_API_ANSWER_BYTES };
    this.clock = opts.clock ?? Date.now;
    const baseMs = opts.retryBaseMs ?? 1_000;
    this.retryTiming = { ...DEFAULT_RETRY_TIMING, baseMs, maxMs: Number.POSITIVE_INFINITY };
    this.concurrencyRetryMs = opts.concurrencyRetryMs ?? 3 * baseMs;
    this.timers = opts.timers ?? realTimers;
    this.caps = opts.answerCaps ?? { answerBytes: MAX_API_ANSWER_BYTES, inFlightBytes: MAX_IN_FLIGHT_BYTES };
    // Answers are streams, read by readAnswer within MAX_API_ANSWER_BYTES and MAX_IN_FLIGHT_BYTES.
    this.http = createHttpClient(this.target, 'stream');
  }

  /**
   * The whole story of one message: a token, a turn in the budget, the request, the answer.
   * - Netatmo refuses the token (code 2 or 3) although our clock says it is valid: the account drops
   *   it, and the call is sent once more with the token of the one refresh every caller shares.
   * - Code 26 (429 or 403): the user's whole budget pauses as long as Netatmo asks; the call waits its
   *   turn again (it was not processed, so even a device change is safe to resend).
   * - Code 11 with 429 (Netatmo's firewall, not the user's quota): sent again a few seconds later, with
   *   jitter (or after Retry-After), without pausing anyone.
   * - A transient failure of a read (5xx, reset, timeout, not JSON): tried again with backoff.
   *   A device change is never sent twice: its error says it may have been applied.
   * Every wait stays within `maxWaitMs`; beyond it the message fails with the last error.
   */
  async call(call: ApiCall, ctx: CallContext): Promise<ApiAnswer> {
    const deadline = this.clock() + Math.max(0, ctx.maxWaitMs);
    const left = (): number => Math.max(0, deadline - this.clock());
    let refused = false;
    let failures = 0;
    for (;;) {
      const token = ctx.tokens.fresh() ?? (await tokenOf(ctx.tokens, left()));
      const budget = typeof ctx.budget === 'function' ? ctx.budget(token.access_token) : ctx.budget;
      const release = await this.turn(budget, left(), ctx);
      try {
        const res = await this.send(call, token.access_token).finally(release);
        const answer = parseApiResponse(res, call, token.access_token, this.clock(), token.scope);
        ctx.tokens.acceptAccessToken?.(token.access_token);
        return answer;
      } catch (err) {
        // Stryker disable next-line StringLiteral: sendRequest and parseApiResponse throw typed errors only; no system error reaches this fallback
        const e = asNetatmoError(err, 'NETWORK');
        if (isTokenRefused(e)) {
          ctx.tokens.rejectAccessToken(token.access_token); // refused again: the account learns it too
          if (!refused) {
            refused = true;
            continue;
          }
          throw e;
        }
        if (isConcurrencyLimit(e)) {
          const delay = e.retryAfterMs ?? Math.round(this.concurrencyRetryMs * (0.5 + Math.random()));
          if (delay < left()) {
            await sleep(delay, { timers: this.timers, signal: ctx.signal });
            continue;
          }
          throw e;
        }
        if (e.code === 'RATE_LIMITED') {
          budget.pause(e.retryAfterMs);
          if (budget.pausedFor() <= left()) continue;
          throw e;
        }
        if (e.retryable && !call.write) {
          const delay = retryDelayMs({ failures: ++failures, rateLimited: false }, this.retryTiming);
          if (delay < left()) {
            await sleep(delay, { timers: this.timers, signal: ctx.signal });
            continue;
          }
        }
        if (call.write && e.uncertain) throw notSentAgain(e, call);
        throw e;
      }
    }
  }

  /** A turn in the budget, telling the caller when the message starts and stops waiting for it. */
  private async turn(budget: RateBudget, maxWaitMs: number, ctx: CallContext): Promise<() => void> {
    let waited = false;
    const onWait = (): void => {
      waited = true;
      ctx.onWait?.();
    };
    try {
      return await budget.acquire(maxWaitMs, { signal: ctx.signal, onWait });
    } finally {
      if (waited) ctx.onWaitEnd?.();
    }
  }

  /** Builds and sends one request. Transport failures become typed errors that hold no request detail. */
  async send(call: ApiCall, accessToken: string): Promise<RawResponse> {
    const data = encode(call);
    const headers: Record<string, string> = { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' };
    let url = `${this.apiBase}${call.path}`;
    if (call.encoding === 'query') {
      // Stryker disable next-line ConditionalExpression: axios drops an empty query ("?") from the URL it sends
      if (data) url += `?${data}`;
    } else {
      headers['Content-Type'] =
        call.encoding === 'json' ? 'application/json;charset=utf-8' : 'application/x-www-form-urlencoded;charset=UTF-8';
    }
    const config = { url, method: call.method, headers, data: call.encoding === 'query' ? undefined : data };
    return sendRequest<NodeJS.ReadableStream>(this.http, this.target, config, (stream) => readAnswer(stream, call.endpoint, this.caps));
  }
}

/**
 * A failure of the account (REAUTHORIZE, a refused refresh...): its HTTP status is the token endpoint's,
 * which a flow branching on `msg.statusCode` after an API call would misread. Kept without it.
 */
async function tokenOf(tokens: TokenSource, maxWaitMs: number): Promise<TokenSet> {
  try {
    return await tokens.getToken({ maxWaitMs });
  } catch (err) {
    throw fromAccount(err);
  }
}

function fromAccount(err: unknown): NetatmoError {
  const e = asNetatmoError(err, 'NETWORK');
  if (e.status === undefined) return e;
  return new NetatmoError(e.code, e.message, {
    oauthError: e.oauthError,
    retryAfterMs: e.retryAfterMs,
    uncertain: e.uncertain,
    reason: e.reason,
    params: e.params,
  });
}

/** An answer's body as text, counted against its own cap and against the bytes all answers hold together. */
async function readAnswer(stream: NodeJS.ReadableStream, endpoint: string, caps: AnswerCaps): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += b.length;
      inFlightBytes += b.length;
      if (size > caps.answerBytes) {
        const mb = caps.answerBytes / 1048576;
        throw new NetatmoError('BAD_RESPONSE', `Netatmo's answer to ${endpoint} is larger than ${mb} MB`, {
          reason: 'api-too-large',
          params: { endpoint, mb },
        });
      }
      if (inFlightBytes > caps.inFlightBytes) {
        const mb = caps.inFlightBytes / 1048576;
        throw new NetatmoError('BAD_RESPONSE', `The answers being read together would exceed ${mb} MB; ${endpoint} is left for later`, {
          reason: 'api-in-flight',
          params: { endpoint, mb },
        });
      }
      chunks.push(b);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    inFlightBytes -= size;
    (stream as { destroy?: () => void }).destroy?.();
  }
}

/**
 * The catalogue has one text per uncertain failure (its own, then "not sent again"): the inner text cannot
 * be translated apart here, in the core. An uncertain failure without such a text keeps this English message.
 */
function notSentAgain(e: NetatmoError, call: ApiCall): NetatmoError {
  return new NetatmoError(e.code, `${e.message}; not sent again: Netatmo may have applied ${call.endpoint}`, {
    status: e.status,
    uncertain: true,
    reason: e.reason ? `${e.reason}-not-sent-again` : 'not-sent-again',
    params: { ...e.params, endpoint: call.endpoint },
  });
}
