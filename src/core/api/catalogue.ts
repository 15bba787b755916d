/**
 * The Netatmo API endpoints the `netatmo-api` node knows by name: how each is sent, what it needs.
 * Shared by the runtime (encoding, checks before any request) and the editor (served as JSON).
 * Sources: Netatmo's PHP SDK, pyatmo, openHAB's binding (see the facts file). Pure data.
 */

/** Where the parameters go: the query string (GET), a urlencoded form (POST), or a JSON body (POST). */
export type Encoding = 'query' | 'form' | 'json';
export type HttpMethod = 'GET' | 'POST';

export interface Endpoint {
  name: string;
  method: HttpMethod;
  encoding: Encoding;
  /** Parameters Netatmo refuses the call without (API code 10). */
  required: string[];
  /** Other parameters it takes (shown in the editor). */
  optional: string[];
  /** Values a parameter must take, when Netatmo only accepts a few (API code 21 otherwise). */
  values?: Record<string, string[]>;
  /** The login needs at least one of these scopes (API code 13 otherwise). */
  scopes: string[];
  /** Changes a device: never sent twice after an answer that was lost. */
  write: boolean;
  group: 'homes' | 'energy' | 'weather' | 'security' | 'aircare';
  purpose: string;
}

interface Lists {
  HOME_READ: string[];
  HOME_WRITE: string[];
  EVENTS: string[];
  SCALES: string[];
}

/** Scope and value lists, built anew with the catalogue. */
function lists(): Lists {
  const HOME_READ = [
    'read_station',
    'read_thermostat',
    'read_camera',
    'read_presence',
    'read_doorbell',
    'read_smokedetector',
    'read_carbonmonoxidedetector',
    'read_homecoach',
    'read_magellan',
    'read_bubendorff',
    'read_mx',
    'read_smarther',
    'read_bfi',
    'read_mhs1',
  ];
  const HOME_WRITE = [
    'write_thermostat',
    'write_camera',
    'write_presence',
    'write_magellan',
    'write_bubendorff',
    'write_mx',
    'write_smarther',
    'write_bfi',
    'write_mhs1',
  ];
  const EVENTS = ['read_camera', 'read_presence', 'read_doorbell', 'read_smokedetector', 'read_carbonmonoxidedetector'];
  const SCALES = ['max', '30min', '1hour', '3hours', '1day', '1week', '1month'];
  return { HOME_READ, HOME_WRITE, EVENTS, SCALES };
}

const get = (e: Omit<Endpoint, 'method' | 'encoding' | 'write'>): Endpoint => ({ ...e, method: 'GET', encoding: 'query', write: false });
const post = (e: Omit<Endpoint, 'method' | 'write'>): Endpoint => ({ ...e, method: 'POST', write: true });

/** Homes: their structure and state, security events, module changes. */
function homes(l: Lists): Endpoint[] {
  return [
    get({
      name: 'homesdata',
      group: 'homes',
      required: [],
      optional: ['home_id', 'gateway_types'],
      scopes: l.HOME_READ,
      purpose: 'Homes with their rooms, modules and schedules',
    }),
    get({
      name: 'homestatus',
      group: 'homes',
      required: ['home_id'],
      optional: ['device_types'],
      scopes: l.HOME_READ,
      purpose: "Current state of a home's rooms and modules (temperatures, setpoints, battery, reachability)",
    }),
    get({
      name: 'getevents',
      group: 'security',
      required: ['home_id'],
      optional: ['device_types', 'event_id', 'person_id', 'device_id', 'module_id', 'offset', 'size', 'locale'],
      scopes: l.EVENTS,
      purpose: 'Events of cameras, doorbells and alarms of a home',
    }),
    post({
      name: 'setstate',
      group: 'homes',
      encoding: 'json',
      required: ['home'],
      optional: [],
      scopes: l.HOME_WRITE,
      purpose: 'Changes modules of a home: {"home": {"id": .., "modules": [{"id": .., ..}]}}',
    }),
  ];
}

/** Weather stations, Home Coaches and histories. */
function weatherAndHistory(l: Lists): Endpoint[] {
  return [
    get({
      name: 'getstationsdata',
      group: 'weather',
      required: [],
      optional: ['device_id', 'get_favorites'],
      scopes: ['read_station'],
      purpose: "Weather stations and their modules' latest readings (dashboard data)",
    }),
    get({
      name: 'getmeasure',
      group: 'weather',
      required: ['device_id', 'scale', 'type'],
      optional: ['module_id', 'date_begin', 'date_end', 'limit', 'optimize', 'real_time'],
      values: { scale: l.SCALES },
      scopes: ['read_station', 'read_thermostat', 'read_homecoach'],
      purpose: 'Measure history of a station, module, thermostat or home coach',
    }),
    get({
      name: 'gethomecoachsdata',
      group: 'aircare',
      required: [],
      optional: ['device_id'],
      scopes: ['read_homecoach'],
      purpose: 'Healthy Home Coaches and their latest readings',
    }),
    get({
      name: 'getroommeasure',
      group: 'energy',
      required: ['home_id', 'room_id', 'scale', 'type'],
      optional: ['date_begin', 'date_end', 'limit', 'optimize', 'real_time'],
      values: { scale: l.SCALES },
      scopes: ['read_thermostat'],
      purpose: 'Temperature history of a room',
    }),
  ];
}

/** Heating: set points, modes, schedules. */
function energy(): Endpoint[] {
  return [
    post({
      name: 'setroomthermpoint',
      group: 'energy',
      encoding: 'form',
      required: ['home_id', 'room_id', 'mode'],
      optional: ['temp', 'endtime'],
      values: { mode: ['manual', 'max', 'home'] },
      scopes: ['write_thermostat'],
      purpose: "Sets a room's temperature (manual, with temp), boost (max) or back to the schedule (home)",
    }),
    post({
      name: 'setthermmode',
      group: 'energy',
      encoding: 'form',
      required: ['home_id', 'mode'],
      optional: ['endtime', 'schedule_id'],
      values: { mode: ['schedule', 'away', 'hg'] },
      scopes: ['write_thermostat'],
      purpose: "Sets a home's heating mode: schedule, away or frost guard (hg)",
    }),
    post({
      name: 'switchhomeschedule',
      group: 'energy',
      encoding: 'form',
      required: ['home_id', 'schedule_id'],
      optional: [],
      scopes: ['write_thermostat'],
      purpose: "Switches a home's active weekly schedule",
    }),
    post({
      name: 'synchomeschedule',
      group: 'energy',
      encoding: 'json',
      required: ['home_id', 'timetable', 'zones'],
      optional: ['schedule_id', 'name', 'hg_temp', 'away_temp'],
      scopes: ['write_thermostat'],
      purpose: 'Replaces the timetable and zones of a weekly schedule',
    }),
  ];
}

/**
 * The catalogue, in the order the editor shows it, built anew at each call: no caller can change
 * another's copy, and a dozen objects cost nothing beside a request. (Built when the module loads, its
 * data would be static mutants, each rerunning every suite of the mutation run.)
 */
export function endpoints(): Endpoint[] {
  const l = lists();
  return [...homes(l), ...weatherAndHistory(l), ...energy()];
}

export function findEndpoint(name: string): Endpoint | undefined {
  return endpoints().find((e) => e.name === name);
}

/** The scopes an endpoint needs that a login lacks: empty when it holds one of them (or the endpoint is not ours). */
export function missingScopes(endpoint: Endpoint | undefined, granted: readonly string[]): string[] {
  if (!endpoint || endpoint.scopes.some((s) => granted.includes(s))) return [];
  return endpoint.scopes;
}
