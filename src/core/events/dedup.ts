import { createHash } from 'node:crypto';

/**
 * Netatmo may deliver the same event twice (a retry after a slow answer) and anyone who once saw a signed
 * body can send it again: each event leaves once. Kept in bounded memory: the `capacity` newest keys,
 * the oldest forgotten first.
 */
export class RecentEvents {
  readonly #capacity: number;
  readonly #seen = new Set<string>();

  constructor(capacity = 1000) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  /** True the first time a key is offered, false for a repeat while it is remembered. */
  firstTime(key: string): boolean {
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    if (this.#seen.size > this.#capacity) {
      const oldest = this.#seen.values().next().value as string;
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
