'use strict';
/**
 * The webhook side of the Netatmo simulator (test/simulator.js hands it /api/addwebhook, /api/dropwebhook
 * and POST /_control/webhook/send):
 *   - addwebhook registers the app's URL for the user (400 code 21 for a bad URL or a port outside 80, 88,
 *     443, 9443), then delivers `webhook_activation`; dropwebhook removes it (406 code 7 when none);
 *   - on a control call it delivers events signed with the app's client secret (one per family, or a given
 *     body), a wrongly signed one, a replay, a burst;
 *   - each delivery waits at most 10 s for a 2xx; after 5 failures in a row the webhook is banned and
 *     nothing more is sent (it still counts as registered, as at Netatmo).
 * `route(url)` maps a registered public URL to where the test's Node-RED listens (the reverse proxy's job).
 */
const crypto = require('node:crypto');

const ALLOWED_PORTS = ['80', '88', '443', '9443'];
const BAN_AFTER = 5;
const DELIVERY_TIMEOUT_MS = 10_000;

/** One body per family, as Netatmo's backend writes them (escaped slashes, \u escapes). */
const FAMILY_BODIES = {
  lifecycle: '{"push_type":"webhook_activation","user_id":"u1"}',
  camera:
    '{"push_type":"NACamera-person","event_type":"person","event_id":"ev-cam-1","home_id":"h1","camera_id":"70:ee:50:00:00:01",' +
    '"persons":[{"id":"p1","is_known":true,"face_url":"https:\\/\\/netatmocameraimage.blob.core.windows.net\\/f"}],"message":"Alice vue \\u00e0 la maison"}',
  doorbell:
    '{"push_type":"NDB-incoming_call","event_type":"incoming_call","event_id":"ev-db-1","home_id":"h1","device_id":"70:ee:50:00:00:02"}',
  'door-tag':
    '{"push_type":"NACamera-tag_open","event_type":"tag_open","event_id":"ev-tag-1","home_id":"h1","camera_id":"70:ee:50:00:00:01","module_id":"70:ee:50:00:00:03"}',
  smoke: '{"push_type":"NSD-smoke","event_type":"smoke","event_id":"ev-sd-1","home_id":"h1","device_id":"70:ee:50:00:00:04"}',
  co: '{"push_type":"NCO-co_detected","event_type":"co_detected","event_id":"ev-co-1","home_id":"h1","device_id":"70:ee:50:00:00:05"}',
  siren:
    '{"push_type":"NIS-siren_sounding","event_type":"siren_sounding","event_id":"ev-is-1","home_id":"h1","device_id":"70:ee:50:00:00:06"}',
  alarm:
    '{"push_type":"NACamera-alarm_started","event_type":"alarm_started","event_id":"ev-al-1","home_id":"h1","camera_id":"70:ee:50:00:00:01"}',
  thermostat:
    '{"push_type":"display_change","event_type":"set_point","home_id":"h1","room_id":"r1","home":{"id":"h1","rooms":[{"id":"r1","therm_setpoint_temperature":21.5,"therm_setpoint_mode":"manual"}]}}',
  device:
    '{"push_type":"device_event","extra_params":{"event_type":"hush","home_id":"h1","device_id":"70:ee:50:00:00:07","event_id":"ev-dv-1"}}',
};

const sign = (secret, raw) => crypto.createHmac('sha256', secret).update(raw).digest('hex');

