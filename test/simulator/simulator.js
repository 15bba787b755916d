'use strict';
/**
 * Fake Netatmo OAuth2 + API server, for tests and for offline `npm start`.
 *
 * A real HTTP server on 127.0.0.1 (port chosen by the OS by default) that
 * imitates what matters of api.netatmo.com:
 *   GET  /oauth2/authorize          consent page (Accept / Refuse links)
 *   GET  /oauth2/authorize/decide   the user's choice; 302 back to redirect_uri
 *   POST /oauth2/token              authorization_code and refresh_token grants,
 *                                   refresh token rotation without grace period
 *   GET|POST /api/...               any API call, checks the access token; with `devices` (--devices)
 *                                   a home, a weather station and a home coach answer the catalogue's
 *                                   endpoints with scopes, parameter checks, per-user limits (429)
 * plus fault injection, an injectable clock and counters for assertions.
 *
 * Standalone: node test/simulator.js [--port N] [--client ID:SECRET]... [--ttl S]
 *                                    [--code-ttl S] [--any-client] [--devices] [--quiet]
 * No dependencies besides Node built-ins.
 */
const http = require('node:http');
const crypto = require('node:crypto');
const querystring = require('node:querystring');
const { WebhookSim } = require('./webhooks');
const { measureAnswer } = require('./measure');

const HOST = '127.0.0.1';
const FORM_TYPE = 'application/x-www-form-urlencoded';
const DEFAULT_SCOPE = ['read_station'];
const DEFAULT_CLIENT = { id: 'sim-client-id', secret: 'sim-client-secret' };

// ---------------------------------------------------------------- helpers

const randomHex = (bytes) => crypto.randomBytes(bytes).toString('hex');
/** Netatmo's tokens: the user's id (24 hex), `|`, 32 hex. The id stays the same for every token of the user. */
const newToken = (userId) => `${userId}|${randomHex(16)}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parseScope(scope) {
  const list = Array.isArray(scope) ? scope : String(scope || '').split(/[\s,]+/);
  const clean = list.map((s) => String(s).trim()).filter(Boolean);
  return clean.length ? clean : [...DEFAULT_SCOPE];
}

/** Drops undefined/null/'' values so they do not end up as `key=` in a query. */
function compact(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== null && v !== ''));
}

/** Appends query params to a URI that may or may not already have a query. */
function appendQuery(uri, params) {
  const sep = !uri.includes('?') ? '?' : /[?&]$/.test(uri) ? '' : '&';
  return uri + sep + querystring.stringify(params);
}

const HTML_ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);

function bearerToken(header) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header || '');
  return match ? match[1] : undefined;
}

/** Form fields of a urlencoded body; any other content type yields no fields. */
function parseForm(headers, body) {
  const type = String(headers['content-type'] || '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  return type === FORM_TYPE ? Object.fromEntries(new URLSearchParams(body)) : {};
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------- replies

const json = (status, body, headers = {}) => ({
  status,
  headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});
const html = (status, body) => ({ status, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body });
const redirect = (location) => ({ status: 302, headers: { Location: location }, body: '' });
const oauthError = (error, description) => json(400, description ? { error, error_description: description } : { error });
const invalidGrantType = () => oauthError('invalid_request', 'Invalid or Missing grant-type parameter');
const apiError = (code, message) => json(403, { error: { code, message } });

function page(title, content) {
  return (
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1>${content}</body></html>`
  );
}
const errorPage = (error, description) => html(400, page(error, `<p id="error">${escapeHtml(error)}: ${escapeHtml(description)}</p>`));

/** Faults answered without looking at the request (no state change). */
const FAULT_REPLIES = {
  http500: () => json(500, { error: { code: 500, message: 'Internal Server Error' } }),
  http503: () => html(503, '<html><body><h1>503 Service Unavailable</h1></body></html>'),
  http504: () => html(504, '<html><body><h1>504 Gateway Time-out</h1></body></html>'),
  http429: (fault) =>
    json(
      429,
      { error: { code: 26, message: 'User usage reached' } },
      fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {},
    ),
  notjson: () => html(200, '<html>oops</html>'),
  /** An answer given whole (see SHAPES): Netatmo's own shapes, as other clients recorded them. */
  answer: (fault) => ({
    status: fault.reply.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...(fault.reply.headers || {}) },
    body: fault.reply.body,
  }),
  invalid_grant: () => oauthError('invalid_grant'),
  invalid_client: () => oauthError('invalid_client'),
};
/** reset/hang: no answer, no state change. truncated/lost: real processing, broken answer. */
const FAULT_KINDS = [...Object.keys(FAULT_REPLIES), 'reset', 'hang', 'truncated', 'lost'];

