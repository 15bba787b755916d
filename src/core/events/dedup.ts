import { createHash } from 'node:crypto';

/**
 * Netatmo may deliver the same event twice (a retry after a slow answer) and anyone who once saw a signed
 * body can send it again: each event leaves once. Kept in bounded memory: the `capacity` newest keys,
 * the oldest forgotten first.
 */
/** How long a body without an id counts as a repeat of the same bytes: Netatmo's retries come within minutes. */
export const RAW_REPEAT_MS = 10 * 60_000;

export class RecentEvents {
  readonly #capacity: number;
  readonly #seen = new Map<string, number>();

  constructor(capacity = 1000) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  /**
   * True the first time a key is offered, false for a repeat while it is remembered. A key made of the
   * bytes (no id) counts as a repeat for RAW_REPEAT_MS only: Netatmo sends the same id-less body again
   * for a new event (each `webhook_activation` is byte for byte the same).
   */
  firstTime(key: string, now = Date.now()): boolean {
    const at = this.#seen.get(key) ?? -Infinity; // never seen: no repeat, however long the ttl
    const ttl = key.startsWith('raw:') ? RAW_REPEAT_MS : Infinity;
    if (now - at < ttl) return false;
    this.#seen.delete(key);
    this.#seen.set(key, now);
    if (this.#seen.size > this.#capacity) {
      const oldest = this.#seen.keys().next().value as string;
      this.#seen.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}

/**
 * What makes two deliveries the same event: Netatmo's `event_id` (or `id`) with the event's type; an
 * event without an id is known by its bytes (a replay is byte for byte the same).
 */
export function eventKey(body: Record<string, unknown>, raw: Buffer): string {
  const id = body.event_id ?? body.id ?? (isObject(body.extra_params) ? body.extra_params.event_id : undefined);
  const type = body.event_type ?? body.push_type;
  if ((typeof id === 'string' || typeof id === 'number') && String(id) !== '') return `id:${String(id)}|${String(type ?? '')}`;
  return `raw:${createHash('sha256').update(raw).digest('base64')}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
