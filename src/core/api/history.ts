import { NetatmoError } from '../shared/errors';
import { dedupe, measureRows, mergeBodies } from './rows';

/**
 * A history (`getmeasure`, `getroommeasure`) of any length. Netatmo answers at most 1024 values per
 * request (`limit`, default and maximum 1024), so a longer range goes in pages: `date_begin` moves past
 * the last timestamp answered, one page after the other (so the rate budget sees one request at a time),
 * until the range is covered. The pages merge into one answer without gap or duplicate.
 *
 * `last` ("24h", "7d", "30d", "1y"...) is the common case: the range ending now, with the finest scale
 * whose points fit in one answer when no `scale` is given. Times may be a Date, ISO text, or epoch
 * seconds (a number above 10^11 is read as milliseconds, as `Date.now()` gives).
 * Pure except `fetchHistory`, which sends through the function it is given.
 */

export const MEASURE_ENDPOINTS = ['getmeasure', 'getroommeasure'] as const;
export const PAGE_LIMIT = 1024;
/** At most this many requests for one message: a bigger range is refused before any request. */
export const MAX_PAGES = 100;

/** Seconds per scale (Netatmo's; `max` is a station's raw rhythm, about 5 minutes). */
export const SCALE_SECONDS: Readonly<Record<string, number>> = {
  max: 300,
  '30min': 1800,
  '1hour': 3600,
  '3hours': 10800,
  '1day': 86400,
  '1week': 604800,
  '1month': 2592000,
};
/** Scales tried for `last` without a scale, finest first (then `1month`, the coarsest). */
const DEFAULT_SCALES = ['30min', '1hour', '3hours', '1day', '1week'];
const UNIT_SECONDS: Record<string, number> = { min: 60, h: 3600, d: 86400, w: 604800, m: 2592000, y: 31536000 };
const LAST = /^\s*(\d{1,4})\s*(min|h|d|w|m|y)\s*$/i;

function invalid(message: string, reason: string, params?: Record<string, string | number>): NetatmoError {
  return new NetatmoError('INVALID_INPUT', message, { reason, params });
}

export function isMeasureEndpoint(name: unknown): boolean {
  return typeof name === 'string' && (MEASURE_ENDPOINTS as readonly string[]).includes(name.trim());
}

/** A time as epoch seconds: a Date, ISO text, epoch seconds (number or digits), or milliseconds above 10^11. */
export function toEpochSeconds(v: unknown, name: string): number {
  let s = NaN;
  // A Date from another realm (a function node's sandbox) is no `instanceof Date` here.
  if (Object.prototype.toString.call(v) === '[object Date]') s = (v as Date).getTime() / 1000;
  else if (typeof v === 'number') s = Math.abs(v) > 1e11 ? v / 1000 : v;
  else if (typeof v === 'string' && /^\s*\d{1,13}(\.\d+)?\s*$/.test(v)) return toEpochSeconds(Number(v), name);
  else if (typeof v === 'string' && v.length <= 64) s = Date.parse(v) / 1000;
  if (!Number.isFinite(s) || s < 0) {
    throw invalid(`${name} must be a date: a Date, ISO text such as 2026-01-31T12:00:00Z, or epoch seconds`, 'time', { name });
  }
  return Math.floor(s);
}

/** `last` in seconds: "24h", "7d", "30d", "90min", "1y" (m = 30 days, y = 365 days). */
export function parseLast(v: unknown): number {
  const m = typeof v === 'string' ? LAST.exec(v) : null;
  const n = m ? Number(m[1]) * UNIT_SECONDS[m[2].toLowerCase()] : NaN;
  if (!m || !(n > 0)) throw invalid('last must be a duration such as "24h", "7d", "30d" or "1y"', 'last');
  return n;
}

/** The finest scale whose points over `seconds` fit in one answer (1month when none does). */
export function defaultScale(seconds: number): string {
  return DEFAULT_SCALES.find((s) => seconds / SCALE_SECONDS[s] <= PAGE_LIMIT) ?? '1month';
}

export interface HistoryPlan {
  /** Parameters of the first request (times as epoch seconds, `last` gone, one module). */
  params: Record<string, unknown>;
  /** Paging: from `begin` to `end` (epoch seconds), `limit` 1024; undefined: one request as asked. */
  range?: { begin: number; end: number };
  /** Each module of a `module_id` list has a history of its own. */
  modules: (string | undefined)[];
  /** Requests this needs at least (points / 1024 per module). */
  minRequests: number;
}