function send(res, reply) {
  if (!res.socket || res.socket.destroyed) return; // client went away meanwhile
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

// ---------------------------------------------------------------- device API (options.devices)

/** Netatmo's published per-user limits (the simulator answers 429 code 26 above them). */
const NETATMO_USER_LIMITS = [
  { limit: 50, windowMs: 10_000 },
  { limit: 500, windowMs: 3_600_000 },
];

const WORLD_IDS = {
  home: '5e1f6a7b8c9d0e1f2a3b4c5d',
  livingRoom: '2255031728',
  bedroom: '3688132631',
  relay: '70:ee:50:aa:bb:00',
  thermostat: '04:00:00:aa:bb:01',
  valve: '09:00:00:aa:bb:02',
  station: '70:ee:50:3f:12:34',
  outdoor: '02:00:00:3f:56:78',
  coach: '70:ee:50:6a:00:01',
  schedule: '591b54a2764ff4d50d8b5795',
  coldSchedule: '5c6f7e8d9a0b1c2d3e4f5061',
};

/** One home with heating (relay, thermostat, valve), a weather station with an outdoor module, a home coach. */
function makeWorld(now) {
  const t = Math.floor(now / 1000);
  const ids = WORLD_IDS;
  const zones = [
    { id: 0, type: 0, name: 'Comfort', rooms: [{ id: ids.livingRoom, therm_setpoint_temperature: 20 }] },
    { id: 1, type: 1, name: 'Night', rooms: [{ id: ids.livingRoom, therm_setpoint_temperature: 17 }] },
  ];
  return {
    home: {
      id: ids.home,
      name: 'Home',
      altitude: 35,
      coordinates: [2.35, 48.85],
      country: 'FR',
      timezone: 'Europe/Paris',
      therm_mode: 'schedule',
      therm_setpoint_default_duration: 180,
      rooms: [
        { id: ids.livingRoom, name: 'Living room', type: 'livingroom', module_ids: [ids.thermostat] },
        { id: ids.bedroom, name: 'Bedroom', type: 'bedroom', module_ids: [ids.valve] },
      ],
      modules: [
        { id: ids.relay, type: 'NAPlug', name: 'Relay', setup_date: 1577836800, modules_bridged: [ids.thermostat, ids.valve] },
        { id: ids.thermostat, type: 'NATherm1', name: 'Thermostat', setup_date: 1577836800, room_id: ids.livingRoom, bridge: ids.relay },
        { id: ids.valve, type: 'NRV', name: 'Bedroom valve', setup_date: 1577836800, room_id: ids.bedroom, bridge: ids.relay },
      ],
      schedules: [
        {
          id: ids.schedule,
          name: 'Standard',
          type: 'therm',
          selected: true,
          zones,
          timetable: [
            { zone_id: 1, m_offset: 0 },
            { zone_id: 0, m_offset: 420 },
          ],
        },
        { id: ids.coldSchedule, name: 'Cold', type: 'therm', zones, timetable: [{ zone_id: 0, m_offset: 0 }] },
      ],
    },
    rooms: {
      [ids.livingRoom]: { measured: 20.4, setpoint: 20, mode: 'schedule', end: undefined },
      [ids.bedroom]: { measured: 17.8, setpoint: 17, mode: 'schedule', end: undefined },
    },
    station: {
      _id: ids.station,
      type: 'NAMain',
      station_name: 'Home (Indoor)',
      module_name: 'Indoor',
      date_setup: 1577836800,
      firmware: 202,
      wifi_status: 52,
      reachable: true,
      co2_calibrating: false,
      data_type: ['Temperature', 'CO2', 'Humidity', 'Noise', 'Pressure'],
      place: { altitude: 35, city: 'Paris', country: 'FR', timezone: 'Europe/Paris', location: [2.35, 48.85] },
      dashboard_data: {
        time_utc: t - 120,
        Temperature: 21.3,
        CO2: 612,
        Humidity: 48,
        Noise: 38,
        Pressure: 1018.2,
        AbsolutePressure: 1013.9,
        min_temp: 20.1,
        max_temp: 21.9,
        date_min_temp: t - 20000,
        date_max_temp: t - 3000,
        temp_trend: 'stable',
        pressure_trend: 'up',
      },
      modules: [
        {
          _id: ids.outdoor,
          type: 'NAModule1',
          module_name: 'Outdoor',
          data_type: ['Temperature', 'Humidity'],
          battery_percent: 78,
          rf_status: 62,
          reachable: true,
          firmware: 50,
          last_seen: t - 150,
          dashboard_data: { time_utc: t - 150, Temperature: 8.4, Humidity: 81, min_temp: 5.2, max_temp: 9.9, temp_trend: 'down' },
        },
      ],
    },
    coach: {
      _id: ids.coach,
      type: 'NHC',
      station_name: 'Office',
      reachable: true,
      data_type: ['Temperature', 'CO2', 'Humidity', 'Noise', 'Pressure', 'health_idx'],
      dashboard_data: { time_utc: t - 300, Temperature: 22.1, CO2: 830, Humidity: 44, Noise: 41, Pressure: 1018, health_idx: 1 },
    },
  };
}

const { HOME_READ: READ_HOME, HOME_WRITE: WRITE_HOME } = require('../helpers/netatmo-scopes');
const USER = {
  email: 'user@example.com',
  language: 'en-US',
  locale: 'en-US',
  feel_like_algorithm: 0,
  unit_pressure: 0,
  unit_system: 0,
  unit_wind: 0,
};

const badRequest = (code, message) => withCode(json(400, { error: { code, message } }), code);
function withCode(reply, code) {
  reply.code = code;
  return reply;
}
function apiFail(code, message) {
  return Object.assign(new Error(message), { apiCode: code });
}
function knownHome(world, id) {
  if (id !== world.home.id) throw apiFail(9, 'Device not found');
}
function knownRoom(world, id) {
  if (!world.rooms[id]) throw apiFail(9, 'Device not found');
}
function number(v, what) {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n)) throw apiFail(21, `Invalid ${what}`);
  return n;
}

