/**
 * What the api dialog offers instead of ids typed by hand: the account's stations and their modules,
 * Home Coaches, homes with their rooms and modules (from `getstationsdata`, `gethomecoachsdata`,
 * `homesdata`), with the measure types each device type records and the scales Netatmo accepts.
 * `IdsCache` keeps one listing per account a few minutes and makes one fetch for many callers. Pure
 * except the cache's clock.
 */

export interface Named {
  id: string;
  name: string;
  type?: string;
}
export interface Station extends Named {
  modules: Named[];
}
export interface Home extends Named {
  rooms: Named[];
  modules: Named[];
}
export interface IdListing {
  stations: Station[];
  coaches: Named[];
  homes: Home[];
  /** Every id above with its name. */
  names: Record<string, string>;
  /** Measure types by device type, for getmeasure (`room` for getroommeasure). */
  types: Record<string, string[]>;
  scales: { getmeasure: string[]; getroommeasure: string[] };
  /** Endpoints that failed (a scope missing...), with their error code. */
  errors: { endpoint: string; code: string }[];
  fetched_at: number;
}

const CLIMATE = ['temperature', 'humidity', 'min_temp', 'max_temp', 'min_hum', 'max_hum'];
/** Netatmo's measure types per device type (dev.netatmo.com, getmeasure). */
export const MEASURE_TYPES: Record<string, string[]> = {
  NAMain: [...CLIMATE, 'co2', 'pressure', 'noise', 'min_co2', 'max_co2', 'min_pressure', 'max_pressure', 'min_noise', 'max_noise'],
  NAModule1: CLIMATE,
  NAModule2: ['windstrength', 'windangle', 'guststrength', 'gustangle'],
  NAModule3: ['rain', 'sum_rain'],
  NAModule4: [...CLIMATE, 'co2', 'min_co2', 'max_co2'],
  NHC: ['temperature', 'humidity', 'co2', 'pressure', 'noise', 'health_idx'],
  NATherm1: ['temperature', 'sp_temperature', 'sum_boiler_on', 'sum_boiler_off', 'boileron', 'boileroff'],
  room: ['temperature', 'min_temp', 'max_temp'],
};
export const MEASURE_SCALES = {
  getmeasure: ['max', '30min', '1hour', '3hours', '1day', '1week', '1month'],
  getroommeasure: ['30min', '1hour', '3hours', '1day', '1week', '1month'],
};

const MAX_ITEMS = 200;
const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.slice(0, MAX_ITEMS).map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v.slice(0, 100) : undefined);

function named(id: unknown, name: unknown, type: unknown): Named | undefined {
  const i = str(id);
  if (!i) return undefined;
  const t = str(type);
  return { id: i, name: str(name) ?? i, ...(t ? { type: t } : {}) };
}
const some = <T>(xs: (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);

/** Stations and their modules from a getstationsdata body. */
export function stationsOf(body: unknown): Station[] {
  return some(
    list(obj(body).devices).map((d) => {
      const s = named(d._id, d.station_name ?? d.module_name, d.type);
      if (!s) return undefined;
      const main = named(d._id, d.module_name ?? d.station_name, d.type) as Named;
      return { ...s, modules: [main, ...some(list(d.modules).map((m) => named(m._id, m.module_name, m.type)))] };
    }),
  );
}

/** Home Coaches from a gethomecoachsdata body. */
export function coachesOf(body: unknown): Named[] {
  return some(list(obj(body).devices).map((d) => named(d._id, d.station_name ?? d.name, d.type)));
}

/** Homes with rooms and modules from a homesdata body. */
export function homesOf(body: unknown): Home[] {
  return some(
    list(obj(body).homes).map((h) => {
      const home = named(h.id, h.name, undefined);
      if (!home) return undefined;
      return {
        ...home,
        rooms: some(list(h.rooms).map((r) => named(r.id, r.name, r.type))),
        modules: some(list(h.modules).map((m) => named(m.id, m.name, m.type))),
      };
    }),
  );
}

/** The listing from whichever answers came (undefined: that endpoint was not asked or failed). */
export function buildListing(
  answers: { stations?: unknown; coaches?: unknown; homes?: unknown },
  errors: IdListing['errors'],
  now: number,
): IdListing {
  // An endpoint not asked (undefined) reads as an empty body: no station, coach or home.
  const stations = stationsOf(answers.stations);
  const coaches = coachesOf(answers.coaches);
  const homes = homesOf(answers.homes);
  const names: Record<string, string> = {};
  const add = (n: Named): void => {
    names[n.id] ??= n.name;
  };
  stations.forEach((s) => s.modules.forEach(add));
  coaches.forEach(add);
  homes.forEach((h) => [h, ...h.rooms, ...h.modules].forEach(add));
  return { stations, coaches, homes, names, types: MEASURE_TYPES, scales: MEASURE_SCALES, errors, fetched_at: now };
}

/**
 * One listing per key for `ttlMs`; callers during a fetch share it. A failure is kept `failTtlMs`, so
 * that a page asking again and again cannot spend the account's budget on requests that fail.
 */
export class IdsCache {
  private readonly entries = new Map<string, { at: number; ttl: number; value: Promise<IdListing> }>();

  constructor(
    private readonly ttlMs = 5 * 60_000,
    private readonly clock: () => number = Date.now,
    private readonly failTtlMs = 30_000,
  ) {}

  get(key: string, fetch: () => Promise<IdListing>): Promise<IdListing> {
    const hit = this.entries.get(key);
    if (hit && this.clock() - hit.at < hit.ttl) return hit.value;
    const value = fetch();
    const entry = { at: this.clock(), ttl: this.ttlMs, value };
    this.entries.set(key, entry);
    value.catch(() => {
      entry.at = this.clock();
      entry.ttl = this.failTtlMs;
    });
    return value;
  }
}
