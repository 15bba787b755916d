import { RecentEvents, eventKey } from './dedup';
import { EventInfo, normaliseEvent } from './payload';
import { checkSignature } from './signature';

/** Netatmo's bodies are a few KiB; a larger one is not Netatmo's and is refused unread (413). */
export const MAX_BODY_BYTES = 64 * 1024;

export type Outcome = 'event' | 'duplicate' | 'unsigned' | 'bad-signature' | 'too-large' | 'bad-json';

export interface Delivery {
  outcome: Outcome;
  /** The HTTP status the endpoint answers with it. */
  status: number;
  body?: Record<string, unknown>;
  info?: EventInfo;
}

/** HTTP status per outcome: a refused delivery tells the sender why, never more. */
const STATUS: Record<Outcome, number> = {
  event: 200,
  duplicate: 200, // Netatmo retrying must stop: it was received
  unsigned: 401,
  'bad-signature': 403,
  'too-large': 413,
  'bad-json': 400,
};

export interface Counters {
  events: number;
  duplicates: number;
  refused: number;
  /** When the last verified event came (ms since 1970). */
  lastEventAt?: number;
}

/**
 * One account's receiving end: checks a delivery (size, then signature over the raw bytes, then JSON,
 * then whether it was seen before), counts, and says what to answer. Knows nothing of HTTP or Node-RED.
 */
export class EventReceiver {
  readonly counters: Counters = { events: 0, duplicates: 0, refused: 0 };
  readonly #recent: RecentEvents;
  readonly #now: () => number;

  constructor(options: { capacity?: number; now?: () => number } = {}) {
    this.#recent = new RecentEvents(options.capacity);
    this.#now = options.now ?? Date.now;
  }

  /**
   * `clientSecret` undefined with `allowUnsigned`: the body is taken unsigned (`verified: false`); a
   * signature that is present is still checked.
   */
  receive(raw: Buffer, signature: unknown, clientSecret: string | undefined, allowUnsigned = false): Delivery {
    const done = (outcome: Outcome, body?: Record<string, unknown>, info?: EventInfo): Delivery => this.count(outcome, body, info);
    if (raw.length > MAX_BODY_BYTES) return done('too-large');
    const check = clientSecret === undefined ? 'missing' : checkSignature(clientSecret, raw, signature);
    if (check === 'wrong') return done('bad-signature');
    if (check === 'missing' && !allowUnsigned) return done('unsigned');
    const body = parseBody(raw);
    if (!body) return done('bad-json');
    const info = normaliseEvent(body, check === 'ok');
    // Lifecycle messages are never repeats: each registration brings its own webhook_activation, byte for byte the same.
    if (info.family !== 'lifecycle' && !this.#recent.firstTime(eventKey(body, raw), this.#now())) return done('duplicate');
    return done('event', body, info);
  }

  /** Counts an outcome decided here or before the body was read (a body cut off at MAX_BODY_BYTES). */
  count(outcome: Outcome, body?: Record<string, unknown>, info?: EventInfo): Delivery {
    if (outcome === 'event') {
      this.counters.events++;
      this.counters.lastEventAt = this.#now();
    } else if (outcome === 'duplicate') this.counters.duplicates++;
    else this.counters.refused++;
    return { outcome, status: STATUS[outcome], body, info };
  }
}

/** A JSON object, or undefined (an array, a number, broken JSON: not a Netatmo event). */
export function parseBody(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(raw.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
