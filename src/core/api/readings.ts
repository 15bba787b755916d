/**
 * Latest readings at a glance: `getstationsdata`, `gethomecoachsdata` and `homestatus` answers as one
 * flat object per module or room, named by its name: `{"Outdoor": {"Temperature": 8.4, "Humidity": 81,
 * "time": 1767225600000}, "Indoor": {..}}`, ready for a gauge or a text widget. `time` (and every
 * `date_*`) in milliseconds since the epoch. Pure.
 */

export type Reading = Record<string, number | string | boolean | null>;
export type Readings = Record<string, Reading>;

/** Names of homes' rooms and modules by id (from `homesdata`), for `homestatus`, which has none. */
export type NameMap = Record<string, string>;

export const READING_ENDPOINTS = ['getstationsdata', 'gethomecoachsdata', 'homestatus'] as const;

export function isReadingEndpoint(name: unknown): boolean {
  return typeof name === 'string' && (READING_ENDPOINTS as readonly string[]).includes(name.trim());
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(obj) : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 100) : undefined);

/** Scalars of a dashboard_data (or a room), times in ms. */
function flat(data: Record<string, unknown>, rename: Record<string, string> = {}): Reading {
  const out: Reading = {};
  for (const [k, v] of Object.entries(data)) {
    if (!(typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null)) continue;
    if (k === 'time_utc') out.time = typeof v === 'number' ? v * 1000 : v;
    else if (k.startsWith('date_') && typeof v === 'number') out[k] = v * 1000;
    else out[rename[k] ?? k] = v;
  }
  return out;
}

/** Puts `reading` under `name`, or `name (id)` when a module of that name is already there. */
function put(out: Readings, name: string | undefined, id: unknown, reading: Reading): void {
  const fallback = typeof id === 'string' ? id : `#${Object.keys(out).length + 1}`;
  let key = name ?? fallback;
  if (key in out) key = `${key} (${fallback})`;
  out[key] = reading;
}

/** Stations (and their modules) or Home Coaches: `body.devices[]`. */
function devices(body: Record<string, unknown>): Readings {
  const out: Readings = {};
  for (const d of list(body.devices)) {
    const name = text(d.module_name) ?? text(d.station_name) ?? text(d.name);
    put(out, name, d._id, { ...flat(obj(d.dashboard_data)), reachable: d.reachable === undefined ? null : Boolean(d.reachable) });
    for (const m of list(d.modules)) {
      const reading = flat(obj(m.dashboard_data));
      if (typeof m.battery_percent === 'number') reading.battery_percent = m.battery_percent;
      reading.reachable = m.reachable === undefined ? null : Boolean(m.reachable);
      put(out, text(m.module_name), m._id, reading);
    }
  }
  return out;
}

const ROOM_NAMES: Record<string, string> = {
  therm_measured_temperature: 'Temperature',
  therm_setpoint_temperature: 'Setpoint',
  therm_setpoint_mode: 'Mode',
};

/** A home's rooms and modules (`body.home`), named from `names` (homesdata), else by id. */
function home(body: Record<string, unknown>, names: NameMap): Readings {
  const out: Readings = {};
  const h = obj(body.home);
  for (const r of list(h.rooms)) {
    const { id, ...rest } = r;
    put(out, typeof id === 'string' ? names[id] : undefined, id, flat(rest, ROOM_NAMES));
  }
  for (const m of list(h.modules)) {
    const { id, ...rest } = m;
    put(out, typeof id === 'string' ? names[id] : undefined, id, flat(rest));
  }
  return out;
}

/** The readings of an answer's body, by endpoint. */
export function readingsOf(endpoint: string, body: unknown, names: NameMap = {}): Readings {
  const b = obj(body);
  return endpoint === 'homestatus' ? home(b, names) : devices(b);
}

/** Without the times: two readings that differ only by when they were taken are the same. */
function values(r: Readings): string {
  const keys = Object.keys(r).sort();
  return JSON.stringify(
    keys.map((k) => [
      k,
      Object.entries(r[k])
        .filter(([f]) => f !== 'time' && !f.startsWith('date_') && !f.startsWith('last_'))
        .sort(),
    ]),
  );
}

/** Whether any reading changed (a value, a module more or less) since `previous`. */
export function readingsChanged(previous: Readings | undefined, next: Readings): boolean {
  return previous === undefined || values(previous) !== values(next);
}
