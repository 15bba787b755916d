/**
 * A Netatmo webhook body as a message: `msg.netatmo` names the same things the same way whatever the
 * device family sent them (security devices `push_type` + `event_type`; thermostats `display_change`;
 * newer devices a `device_event` envelope with `extra_params`; the lifecycle `webhook_activation` /
 * `webhook_deactivation`).
 */

/** The families a filter can name (besides any `event_type` or `push_type`). */
export const EVENT_FAMILIES = [
  'lifecycle',
  'camera',
  'doorbell',
  'door-tag',
  'alarm',
  'smoke',
  'co',
  'siren',
  'thermostat',
  'device',
  'other',
] as const;
export type EventFamily = (typeof EVENT_FAMILIES)[number];

export interface EventInfo {
  family: EventFamily;
  push_type?: string;
  event_type?: string;
  home_id?: string;
  device_id?: string;
  module_id?: string;
  room_id?: string;
  event_id?: string;
  person_ids?: string[];
  snapshot_url?: string;
  /** Seconds since 1970 when Netatmo says the event happened, when it says so. */
  time?: number;
  /** False only for an unsigned input message the node was told to accept. */
  verified: boolean;
}

/** `push_type` prefixes (a device's model) and their family. */
const PREFIX_FAMILY: Record<string, EventFamily> = {
  NACamera: 'camera', // indoor camera (Welcome)
  NOC: 'camera', // outdoor camera (Presence)
  NPC: 'camera', // indoor camera (2021)
  NDB: 'doorbell',
  NSD: 'smoke',
  NCO: 'co',
  NIS: 'siren',
  NACamDoorTag: 'door-tag',
};

const TYPE_FAMILY: Record<string, EventFamily> = {
  webhook_activation: 'lifecycle',
  webhook_deactivation: 'lifecycle',
  tag_open: 'door-tag',
  tag_big_move: 'door-tag',
  tag_small_move: 'door-tag',
  alarm_started: 'alarm',
  incoming_call: 'doorbell',
  accepted_call: 'doorbell',
  missed_call: 'doorbell',
  set_point: 'thermostat',
  cancel_set_point: 'thermostat',
  therm_mode: 'thermostat',
  schedule: 'thermostat',
  siren_sounding: 'siren',
  co_detected: 'co',
  smoke: 'smoke',
};

/** The family of an event: by its type first (door tags arrive as camera pushes), then its push's prefix. */
export function familyOf(pushType: string | undefined, eventType: string | undefined): EventFamily {
  if (eventType && TYPE_FAMILY[eventType]) return TYPE_FAMILY[eventType];
  if (pushType && TYPE_FAMILY[pushType]) return TYPE_FAMILY[pushType];
  if (pushType === 'display_change') return 'thermostat';
  if (pushType === 'device_event') return 'device';
  const prefix = pushType?.split('-')[0];
  if (prefix && PREFIX_FAMILY[prefix]) return PREFIX_FAMILY[prefix];
  return 'other';
}

const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v.slice(0, 200) : Number.isFinite(v) ? String(v) : undefined; // isFinite: numbers only, no coercion
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The objects of a list (anything else is skipped); none when `v` is not a list. */
// Stryker disable next-line ArrayDeclaration: a placeholder element is a string, which the filter then drops (no behaviour differs)
const objectsIn = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v : []).filter(isObject);

/** The first of `keys` that `sources` hold as text, in order of sources. */
function pick(sources: Array<Record<string, unknown>>, ...keys: string[]): string | undefined {
  for (const s of sources) for (const k of keys) if (text(s[k]) !== undefined) return text(s[k]);
  return undefined;
}

/** Reads what a body says, wherever its family puts it. */
export function normaliseEvent(body: Record<string, unknown>, verified = true): EventInfo {
  const extra = isObject(body.extra_params) ? body.extra_params : {};
  const home = isObject(body.home) ? body.home : {};
  const sources = [body, extra];
  const push_type = pick([body], 'push_type');
  const event_type = pick(sources, 'event_type');
  const rooms = objectsIn(home.rooms);
  const persons = objectsIn(body.persons);
  const person_ids = persons.map((p) => text(p.id)).filter((id): id is string => id !== undefined);
  const time = Number(body.time ?? extra.time ?? body.event_time);
  const info: EventInfo = {
    family: familyOf(push_type, event_type),
    push_type,
    event_type,
    home_id: pick(sources, 'home_id') ?? text(home.id),
    device_id: pick(sources, 'device_id', 'camera_id') ?? pick([extra], 'id'),
    module_id: pick(sources, 'module_id'),
    room_id: pick(sources, 'room_id') ?? (rooms.length === 1 ? text(rooms[0].id) : undefined),
    event_id: pick(sources, 'event_id'),
    person_ids: person_ids.length ? person_ids : undefined,
    snapshot_url: pick([body], 'snapshot_url'),
    time: Number.isFinite(time) && time > 0 ? time : undefined,
    verified,
  };
  return Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)) as unknown as EventInfo;
}

/** The topic of an event's message: its `event_type`, else its `push_type`. */
export function topicOf(info: EventInfo): string {
  return info.event_type ?? info.push_type ?? '';
}

/** A node's filter as typed in the editor: families, event types or push types, separated by commas or spaces. */
export function parseFilter(value: unknown): string[] {
  const list = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(/[\s,]/) : [];
  return [...new Set(list.map((s) => s.trim()).filter((s) => s !== '' && s.length <= 100))];
}

/** Whether an event passes a filter (an empty filter lets everything through). */
export function matchesFilter(filter: readonly string[], info: EventInfo): boolean {
  if (filter.length === 0) return true;
  return filter.some((f) => f === info.family || f === info.event_type || f === info.push_type);
}