/** name -> { scopes (one of), required, json (params from a JSON body), run(params, now) -> answer fields }. */
const DEVICE_API = {
  homesdata: {
    scopes: READ_HOME,
    run(p) {
      if (p.home_id !== undefined) knownHome(this.world, p.home_id);
      return { body: { homes: [this.world.home], user: { ...USER, id: this.userId } } };
    },
  },
  homestatus: {
    scopes: READ_HOME,
    required: ['home_id'],
    run(p, now) {
      const w = this.world;
      knownHome(w, p.home_id);
      const rooms = Object.entries(w.rooms).map(([id, r]) => ({
        id,
        reachable: true,
        therm_measured_temperature: r.measured,
        therm_setpoint_temperature: r.setpoint,
        therm_setpoint_mode: r.mode,
        therm_setpoint_start_time: Math.floor(now / 1000) - 600,
        ...(r.end ? { therm_setpoint_end_time: r.end } : {}),
      }));
      const modules = w.home.modules
        .filter((m) => !this.unreachable.has(m.id))
        .map((m) =>
          m.type === 'NAPlug'
            ? { id: m.id, type: m.type, firmware_revision: 174, rf_strength: 107, wifi_strength: 42 }
            : {
                id: m.id,
                type: m.type,
                battery_level: 3200,
                battery_state: 'full',
                boiler_status: m.type === 'NATherm1',
                reachable: true,
                rf_strength: 60,
              },
        );
      const errors = [...this.unreachable].filter((id) => w.home.modules.some((m) => m.id === id)).map((id) => ({ code: 6, id }));
      return { body: { home: { id: w.home.id, rooms, modules }, ...(errors.length ? { errors } : {}) } };
    },
  },
  getevents: {
    scopes: ['read_camera', 'read_presence', 'read_doorbell', 'read_smokedetector', 'read_carbonmonoxidedetector'],
    required: ['home_id'],
    run(p) {
      knownHome(this.world, p.home_id);
      return { body: { home: { id: p.home_id, events: [] } } };
    },
  },
  getstationsdata: {
    scopes: ['read_station'],
    run(p) {
      const s = this.world.station;
      if (p.device_id !== undefined && p.device_id !== s._id) throw apiFail(9, 'Device not found');
      return { body: { devices: [s], user: { mail: USER.email, administrative: { lang: 'en', unit: 0, windunit: 0, pressureunit: 0 } } } };
    },
  },
  getmeasure: {
    scopes: ['read_station', 'read_thermostat', 'read_homecoach'],
    required: ['device_id', 'scale', 'type'],
    run(p, now) {
      const w = this.world;
      const devices = [w.station._id, w.coach._id, w.home.modules[0].id];
      const modules = [w.station._id, ...w.station.modules.map((m) => m._id), ...w.home.modules.map((m) => m.id)];
      if (!devices.includes(p.device_id) || (p.module_id !== undefined && !modules.includes(p.module_id))) {
        throw apiFail(9, 'Device not found');
      }
      return measureAnswer(p, now, { id: p.module_id ?? p.device_id, gaps: this.measureGaps });
    },
  },
  getroommeasure: {
    scopes: ['read_thermostat'],
    required: ['home_id', 'room_id', 'scale', 'type'],
    run(p, now) {
      knownHome(this.world, p.home_id);
      knownRoom(this.world, p.room_id);
      return measureAnswer(p, now, { id: p.room_id, gaps: this.measureGaps, allowMax: false });
    },
  },
  gethomecoachsdata: {
    scopes: ['read_homecoach'],
    run(p) {
      if (p.device_id !== undefined && p.device_id !== this.world.coach._id) throw apiFail(9, 'Device not found');
      return { body: { devices: [this.world.coach], user: { mail: USER.email } } };
    },
  },
  setroomthermpoint: {
    scopes: ['write_thermostat'],
    required: ['home_id', 'room_id', 'mode'],
    run(p, now) {
      const w = this.world;
      knownHome(w, p.home_id);
      knownRoom(w, p.room_id);
      const room = w.rooms[p.room_id];
      if (p.mode === 'manual') {
        if (p.temp === undefined) throw apiFail(10, 'Missing arguments');
        const temp = number(p.temp, 'temp');
        if (temp < 7 || temp > 30) throw apiFail(21, 'Invalid temp');
        Object.assign(room, {
          mode: 'manual',
          setpoint: temp,
          end: p.endtime ? number(p.endtime, 'endtime') : Math.floor(now / 1000) + 10800,
        });
      } else if (p.mode === 'max') {
        Object.assign(room, { mode: 'max', setpoint: 30, end: Math.floor(now / 1000) + 1800 });
      } else if (p.mode === 'home') {
        Object.assign(room, { mode: 'schedule', setpoint: 20, end: undefined });
      } else {
        throw apiFail(21, 'Invalid mode');
      }
      return {};
    },
  },
  setthermmode: {
    scopes: ['write_thermostat'],
    required: ['home_id', 'mode'],
    run(p) {
      knownHome(this.world, p.home_id);
      if (!['schedule', 'away', 'hg'].includes(p.mode)) throw apiFail(21, 'Invalid mode');
      this.world.home.therm_mode = p.mode;
      return {};
    },
  },
  switchhomeschedule: {
    scopes: ['write_thermostat'],
    required: ['home_id', 'schedule_id'],
    run(p) {
      knownHome(this.world, p.home_id);
      const schedules = this.world.home.schedules;
      if (!schedules.some((s) => s.id === p.schedule_id)) throw apiFail(9, 'Schedule not found');
      for (const s of schedules) s.selected = s.id === p.schedule_id;
      return {};
    },
  },
  setstate: {
    scopes: WRITE_HOME,
    required: ['home'],
    json: true,
    run(p) {
      const home = p.home;
      if (!home || typeof home !== 'object' || !Array.isArray(home.modules)) throw apiFail(21, 'Invalid home');
      knownHome(this.world, home.id);
      const errors = [];
      for (const m of home.modules) {
        if (!m || !this.world.home.modules.some((x) => x.id === m.id)) throw apiFail(9, 'Device not found');
        if (this.unreachable.has(m.id)) errors.push({ code: 6, id: m.id });
      }
      return errors.length ? { body: { errors } } : {};
    },
  },
  synchomeschedule: {
    scopes: ['write_thermostat'],
    required: ['home_id', 'timetable', 'zones'],
    json: true,
    run(p) {
      knownHome(this.world, p.home_id);
      if (!Array.isArray(p.timetable) || !Array.isArray(p.zones)) throw apiFail(21, 'Invalid argument');
      return {};
    },
  },
};

