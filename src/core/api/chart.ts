import { measureRows } from './rows';

/**
 * A history as points for Dashboard 2's `ui-chart` (`@flowfuse/node-red-dashboard`): an array of
 * `{series, x, y}`, x in milliseconds since the epoch, one series per measured type (and per module when
 * several), named with the type's unit: "Temperature (°C)", "Outdoor Humidity (%)". A chart whose series
 * is the key `series`, x the key `x` and y the key `y` plots it as it is. `null` values (a module that did
 * not report) are left out: the line breaks there instead of falling to zero.
 * Both of Netatmo's answer forms give the same points. Pure.
 */

export interface ChartPoint {
  series: string;
  x: number;
  y: number;
}

/** Units of Netatmo's measure types (lower case; `min_temp`, `sum_rain`... included). */
const UNITS: Record<string, string> = {
  temperature: '°C',
  min_temp: '°C',
  max_temp: '°C',
  sp_temperature: '°C',
  humidity: '%',
  min_hum: '%',
  max_hum: '%',
  co2: 'ppm',
  min_co2: 'ppm',
  max_co2: 'ppm',
  noise: 'dB',
  min_noise: 'dB',
  max_noise: 'dB',
  pressure: 'mbar',
  min_pressure: 'mbar',
  max_pressure: 'mbar',
  rain: 'mm',
  sum_rain: 'mm',
  windstrength: 'km/h',
  guststrength: 'km/h',
  windangle: '°',
  gustangle: '°',
  boileron: 's',
  boileroff: 's',
  sum_boiler_on: 's',
  sum_boiler_off: 's',
};

/** A type as a person reads it: Netatmo's `$n` suffix (`sum_energy_elec$1`) gone. */
export function typeName(type: string): string {
  return type.trim().replace(/\$\d+$/, '');
}

/** The unit of a measure type ("" when it has none, "Wh" for energy sums). */
export function unitOf(type: string): string {
  const t = typeName(type).toLowerCase();
  // Own keys only: "constructor" is a type name from outside, not Object's.
  if (Object.hasOwn(UNITS, t)) return UNITS[t];
  if (t.startsWith('sum_energy')) return 'Wh';
  return '';
}

/** "Temperature (°C)", or with a label "Outdoor Temperature (°C)". */
export function seriesName(type: string, label?: string): string {
  const unit = unitOf(type);
  const name = `${label ? `${label} ` : ''}${typeName(type)}`;
  return unit ? `${name} (${unit})` : name;
}

/** The requested types, in the order the answer's values come. */
export function typeList(type: unknown): string[] {
  const list = Array.isArray(type) ? type.map(String) : String(type ?? '').split(',');
  return list.map((t) => t.trim()).filter(Boolean);
}

export interface LabelledHistory {
  /** Put before every series name of this history (a module's name), when several are shown. */
  label?: string;
  body: unknown;
}

/** Every point of every history, series after series, each sorted by time. */
export function chartPoints(histories: LabelledHistory[], type: unknown): ChartPoint[] {
  const types = typeList(type);
  const points: ChartPoint[] = [];
  for (const h of histories) {
    const rows = measureRows(h.body);
    types.forEach((ty, k) => {
      const series = seriesName(ty, h.label);
      for (const r of rows) {
        const y = r.values[k];
        if (typeof y === 'number') points.push({ series, x: r.t * 1000, y });
      }
    });
  }
  return points;
}
