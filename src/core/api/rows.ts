/**
 * Netatmo's two answer forms of `getmeasure` / `getroommeasure`, read into one shape.
 *
 * - `optimize=true` (the default): `[{beg_time, step_time, value: [[v1, v2..], ..]}, ..]`, one block per
 *   run of regular steps; a gap in the record starts a new block (pyatmo's fixtures show several).
 * - `optimize=false`: `{"<epoch seconds>": [v1, v2..], ..}`.
 *
 * Each row is one timestamp (epoch seconds) with one value per requested type, in the order of `type`.
 * Pure functions, no I/O.
 */

export interface MeasureRow {
  t: number;
  values: (number | null)[];
}

/** Netatmo's answers have at most 1024 values; a page of ours never more, a merged history a bounded number. */
const MAX_ROWS = 1_000_000;

function readValues(v: unknown): (number | null)[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (Number.isFinite(x) ? (x as number) : null));
}

/** The rows of one answer body, in either form, sorted by time, each timestamp once (the first wins); at most `max`. */
export function measureRows(body: unknown, max = MAX_ROWS): MeasureRow[] {
  const rows: MeasureRow[] = [];
  if (Array.isArray(body)) {
    for (const block of body) {
      if (!block || typeof block !== 'object') continue;
      const { beg_time: beg, step_time: step, value } = block as Record<string, unknown>;
      if (typeof beg !== 'number' || !Array.isArray(value)) continue;
      const stepS = typeof step === 'number' && step > 0 ? step : 0;
      for (let i = 0; i < value.length && rows.length < max; i++) rows.push({ t: beg + i * stepS, values: readValues(value[i]) });
    }
  } else if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      const t = Number(key);
      if (!/^\d{1,12}$/.test(key) || !Number.isFinite(t)) continue;
      if (rows.length >= max) break;
      rows.push({ t, values: readValues(value) });
    }
  }
  return dedupe(rows);
}

/** Sorted by time, one row per timestamp. */
export function dedupe(rows: MeasureRow[]): MeasureRow[] {
  const sorted = [...rows].sort((a, b) => a.t - b.t);
  return sorted.filter((r, i) => i === 0 || r.t !== sorted[i - 1].t);
}

/** Whether an answer body has the optimized form (a list of blocks). */
export function isOptimized(body: unknown): boolean {
  return Array.isArray(body);
}

/**
 * Pages of one history merged into one answer in the form Netatmo gave: blocks (each page's rows after
 * the last timestamp already kept; a block starts again where the steps are not regular) or one object
 * keyed by timestamp. No gap is added and no row is kept twice.
 */
export function mergeBodies(bodies: unknown[]): unknown {
  const rows = dedupe(bodies.flatMap((b) => measureRows(b)));
  const optimized = bodies.some(isOptimized) || bodies.length === 0;
  if (!optimized) return Object.fromEntries(rows.map((r) => [String(r.t), r.values]));
  const blocks: { beg_time: number; step_time: number; value: (number | null)[][] }[] = [];
  let cur: (typeof blocks)[number] | undefined;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const prev = rows[i - 1];
    const step = prev ? r.t - prev.t : 0;
    // A block's second row sets its step; each further row must keep it.
    if (cur && cur.value.length === 1) cur.step_time = step;
    if (cur && step === cur.step_time) {
      cur.value.push(r.values);
    } else {
      cur = { beg_time: r.t, step_time: 0, value: [r.values] };
      blocks.push(cur);
    }
  }
  return blocks;
}