// ---------------------------------------------------------------- Netatmo's shapes, as others recorded them

/** Pretty-printed with CRLF, as some of Netatmo's answers come. */
const crlf = (value) => JSON.stringify(value, null, 4).replace(/\n/g, '\r\n');
const shape = (status, value, { pretty = false, headers } = {}) => ({
  status,
  headers,
  body: pretty ? crlf(value) : JSON.stringify(value),
});

/**
 * Answers Netatmo really sends, beyond the ones the simulator makes itself (sources: Home Assistant core
 * issues #82409, #79627, #79581, #178195, pyatmo #547 and its fixtures). For `sim.answerWith(endpoint, reply)`.
 */
const SHAPES = {
  /** Older rate limit answers: 403 with code 26, pretty-printed with CRLF. */
  rateLimit403: () => shape(403, { error: { code: 26, message: 'User usage reached' } }, { pretty: true }),
  rateLimit429: (headers) =>
    shape(429, { error: { code: 26, message: 'API limit exceeded. This could be your Application limit or User limit.' } }, { headers }),
  /** Netatmo's firewall, not the user's quota. */
  concurrency429: () => shape(429, { error: { code: 11, message: 'Failed to enter concurrency limited section' } }),
  /** Code 13 for a refusal of a login that holds write_thermostat. */
  setpointRefused: () => shape(403, { error: { code: 13, message: "Couldn't apply setpoint" } }),
  nothingToUpdate: () => shape(406, { error: { code: 7, message: 'Nothing to update' } }),
  internal0: () => shape(500, { error: { code: 0, message: 'Internal Server Error' } }),
  /** A read answered without `body`. */
  withoutBody: () => shape(200, { status: 'ok', time_exec: 0.012 }),
  /** No `status` nor `time_server`, but `time_exec`. */
  execOnly: (body) => shape(200, { body, time_exec: 0.034 }),
  /** homestatus of a home whose relay is disconnected: only the home's id, and errors. */
  relayDisconnected: (homeId, relayId) =>
    shape(
      200,
      { body: { home: { id: homeId }, errors: [{ code: 6, id: relayId }] }, status: 'ok', time_server: 1700000000 },
      { pretty: true },
    ),
  /** setstate partial failure: Netatmo's own code and message per module. */
  alreadyOn: (moduleId) =>
    shape(200, {
      body: { errors: [{ code: 23, message: 'Already on', id: moduleId, command: 'on' }] },
      status: 'ok',
      time_server: 1700000000,
    }),
  /** getmeasure with nulls and `$n` type suffixes (energy), optimized form. */
  measureOptimized: () =>
    shape(200, {
      body: [
        {
          beg_time: 1700000000,
          step_time: 1800,
          value: [
            [12.5, null],
            [null, 3],
            [11, 4],
          ],
        },
      ],
      status: 'ok',
      time_server: 1700100000,
    }),
  /** The same, keyed by timestamp (optimize=false). */
  measureKeyed: () =>
    shape(200, { body: { 1700000000: [12.5, null], 1700001800: [null, 3] }, status: 'ok', time_exec: 0.05, time_server: 1700100000 }),
};