/** Netatmo's answer to a URL it refuses (HA core #40699), or undefined. */
function urlProblem(value) {
  let url;
  try {
    url = new URL(String(value || ''));
  } catch {
    return 'Invalid url';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'Invalid url';
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (!ALLOWED_PORTS.includes(port)) return 'Allowed ports for webhooks are 80, 88, 443 and 9443';
  return undefined;
}

class WebhookSim {
  constructor({ secretOf, now = Date.now, route = (url) => url } = {}) {
    this.secretOf = secretOf; // clientId -> client secret
    this.now = now;
    this.route = route;
    this.hooks = new Map(); // clientId -> { url, failures, banned, registeredAt }
    this.reset();
  }

  reset() {
    this.stats = { added: 0, dropped: 0, delivered: 0, failed: 0 };
    this.deliveries = []; // { clientId, status, ms, kind }
  }

  /** /api/addwebhook and /api/dropwebhook for a grant (a valid access token). Returns [status, body]. */
  handle(name, params, grant) {
    const ok = [200, { status: 'ok', time_server: Math.floor(this.now() / 1000) }];
    if (name === 'addwebhook') {
      const problem = urlProblem(params.url);
      if (problem) return [400, { error: { code: 21, message: problem } }];
      this.hooks.set(grant.clientId, { url: String(params.url), failures: 0, banned: false, registeredAt: this.now() });
      this.stats.added++;
      setImmediate(() => this.send(grant.clientId, { body: FAMILY_BODIES.lifecycle }).catch(() => {}));
      return ok;
    }
    if (!this.hooks.has(grant.clientId)) return [406, { error: { code: 7, message: 'Nothing to drop' } }];
    this.hooks.delete(grant.clientId);
    this.stats.dropped++;
    return ok;
  }

  registered(clientId) {
    return this.hooks.get(clientId);
  }

  /** The only registered app (most tests have one). */
  only() {
    const [id] = this.hooks.keys();
    return id;
  }

  /** Bans at once (as after 5 failures), or lifts a ban (the portal's "unban"). */
  setBanned(clientId, banned) {
    const hook = this.hooks.get(clientId);
    if (hook) Object.assign(hook, { banned, failures: 0 });
  }

  /**
   * Delivers one body (`family`'s, or `body`), signed unless `signature` says 'wrong' or 'none';
   * `times` sends it that many times (a replay), `burst` that many distinct events at once.
   * Resolves with the HTTP statuses (0: no answer within 10 s, or a refused connection); [] when banned.
   */
  async send(clientId = this.only(), { family, body, signature = 'good', times = 1, burst = 0 } = {}) {
    const hook = this.hooks.get(clientId);
    if (!hook) throw new Error(`no webhook registered for ${clientId}`);
    const bodies = burst
      ? Array.from(
          { length: burst },
          (_, i) => `{"push_type":"NOC-human","event_type":"human","event_id":"burst-${Date.now()}-${i}","home_id":"h1","camera_id":"c1"}`,
        )
      : Array.from({ length: times }, () => body ?? FAMILY_BODIES[family]);
    if (bodies.some((b) => typeof b !== 'string')) throw new Error(`unknown family ${family}`);
    return Promise.all(bodies.map((raw) => this.deliver(clientId, hook, raw, signature)));
  }

  async deliver(clientId, hook, raw, signature) {
    if (hook.banned) return -1;
    const headers = { 'Content-Type': 'application/json', 'User-Agent': 'NetatmoWebhookSimulator' };
    const secret = this.secretOf(clientId);
    if (signature === 'good') headers['X-Netatmo-Secret'] = sign(secret, raw);
    if (signature === 'wrong') headers['X-Netatmo-Secret'] = sign(`${secret}-not`, raw);
    const started = performance.now();
    let status = 0;
    try {
      const res = await fetch(this.route(hook.url), {
        method: 'POST',
        headers,
        body: raw,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      status = 0;
    }
    const ok = status >= 200 && status < 300;
    this.deliveries.push({ clientId, status, ms: performance.now() - started });
    if (ok) {
      hook.failures = 0;
      this.stats.delivered++;
    } else {
      this.stats.failed++;
      if (++hook.failures >= BAN_AFTER) hook.banned = true;
    }
    return status;
  }

  /** POST /_control/webhook/send?family=..&signature=..&times=..&burst=.. (for `npm start`): 202, delivered after. */
  control(query) {
    const clientId = query.get('client_id') || this.only();
    if (!clientId || !this.hooks.has(clientId)) return [404, { error: 'no webhook registered' }];
    const opts = {
      family: query.get('family') || 'camera',
      signature: query.get('signature') || 'good',
      times: Math.min(Number(query.get('times')) || 1, 100),
      burst: Math.min(Number(query.get('burst')) || 0, 1000),
    };
    if (!FAMILY_BODIES[opts.family]) return [400, { error: `family: one of ${Object.keys(FAMILY_BODIES).join(', ')}` }];
    this.send(clientId, opts).catch(() => {});
    return [202, { sending: opts }];
  }
}

module.exports = { WebhookSim, FAMILY_BODIES, ALLOWED_PORTS, BAN_AFTER, sign, urlProblem };
