'use strict';
/**
 * The simulator's history: `getmeasure` and `getroommeasure` with Netatmo's rules (kept apart from
 * test/simulator.js, which routes the two endpoints here).
 *
 * - Scales 30min, 1hour, 3hours, 1day, 1week, 1month, and `max` (about 5 min) for getmeasure only;
 *   another scale is API error 21.
 * - At most 1024 values per answer (`limit`, default and maximum 1024). With `date_begin`, the first
 *   `limit` values at or after it; without, the last `limit` values up to `date_end` (default now).
 * - Values sit on a grid of the scale (multiples of its seconds). Without `real_time=true` each timestamp
 *   is moved by half the scale, as Netatmo does (the middle of the period it sums up).
 * - `optimize` (default true): `[{beg_time, step_time, value}]`, a new block after each gap; `false`:
 *   `{"<ts>": [..]}`.
 * - Deterministic: `measureValue(id, type, t)` is the value any test can recompute; `null` where a type
 *   has no value (the hour every day when `CO2` calibrates); `gaps` (rows missing: a module offline)
 *   are set by tests on `sim.measureGaps` as `[{from, to, id?}]` in epoch seconds.
 * - No value before the device's setup (2020-01-01) nor after now.
 */

const SCALE_SECONDS = { max: 300, '30min': 1800, '1hour': 3600, '3hours': 10800, '1day': 86400, '1week': 604800, '1month': 2592000 };
const MAX_LIMIT = 1024;
const SETUP = 1577836800;
const DAY = 86400;
const YEAR = 365 * DAY;

/** Each type: a mean, a daily and a yearly swing, decimals. `$n` suffixes read as the base type. */
const TYPES = {
  temperature: [15, 4, 8, 1],
  min_temp: [12, 3, 8, 1],
  max_temp: [18, 3, 8, 1],
  sp_temperature: [19, 1, 0, 1],
  humidity: [60, 15, 10, 0],
  min_hum: [50, 10, 10, 0],
  max_hum: [70, 10, 10, 0],
  co2: [700, 200, 0, 0],
  noise: [40, 8, 0, 0],
  pressure: [1015, 3, 6, 1],
  rain: [0.4, 0.4, 0, 1],
  sum_rain: [1, 1, 0, 1],
  windstrength: [12, 8, 0, 0],
  guststrength: [25, 10, 0, 0],
  windangle: [180, 170, 0, 0],
  gustangle: [180, 170, 0, 0],
  sum_boiler_on: [1200, 1200, 0, 0],
  sum_boiler_off: [2400, 1200, 0, 0],
  boileron: [1200, 1200, 0, 0],
  boileroff: [2400, 1200, 0, 0],
  health_idx: [1, 1, 0, 0],
  sum_energy_elec: [300, 250, 0, 0],
};

function baseType(type) {
  return String(type)
    .trim()
    .toLowerCase()
    .replace(/\$\d+$/, '');
}

function known(type) {
  return baseType(type) in TYPES || baseType(type).startsWith('sum_energy');
}

/** A small stable number per (id, type): the phase and offset of its curve. */
function seed(id, type) {
  let h = 2166136261;
  for (const c of `${id}/${type}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h / 2 ** 32;
}

/** Indoors (a station's main module, a Home Coach, a room): warmer, steadier and drier than outdoors. */
const INDOOR = { temperature: [21, 1, 0.5, 1], min_temp: [20, 1, 0.5, 1], max_temp: [22, 1, 0.5, 1], humidity: [45, 5, 3, 0] };
/** Outdoor, wind and rain modules have ids beginning 02:, 06:, 05: (Netatmo's module address ranges). */
const isOutdoor = (id) => /^0[256]:/.test(String(id));

/** The value of `type` for device/module/room `id` at grid time `t` (epoch seconds); null when it has none. */
function measureValue(id, type, t) {
  const base = baseType(type);
  if (base === 'co2' && Math.floor((t % DAY) / 3600) === 3) return null; // calibrating, 03:00-04:00 UTC
  const [mean, daily, yearly, decimals] = (!isOutdoor(id) && INDOOR[base]) || TYPES[base] || TYPES.sum_energy_elec;
  const s = seed(id, base);
  const v = mean + (s - 0.5) * 4 + daily * Math.sin((2 * Math.PI * t) / DAY + s * 6) + yearly * Math.sin((2 * Math.PI * t) / YEAR);
  const f = 10 ** decimals;
  return Math.round(Math.max(0, v) * f) / f;
}

function fail(code, message) {
  return Object.assign(new Error(message), { apiCode: code });
}

function num(v, what) {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n)) throw fail(21, `Invalid ${what}`);
  return n;
}

/** Reads and checks a history request: what Netatmo refuses with code 21. */
function readRequest(p, nowS, { allowMax }) {
  const step = SCALE_SECONDS[p.scale];
  if (!step || (p.scale === 'max' && !allowMax)) throw fail(21, 'Invalid scale');
  const types = String(p.type || '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (!types.length || !types.every(known)) throw fail(21, 'Invalid type');
  const limit = p.limit === undefined || p.limit === '' ? MAX_LIMIT : Math.min(MAX_LIMIT, Math.max(1, Math.floor(num(p.limit, 'limit'))));
  const end = Math.min(p.date_end === undefined || p.date_end === '' ? nowS : num(p.date_end, 'date_end'), nowS);
  const begin = p.date_begin === undefined || p.date_begin === '' ? undefined : num(p.date_begin, 'date_begin');
  if (begin !== undefined && begin > end) throw fail(21, 'date_begin must be before date_end');
  const offset = String(p.real_time) === 'true' ? 0 : step / 2;
  return { step, types, limit, begin, end, offset, optimize: String(p.optimize) !== 'false' };
}

/** Shown timestamps of the grid within [begin, end], skipping gaps: the first (or, without begin, last) `limit`. */
function timestamps(r, id, gaps) {
  const inGap = (t) => gaps.some((g) => (!g.id || g.id === id) && t >= g.from && t <= g.to);
  const first = Math.max(SETUP, r.begin ?? SETUP);
  const out = [];
  if (r.begin !== undefined) {
    for (let g = Math.ceil((first - r.offset) / r.step) * r.step; g + r.offset <= r.end && out.length < r.limit; g += r.step) {
      if (g >= SETUP && !inGap(g)) out.push(g);
    }
  } else {
    for (let g = Math.floor((r.end - r.offset) / r.step) * r.step; g >= SETUP && out.length < r.limit; g -= r.step) {
      if (!inGap(g)) out.unshift(g);
    }
  }
  return out;
}

/** The answer's body in the form asked for. */
function shape(r, id, grid) {
  const rows = grid.map((g) => [g + r.offset, r.types.map((ty) => measureValue(id, ty, g))]);
  if (!r.optimize) return Object.fromEntries(rows.map(([t, v]) => [String(t), v]));
  const blocks = [];
  for (const [t, v] of rows) {
    const b = blocks[blocks.length - 1];
    if (b && t === b.beg_time + b.value.length * r.step) b.value.push(v);
    else blocks.push({ beg_time: t, step_time: r.step, value: [v] });
  }
  return blocks;
}

/** getmeasure / getroommeasure: `id` is the module (or device, or room) whose series it is. */
function measureAnswer(p, nowMs, { id, gaps = [], allowMax = true }) {
  const r = readRequest(p, Math.floor(nowMs / 1000), { allowMax });
  return { body: shape(r, id, timestamps(r, id, gaps)) };
}

module.exports = { measureAnswer, measureValue, SCALE_SECONDS, MAX_LIMIT, SETUP };