// ---------------------------------------------------------------- simulator

class NetatmoSimulator {
  constructor(options = {}) {
    this.ttlSeconds = options.ttlSeconds ?? 10800;
    this.codeTtlSeconds = options.codeTtlSeconds ?? 600;
    this.now = options.now || Date.now;
    this.log = Boolean(options.log);
    this.acceptAnyClient = Boolean(options.acceptAnyClient);
    // The device API (realistic homes, stations, scopes, parameters, per-user limits): opt-in, so that
    // suites written against the generic `{homes: []}` answer keep it.
    this.devices = Boolean(options.devices);
    this.apiLimits = options.apiLimits ?? (this.devices ? NETATMO_USER_LIMITS : []);
    this.world = makeWorld(this.now());
    // One simulator, one Netatmo user: every login (account, app) is this user, counted by one budget.
    this.userId = options.userId ?? randomHex(12);
    this.userApiTimes = [];
    this.unreachable = new Set(); // module ids reported in body.errors (code 6)
    this.measureGaps = []; // [{from, to, id?}] epoch seconds: history rows missing (test/simulator/measure.js)
    this.delayMs = 0;
    this.clients = new Map();
    this.codes = new Map(); // code -> { clientId, redirectUri, scope, expiresAt }
    this.grantsByRefresh = new Map(); // current refresh token -> grant { clientId, scope, refreshToken }
    this.accessTokens = new Map(); // access token -> { expiresAt }
    this.issued = new Set();
    this.faults = [];
    this.sockets = new Set();
    this.stats = {};
    this.resetStats();
    for (const [id, secret] of Object.entries(options.clients || {})) this.addClient(id, secret);
    // Webhooks (test/simulator-webhooks.js): registered per app, deliveries signed with the app's secret.
    this.webhooks = new WebhookSim({ secretOf: (id) => this.clients.get(id), now: () => this.now(), route: options.webhookRoute });
  }

  // ----- public API

  addClient(id, secret) {
    this.clients.set(id, secret);
    this.issued.add(secret);
  }

  setTtl(seconds) {
    this.ttlSeconds = seconds;
  }

  issueCode({ clientId, redirectUri, scope } = {}) {
    const code = this.remember(randomHex(16));
    const expiresAt = this.now() + this.codeTtlSeconds * 1000;
    this.codes.set(code, { clientId, redirectUri, scope: parseScope(scope), expiresAt });
    return code;
  }

  issueTokens({ clientId, scope } = {}) {
    return this.rotate({ clientId, scope: parseScope(scope), refreshToken: undefined });
  }

  /** issueTokens, shaped as the TokenSet our store keeps: obtained at `now`, expiry in ms since epoch. */
  issueTokenSet({ clientId, scope, now = this.now() } = {}) {
    const r = this.issueTokens({ clientId, scope });
    return {
      access_token: r.access_token,
      refresh_token: r.refresh_token,
      scope: r.scope,
      obtained_at: now,
      expires_at: now + r.expires_in * 1000,
    };
  }

