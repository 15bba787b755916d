'use strict';
/** Shared pieces of the webhook tests: signed bodies per family, a collector of flow outputs, a deploy. */
const crypto = require('node:crypto');
const http = require('node:http');

const sign = (secret, raw) => crypto.createHmac('sha256', secret).update(raw).digest('hex');

const { FAMILY_BODIES } = require('../simulator/webhooks');

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
