import { EventEmitter } from 'node:events';
import { NetatmoError, asNetatmoError } from '../shared/errors';
import { DEFAULT_RETRY_TIMING, RetryTiming, retryDelayMs } from '../shared/retry-timing';
import { Timers, realTimers } from '../shared/timing';

/**
 * The account's webhook at Netatmo: `addwebhook` with the public URL once the account has a login,
 * `dropwebhook` (app_types=app_security, as pyatmo sends it) when the URL is cleared or the account deleted.
 * A 429 or a transient failure is tried again with backoff, a bounded number of times: never a loop.
 * Netatmo then sends `webhook_activation`; the first event received makes the webhook `active`.
 */

export type WebhookStatus = 'off' | 'registering' | 'registered' | 'active' | 'failed';

export interface WebhookState {
  status: WebhookStatus;
  url?: string;
  registered_at?: number;
  last_event_at?: number;
  retry_at?: number;
  /** Registered for a long time and no event came: the URL may not reach us, or Netatmo banned the webhook. */
  quiet?: boolean;
  error?: { code: string; message: string; api_code?: number };
}

export interface RegistrationOptions {
  /** Sends one API call (through the account's token and rate budget). */
  call: (endpoint: 'addwebhook' | 'dropwebhook', params: Record<string, string>) => Promise<unknown>;
  timing?: RetryTiming;
  /** Tries of addwebhook before `failed` (the first included). Default 6. */
  maxAttempts?: number;
  /** After this long registered without any event, `quiet` (default 1 h). */
  quietMs?: number;
  now?: () => number;
  random?: () => number;
  /** The timers the next attempt waits on (default: the global ones), as every wait of the core. */
  timers?: Timers;
}

/** Failures worth another try: Netatmo busy, slow or out of reach. A refused URL (code 21) is not. */
const RETRYABLE = new Set(['RATE_LIMITED', 'SERVER', 'NETWORK', 'TIMEOUT', 'BAD_RESPONSE']);

export class WebhookRegistration extends EventEmitter {
  #state: WebhookState = { status: 'off' };
  #timer: unknown;
  #attempts = 0;
  #generation = 0;
  readonly #o: Required<Omit<RegistrationOptions, 'call'>> & Pick<RegistrationOptions, 'call'>;

  constructor(options: RegistrationOptions) {
    super();
    this.#o = {
      timing: DEFAULT_RETRY_TIMING,
      maxAttempts: 6,
      quietMs: 60 * 60_000,
      now: Date.now,
      random: Math.random,
      timers: realTimers,
      ...options,
    };
  }

  get state(): WebhookState {
    const s = { ...this.#state };
    // Never registered (no registered_at): never quiet, however much time passed.
    if (s.status === 'registered' && this.#o.now() - (s.registered_at ?? Infinity) >= this.#o.quietMs) s.quiet = true;
    return s;
  }

  #set(next: WebhookState): void {
    this.#state = next;
    this.emit('state', this.state);
  }

  /** Takes over the state a previous instance left (a redeploy: Netatmo still has the webhook, no call). */
  adopt(state: WebhookState): void {
    this.#set({ ...state, quiet: undefined });
  }

  /** Registers `url` (again): the previous attempt, if any, is forgotten. */
  register(url: string): void {
    this.#cancel();
    this.#attempts = 0;
    void this.#attempt(url, ++this.#generation);
  }

  async #attempt(url: string, generation: number): Promise<void> {
    this.#attempts++;
    this.#set({ status: 'registering', url, last_event_at: this.#state.last_event_at });
    try {
      await this.#o.call('addwebhook', { url });
      if (generation !== this.#generation) return;
      this.#set({ status: 'registered', url, registered_at: this.#o.now(), last_event_at: this.#state.last_event_at });
    } catch (err) {
      if (generation !== this.#generation) return;
      const e = asNetatmoError(err);
      const error = { code: e.code, message: e.message, api_code: e.cause?.code };
      if (RETRYABLE.has(e.code) && this.#attempts < this.#o.maxAttempts) {
        const delay = retryDelayMs(
          { failures: this.#attempts, rateLimited: e.code === 'RATE_LIMITED', retryAfterMs: e.retryAfterMs },
          this.#o.timing,
          this.#o.random,
        );
        this.#set({ status: 'registering', url, retry_at: this.#o.now() + delay, error });
        this.#timer = this.#o.timers.setTimeout(() => void this.#attempt(url, generation), delay);
        return;
      }
      this.#set({ status: 'failed', url, error });
    }
  }

  /** An event (or webhook_activation) came in: the webhook works (also one registered by hand on dev.netatmo.com). */
  eventSeen(at = this.#o.now()): void {
    const s = this.#state;
    this.#set({ status: 'active', url: s.url, registered_at: s.registered_at, last_event_at: at });
  }

  /** Drops the webhook at Netatmo ("nothing to drop", 406 code 7, is fine). Resolves when done; never throws. */
  async drop(): Promise<NetatmoError | undefined> {
    const had = this.#state.status !== 'off';
    this.#cancel();
    this.#generation++;
    this.#set({ status: 'off' });
    if (!had) return undefined;
    try {
      await this.#o.call('dropwebhook', { app_types: 'app_security' });
      return undefined;
    } catch (err) {
      const e = asNetatmoError(err);
      return e.cause?.code === 7 ? undefined : e;
    }
  }

  /** Stops retrying (a restart or a redeploy): the registration at Netatmo stays. */
  stop(): void {
    this.#cancel();
    this.#generation++;
  }

  #cancel(): void {
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** Netatmo's ports for webhooks (HA core #40699, openHAB's documentation). */
export const WEBHOOK_PORTS = ['80', '88', '443', '9443'];

/**
 * The Webhook URL as typed: empty (no webhook), or an http(s) address without credentials on one of
 * Netatmo's ports, at most 512 characters. Throws INVALID_INPUT saying why.
 */
export function checkWebhookUrl(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') return '';
  const invalid = (reason: string, message: string): NetatmoError => new NetatmoError('INVALID_INPUT', message, { reason });
  if (text.length > 512) throw invalid('webhook-url', 'The webhook URL is too long (at most 512 characters).');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('webhook-url', 'The webhook URL is not an address (https://…).');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('webhook-url', 'The webhook URL must begin with https://.');
  if (url.username || url.password) throw invalid('webhook-url', 'The webhook URL must not hold a user name or password.');
  // No port: the scheme's own (80 or 443, both allowed); URL drops a port typed that is the scheme's own.
  if (url.port !== '' && !WEBHOOK_PORTS.includes(url.port))
    throw invalid('webhook-port', 'Netatmo only calls webhooks on ports 80, 88, 443 and 9443.');
  return url.toString();
}
