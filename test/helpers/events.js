'use strict';
/** Shared pieces of the webhook tests: signed bodies per family, a collector of flow outputs, a deploy. */
const crypto = require('node:crypto');
const http = require('node:http');

const sign = (secret, raw) => crypto.createHmac('sha256', secret).update(raw).digest('hex');

/** One body per family, written as Netatmo's backend writes them (escaped slashes, \u escapes). */
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

/** An HTTP server on 127.0.0.1 keeping every JSON body POSTed to it, by path. */
function collector() {
  return new Promise((resolve) => {
    const got = [];
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        got.push({ path: req.url, at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString() || 'null') });
        res.end('ok');
      });
    });
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, got, close: () => new Promise((r) => server.close(r)) }),
    );
  });
}

/**
 * An event node whose every message the collector gets at `/<name>` as {topic, netatmo, payload}, after
 * `delayMs` (a slow flow).
 */
function watchedEventNode({ id, account = 'acc1', filter = '', allowUnsigned = false, collectorUrl, delayMs = 0, z = 'tab1' }) {
  const fn = `${id}-fn`;
  const out = `${id}-out`;
  return [
    { id, type: 'netatmo-event', z, account, filter, allowUnsigned, wires: [[fn]] },
    {
      id: fn,
      type: 'function',
      z,
      func: `msg.payload = { topic: msg.topic, netatmo: msg.netatmo, payload: msg.payload };\nsetTimeout(() => node.send(msg), ${delayMs});\nreturn null;`,
      outputs: 1,
      wires: [[out]],
    },
    { id: out, type: 'http request', z, method: 'POST', ret: 'txt', url: `${collectorUrl}/${id}`, wires: [[]] },
  ];
}

/** Deploys `nodes` on a Node-RED started by startNodeRed (no adminAuth), credentials inside as the editor sends them. */
async function deploy(red, nodes) {
  const res = await fetch(`${red.adminUrl}flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v2' },
    body: JSON.stringify({ flows: [{ id: 'tab1', type: 'tab', label: 'events' }, ...nodes] }),
  });
  if (res.status !== 200) throw new Error(`deploy: HTTP ${res.status} ${await res.text()}`);
}

/** Resolves once the account's endpoint at `url` exists (the deploy's answer can come before the flows run). */
async function endpointReady(url) {
  const { until } = require('./until');
  await until(async () => (await fetch(url, { method: 'POST', body: '{}' })).status !== 404, `${url} to exist`, 15000, 50);
}

/** POSTs a body to a webhook URL, signed with `secret` unless `signature` is given (null: no header). */
async function post(url, raw, { secret, signature, type = 'application/json' } = {}) {
  const headers = { 'Content-Type': type };
  const sig = signature === undefined ? sign(secret, raw) : signature;
  if (sig !== null) headers['X-Netatmo-Secret'] = sig;
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: raw });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

module.exports = { endpointReady, sign, FAMILY_BODIES, collector, watchedEventNode, deploy, post };