  injectFault(kind, { count = 1, path = '/oauth2/token', retryAfter, reply } = {}) {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind: ${kind}`);
    if (kind === 'answer' && !reply) throw new Error('the answer fault needs a reply');
    if (count > 0) this.faults.push({ kind, remaining: count, path, retryAfter, reply });
  }

  /** The next `count` calls of `endpoint` get one of Netatmo's real answer shapes (see SHAPES). */
  answerWith(endpoint, reply, count = 1) {
    this.injectFault('answer', { path: `/api/${endpoint}`, reply, count });
  }

  /**
   * Holds every token request (counted, not answered) until the returned function is called:
   * lets a test act while a request is on its way, without guessing a delay.
   */
  hold() {
    if (!this.gate) {
      let release;
      const promise = new Promise((resolve) => (release = resolve));
      this.gate = { promise, release };
    }
    const gate = this.gate;
    return () => {
      if (this.gate === gate) this.gate = undefined;
      gate.release();
    };
  }

  clearFaults() {
    this.faults = [];
  }

  resetStats() {
    this.userApiTimes = []; // a new test starts with the user's budget unspent
    Object.assign(this.stats, {
      tokenRequests: 0,
      authCodeRequests: 0,
      refreshRequests: 0,
      apiRequests: 0,
      authorizePages: 0,
      faultsServed: 0,
    });
    this.deviceStats = { api429: 0, revoked: 0 }; // the device API's own counters (options.devices)
    this.apiLog = []; // one entry per /api/ request the device API saw (capped)
    this.lastTokenRequest = undefined;
    this.tokenRequestLog = [];
    if (this.webhooks) this.webhooks.reset();
  }

  isValidRefreshToken(refreshToken) {
    return this.grantsByRefresh.has(refreshToken);
  }

  currentRefreshTokens() {
    return [...this.grantsByRefresh.keys()];
  }

  issuedSecrets() {
    return [...this.issued];
  }

  async listen(port = 0) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => send(res, json(500, { error: { code: 500, message: String(err.message) } })));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, HOST, resolve);
    });
    this.port = this.server.address().port;
    this.url = `http://${HOST}:${this.port}`;
    return this;
  }

