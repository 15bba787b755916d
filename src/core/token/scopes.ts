/** Netatmo scopes, grouped by device family. Shared by the editor (served as JSON) and the runtime. */
export interface ScopeGroup {
  id: string;
  label: string;
  scopes: string[];
  hint?: string;
}

export const SCOPE_GROUPS: readonly ScopeGroup[] = [
  { id: 'weather', label: 'Weather station', scopes: ['read_station'] },
  { id: 'energy', label: 'Thermostat, valves (Energy)', scopes: ['read_thermostat', 'write_thermostat'] },
  {
    id: 'cameras',
    label: 'Cameras: Welcome (indoor), Presence (outdoor), Doorbell',
    scopes: [
      'read_camera',
      'write_camera',
      'access_camera',
      'read_presence',
      'write_presence',
      'access_presence',
      'read_doorbell',
      'access_doorbell',
    ],
    hint: 'access_* scopes (live video) need Netatmo to approve your app first.',
  },
  { id: 'alarms', label: 'Smoke and CO alarms', scopes: ['read_smokedetector', 'read_carbonmonoxidedetector'] },
  { id: 'homecoach', label: 'Healthy Home Coach', scopes: ['read_homecoach'] },
  {
    id: 'partners',
    label: 'Legrand/BTicino partners: Magellan, MX, Bubendorff, Smarther, BFI, MHS1',
    scopes: [
      'read_magellan',
      'write_magellan',
      'read_mx',
      'write_mx',
      'read_bubendorff',
      'write_bubendorff',
      'read_smarther',
      'write_smarther',
      'read_bfi',
      'write_bfi',
      'read_mhs1',
      'write_mhs1',
    ],
  },
];

export const ALL_SCOPES: readonly string[] = SCOPE_GROUPS.flatMap((g) => g.scopes);

export const DEFAULT_SCOPE = 'read_station';

/** Bounds on a scope list (26 scopes exist today; room for Netatmo's new ones). */
export const MAX_SCOPES = 64;
const MAX_SCOPE_LENGTH = 64 * 65;

/**
 * Normalises a scope string typed by a user: space or comma separated, de-duplicated.
 * Unknown scopes are kept (Netatmo adds new ones) as long as they look like scopes.
 */
export function parseScope(input: unknown): string[] {
  if (input === undefined || input === null) return [DEFAULT_SCOPE]; // '' too, below: no scope in it
  if (typeof input !== 'string') throw new TypeError('scope must be a string');
  if (input.length > MAX_SCOPE_LENGTH) throw new TypeError(`the scope list is longer than ${MAX_SCOPE_LENGTH} characters`);
  const list = input.split(/[\s,]/).filter(Boolean);
  if (list.length > MAX_SCOPES) throw new TypeError(`more than ${MAX_SCOPES} scopes`);
  for (const s of list) {
    if (!/^[a-z][a-z0-9_]{1,63}$/.test(s)) throw new TypeError(`"${s.slice(0, 40)}" is not a Netatmo scope`);
  }
  return list.length ? [...new Set(list)] : [DEFAULT_SCOPE];
}