/**
 * Reads a history request: `last` or `date_begin`/`date_end` in any time form, `scale` (defaulted for
 * `last`), `module_id` as one id or a list. Paged when a range is given and `limit` is not.
 * Throws INVALID_INPUT before any request (a bad time, a range needing more than MAX_PAGES requests).
 */
export function planHistory(input: Record<string, unknown>, nowMs: number): HistoryPlan {
  const params: Record<string, unknown> = { ...input };
  const now = Math.floor(nowMs / 1000);
  if (params.last !== undefined && params.last !== '') {
    const seconds = parseLast(params.last);
    if (params.scale === undefined || params.scale === '') params.scale = defaultScale(seconds);
    params.date_end ??= now;
    params.date_begin = toEpochSeconds(params.date_end, 'date_end') - seconds;
  }
  delete params.last;
  for (const k of ['date_begin', 'date_end']) {
    if (params[k] !== undefined && params[k] !== '') params[k] = toEpochSeconds(params[k], k);
  }
  const ids = params.module_id;
  const modules = Array.isArray(ids) ? ids.map(String) : typeof ids === 'string' ? ids.split(',') : [ids];
  const list = modules.map((m) => (m === undefined || m === '' ? undefined : String(m).trim()));
  if (list.length > 8) throw invalid('module_id: at most 8 modules in one history', 'modules', { max: 8 });
  const step = SCALE_SECONDS[String(params.scale)];
  const paged = params.date_begin !== undefined && (params.limit === undefined || params.limit === '') && step !== undefined;
  if (!paged) return { params, modules: list as (string | undefined)[], minRequests: list.length };
  const begin = params.date_begin as number;
  const end = (params.date_end as number | undefined) ?? now;
  const points = Math.max(0, Math.floor((end - begin) / step));
  const perModule = Math.max(1, Math.ceil(points / PAGE_LIMIT));
  if (perModule * list.length > MAX_PAGES) {
    throw invalid(`This range needs ${perModule * list.length} requests (at most ${MAX_PAGES}): choose a coarser scale`, 'range', {
      requests: perModule * list.length,
      max: MAX_PAGES,
    });
  }
  return {
    params: { ...params, date_end: end, limit: PAGE_LIMIT },
    range: { begin, end },
    modules: list,
    minRequests: perModule * list.length,
  };
}

/** The parameters of one module's history (its `module_id`, or none for the device itself). */
export function moduleParams(plan: HistoryPlan, module: string | undefined): Record<string, unknown> {
  const p = { ...plan.params };
  if (module === undefined) delete p.module_id;
  else p.module_id = module;
  return p;
}

/**
 * The next page after an answer, or undefined when the range is covered: an answer with fewer values
 * than `limit` ends it (Netatmo had no more), so does a last timestamp at or past the end.
 */
export function nextPageParams(params: Record<string, unknown>, body: unknown, end: number): Record<string, unknown> | undefined {
  const rows = measureRows(body);
  if (rows.length < PAGE_LIMIT) return undefined;
  const last = rows[rows.length - 1].t;
  if (last + 1 >= end) return undefined;
  return { ...params, date_begin: last + 1 };
}

export interface ModuleHistory {
  module?: string;
  /** The pages merged, in Netatmo's form. */
  body: unknown;
  requests: number;
}

/**
 * Every page of one module's history, one after the other through `send` (which waits for the rate
 * budget), merged. At most `maxPages` (MAX_PAGES) requests.
 */
export async function fetchModuleHistory(
  plan: HistoryPlan,
  module: string | undefined,
  send: (params: Record<string, unknown>) => Promise<unknown>,
  maxPages = MAX_PAGES,
): Promise<ModuleHistory> {
  let params: Record<string, unknown> | undefined = moduleParams(plan, module);
  const bodies: unknown[] = [];
  while (params && bodies.length < maxPages) {
    const body = await send(params);
    bodies.push(body);
    params = plan.range ? nextPageParams(params, body, plan.range.end) : undefined;
  }
  return { module, body: bodies.length === 1 ? bodies[0] : mergeBodies(bodies), requests: bodies.length };
}

/** Every module's history, module after module. */
export async function fetchHistory(
  plan: HistoryPlan,
  send: (params: Record<string, unknown>) => Promise<unknown>,
): Promise<ModuleHistory[]> {
  const out: ModuleHistory[] = [];
  for (const m of plan.modules) out.push(await fetchModuleHistory(plan, m, send));
  return out;
}

/** Points in a merged history (for figures and tests). */
export function countRows(body: unknown): number {
  return dedupe(measureRows(body)).length;
}