  close() {
    if (this.gate) this.gate.release();
    this.gate = undefined;
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  // ----- request handling

  async handle(req, res) {
    const url = new URL(req.url, this.url);
    if (this.log) console.log(`[netatmo-sim] ${req.method} ${url.pathname}`);
    const body = await readBody(req);
    const ctx = { method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body };
    ctx.form = parseForm(req.headers, body);
    this.count(ctx);
    const fault = this.takeFault(ctx.path);
    if (ctx.path === '/oauth2/token' && this.delayMs > 0) await sleep(this.delayMs);
    if (ctx.path === '/oauth2/token' && this.gate) await this.gate.promise;

    const kind = fault && fault.kind;
    if (kind === 'hang') return; // the socket is destroyed by close()
    if (kind === 'reset') return req.socket.destroy();
    if (FAULT_REPLIES[kind]) return send(res, FAULT_REPLIES[kind](fault));

    const reply = this.route(ctx); // the real thing: codes are consumed, tokens rotate
    if (kind === 'lost') return req.socket.destroy();
    if (kind === 'truncated') reply.body = reply.body.slice(0, Math.floor(reply.body.length / 2));
    send(res, reply);
  }

  count({ method, path, form }) {
    if (path === '/oauth2/token' && method === 'POST') {
      this.stats.tokenRequests++;
      if (form.grant_type === 'authorization_code') this.stats.authCodeRequests++;
      if (form.grant_type === 'refresh_token') this.stats.refreshRequests++;
      this.lastTokenRequest = { ...form };
      this.tokenRequestLog.push({ grant_type: form.grant_type, at: this.now() });
    } else if (path.startsWith('/api/')) {
      this.stats.apiRequests++;
    } else if (path === '/oauth2/authorize') {
      this.stats.authorizePages++;
    }
  }

  takeFault(path) {
    const fault = this.faults.find((f) => path.startsWith(f.path));
    if (!fault) return undefined;
    if (--fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    this.stats.faultsServed++;
    return fault;
  }

  route(ctx) {
    const { method, path } = ctx;
    if (path === '/oauth2/token') return method === 'POST' ? this.token(ctx.form) : invalidGrantType();
    if (path === '/oauth2/authorize' && method === 'GET') return this.authorizePage(ctx.query);
    if (path === '/oauth2/authorize/decide' && method === 'GET') return this.decide(ctx.query);
    if (path === '/_control/webhook/send' && method === 'POST') return json(...this.webhooks.control(ctx.query));
    if (path.startsWith('/api/')) return this.api(ctx);
    return json(404, { error: { code: 404, message: 'Not found' } });
  }

  // ----- /oauth2/authorize

  authorizeParams(query) {
    const params = compact({
      client_id: query.get('client_id'),
      redirect_uri: query.get('redirect_uri'),
      scope: query.get('scope'),
      state: query.get('state'),
    });
    if (!this.isKnownClient(params.client_id)) return { problem: errorPage('invalid_client', 'Unknown application') };
    if (!params.redirect_uri) return { problem: errorPage('invalid_request', 'Missing redirect_uri') };
    return { params };
  }

  authorizePage(query) {
    const { params, problem } = this.authorizeParams(query);
    if (problem) return problem;
    const link = (decision) => escapeHtml(`/oauth2/authorize/decide?${querystring.stringify({ ...params, decision })}`);
    const scopes = parseScope(params.scope)
      .map((s) => `<li>${escapeHtml(s)}</li>`)
      .join('');
    return html(
      200,
      page(
        'Netatmo simulator - authorization',
        `<p>The application <strong id="client-id">${escapeHtml(params.client_id)}</strong> requests access to:</p>` +
          `<ul id="scopes">${scopes}</ul>` +
          `<p><a id="accept" href="${link('accept')}">Accept</a> <a id="refuse" href="${link('refuse')}">Refuse</a></p>`,
      ),
    );
  }

  decide(query) {
    const { params, problem } = this.authorizeParams(query);
    if (problem) return problem;
    const outcome =
      query.get('decision') === 'accept'
        ? { code: this.issueCode({ clientId: params.client_id, redirectUri: params.redirect_uri, scope: params.scope }) }
        : { error: 'access_denied' };
    return redirect(appendQuery(params.redirect_uri, { ...compact({ state: params.state }), ...outcome }));
  }

  // ----- /oauth2/token

  token(form) {
    if (form.grant_type === 'authorization_code') return this.exchangeCode(form);
    if (form.grant_type === 'refresh_token') return this.refresh(form);
    return invalidGrantType();
  }

  exchangeCode({ client_id, client_secret, code, redirect_uri }) {
    const entry = this.codes.get(code);
    this.codes.delete(code); // single use, even if the call fails
    if (!this.checkClient(client_id, client_secret)) return oauthError('invalid_client');
    const valid = entry && entry.expiresAt > this.now() && entry.clientId === client_id && entry.redirectUri === redirect_uri;
    if (!valid) return oauthError('invalid_grant');
    return json(200, this.rotate({ clientId: client_id, scope: entry.scope, refreshToken: undefined }));
  }

  refresh({ client_id, client_secret, refresh_token }) {
    if (!this.checkClient(client_id, client_secret)) return oauthError('invalid_client');
    const grant = this.grantsByRefresh.get(refresh_token);
    if (!grant || grant.clientId !== client_id) return oauthError('invalid_grant');
    return json(200, this.rotate(grant));
  }

  /** New access + refresh token for a grant; its previous refresh token dies at once. */
  rotate(grant) {
    this.grantsByRefresh.delete(grant.refreshToken);
    grant.refreshToken = this.remember(newToken(this.userId));
    this.grantsByRefresh.set(grant.refreshToken, grant);
    const accessToken = this.remember(newToken(this.userId));
    this.accessTokens.set(accessToken, { expiresAt: this.now() + this.ttlSeconds * 1000, grant });
    const ttl = this.ttlSeconds;
    return { access_token: accessToken, refresh_token: grant.refreshToken, scope: [...grant.scope], expires_in: ttl, expire_in: ttl };
  }

  isKnownClient(id) {
    return Boolean(id) && (this.acceptAnyClient || this.clients.has(id));
  }

  checkClient(id, secret) {
    if (this.acceptAnyClient && id && secret) this.addClient(id, secret);
    return Boolean(id && secret) && this.clients.get(id) === secret;
  }

  remember(secret) {
    this.issued.add(secret);
    return secret;
  }

  // ----- /api/...

  api(ctx) {
    const { headers, query, form } = ctx;
    const token = bearerToken(headers.authorization) || query.get('access_token') || form.access_token;
    if (!token) return apiError(1, 'Access token is missing');
    const entry = this.accessTokens.get(token);
    if (!entry) return apiError(2, 'Invalid access token');
    if (entry.revoked || this.refuseEveryToken) return apiError(2, 'Invalid access token');
    if (entry.expiresAt <= this.now()) return apiError(3, 'Access token expired');
    const name = ctx.path.slice('/api/'.length);
    if (name === 'addwebhook' || name === 'dropwebhook') {
      const [status, body] = this.webhooks.handle(name, { ...Object.fromEntries(query), ...form }, entry.grant);
      return withCode(json(status, body), body.error && body.error.code);
    }
    if (this.devices) return this.deviceApi(ctx, entry.grant);
    return json(200, { body: { homes: [] }, status: 'ok', time_server: Math.floor(this.now() / 1000) });
  }

  // ----- device API (options.devices)

  /** Netatmo refuses every access token issued so far before its expiry (a re-authorization elsewhere). */
  revokeAccessTokens() {
    let n = 0;
    for (const entry of this.accessTokens.values()) {
      if (!entry.revoked) n++;
      entry.revoked = true;
    }
    this.deviceStats.revoked += n;
    return n;
  }

  /** A module that stops answering: homestatus and setstate report it in body.errors (code 6). */
  setUnreachable(moduleId, unreachable = true) {
    if (unreachable) this.unreachable.add(moduleId);
    else this.unreachable.delete(moduleId);
  }

  /** The most API requests that arrived within any `windowMs` (over apiLog). */
  maxApiInWindow(windowMs) {
    const at = this.apiLog.map((e) => e.at).sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while (at[i] - at[j] >= windowMs) j++;
      best = Math.max(best, i - j + 1);
    }
    return best;
  }

  deviceApi(ctx, grant) {
    const name = ctx.path.slice('/api/'.length);
    const type = String(ctx.headers['content-type'] || '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    let body;
    if (type === 'application/json') {
      try {
        body = JSON.parse(ctx.body || 'null');
      } catch {
        body = undefined;
      }
    }
    const entry = {
      at: this.now(),
      method: ctx.method,
      endpoint: name,
      contentType: type,
      query: Object.fromEntries(ctx.query),
      form: type === FORM_TYPE ? { ...ctx.form } : undefined,
      json: body,
    };
    if (this.apiLog.length >= 50_000) this.apiLog.shift();
    this.apiLog.push(entry);
    const reply = this.deviceReply(name, ctx, grant, entry, body);
    entry.status = reply.status;
    entry.code = reply.code;
    return reply;
  }

  deviceReply(name, ctx, grant, entry, body) {
    // Per user, as Netatmo counts (whichever login or app calls): every request with a valid token, refused ones included.
    const times = this.userApiTimes;
    const now = entry.at;
    const over = this.apiLimits.some((l) => times.filter((t) => t > now - l.windowMs).length >= l.limit);
    times.push(now);
    const horizon = Math.max(0, ...this.apiLimits.map((l) => l.windowMs));
    while (times.length && times[0] <= now - horizon) times.shift();
    if (over) {
      this.deviceStats.api429++;
      return withCode(json(429, { error: { code: 26, message: 'User usage reached' } }), 26);
    }
    const handler = DEVICE_API[name];
    if (!handler) return json(200, { body: { homes: [] }, status: 'ok', time_server: Math.floor(now / 1000) });
    if (!handler.scopes.some((s) => grant.scope.includes(s))) {
      return withCode(apiError(13, 'Application does not have the good scope rights'), 13);
    }
    const params = handler.json ? (body && typeof body === 'object' ? body : {}) : { ...Object.fromEntries(ctx.query), ...ctx.form };
    const missing = (handler.required || []).filter((k) => params[k] === undefined || params[k] === '');
    if (missing.length) return badRequest(10, 'Missing arguments');
    try {
      const out = handler.run.call(this, params, now);
      return json(200, { status: 'ok', time_server: Math.floor(now / 1000), ...out });
    } catch (err) {
      if (err.apiCode) return badRequest(err.apiCode, err.message);
      throw err;
    }
  }
}

async function startSimulator(options = {}) {
  return new NetatmoSimulator(options).listen(options.port || 0);
}

// ---------------------------------------------------------------- standalone

function parseArgs(argv) {
  const options = { clients: {}, log: true, port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value after ${argv[i]}`);
      return argv[++i];
    };
    const number = () => {
      const value = Number(next());
      if (!Number.isInteger(value) || value < 0) throw new Error(`${argv[i - 1]} expects a non-negative integer`);
      return value;
    };
    switch (argv[i]) {
      case '--port':
        options.port = number();
        break;
      case '--ttl':
        options.ttlSeconds = number();
        break;
      case '--code-ttl':
        options.codeTtlSeconds = number();
        break;
      case '--any-client':
        options.acceptAnyClient = true;
        break;
      case '--devices':
        options.devices = true;
        break;
      case '--quiet':
        options.log = false;
        break;
      case '--client': {
        const value = next();
        const colon = value.indexOf(':');
        if (colon <= 0 || colon === value.length - 1) throw new Error('--client expects ID:SECRET');
        options.clients[value.slice(0, colon)] = value.slice(colon + 1);
        break;
      }
      default:
        throw new Error(`unknown argument: ${argv[i]}`);
    }
  }
  if (!Object.keys(options.clients).length) options.clients[DEFAULT_CLIENT.id] = DEFAULT_CLIENT.secret;
  return options;
}

async function main(argv) {
  let options;
  try {
    options = parseArgs(argv);
  } catch (err) {
    console.error(
      `${err.message}\nusage: node test/simulator.js [--port N] [--client ID:SECRET]... [--ttl S] [--code-ttl S] [--any-client] [--devices] [--quiet]`,
    );
    process.exit(2);
  }
  const sim = await startSimulator(options);
  console.log(`Netatmo simulator listening on ${sim.url}`);
  const stop = () => sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { startSimulator, NetatmoSimulator, FAULT_KINDS, DEFAULT_CLIENT, NETATMO_USER_LIMITS, WORLD_IDS, SHAPES };
