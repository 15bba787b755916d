'use strict';
/**
 * The runtime of the events story's cases: one real Node-RED 4 process (test/helpers/nodered.js,
 * default settings: httpAdminRoot and httpNodeRoot both `/`), driven over HTTP on 127.0.0.1, with two
 * netatmo-event nodes (acc1: straight to a junction; acc2: a flow taking 2 s per event, async) and an
 * `http in (POST, JSON parsed) -> http response` pair on /plain. Not a case (its name starts with "_").
 */
const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const { CLIENT_SECRET } = require('../lib/runtime');

const REPO = path.resolve(__dirname, '..', '..');
const { startNodeRed } = require(path.join(REPO, 'test', 'helpers', 'nodered.js'));
const { deploy, endpointReady } = require(path.join(REPO, 'test', 'helpers', 'events.js'));

const IN_FLIGHT = 32;
const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function post(url, body, headers) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let seq = 0;
/** A distinct, signed camera event (bodies and signatures made before the clock starts). */
function signedEvent() {
  const raw = Buffer.from(
    `{"push_type":"NOC-human","event_type":"human","event_id":"bench-${++seq}","home_id":"h1","camera_id":"70:ee:50:00:00:01","snapshot_url":"https:\\/\\/example.net\\/s"}`,
  );
  return { raw, headers: { 'X-Netatmo-Secret': crypto.createHmac('sha256', CLIENT_SECRET).update(raw).digest('hex') } };
}

/** Sends `items` with IN_FLIGHT at a time; resolves with requests per second (every answer must be 200). */
async function drive(url, items) {
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (next < items.length) {
      const { raw, headers } = items[next++];
      const r = await post(url, raw, headers);
      if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return items.length / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** 500 events at a steady 100/s to `url`; the answer times (ms). */
async function paced(url) {
  const times = [];
  const pending = [];
  const t0 = Date.now();
  for (let i = 0; i < 500; i++) {
    const wait = t0 + i * 10 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { raw, headers } = signedEvent();
    pending.push(post(url, raw, headers).then((r) => times.push(r.ms)));
  }
  await Promise.all(pending);
  return times;
}

const account = (id, name) => ({
  id,
  type: 'netatmo-account',
  name,
  scope: 'read_camera',
  redirectUri: 'http://localhost/',
  credentials: { clientId: 'bench-client', clientSecret: CLIENT_SECRET },
});

const FLOW = [
  account('acc1', 'bench'),
  { id: 'ev', type: 'netatmo-event', z: 'tab1', account: 'acc1', filter: '', wires: [['sink']] },
  { id: 'sink', type: 'junction', z: 'tab1', wires: [] },
  { id: 'slow', type: 'netatmo-event', z: 'tab1', account: 'acc2', filter: '', wires: [['wait']] },
  account('acc2', 'slow'),
  { id: 'wait', type: 'function', z: 'tab1', func: 'setTimeout(() => node.send(msg), 2000);\nreturn null;', outputs: 1, wires: [[]] },
  { id: 'in', type: 'http in', z: 'tab1', url: '/plain', method: 'post', upload: false, swaggerDoc: '', wires: [['res']] },
  { id: 'res', type: 'http response', z: 'tab1', statusCode: '200', headers: {}, wires: [] },
];

/** Starts the process, deploys the flow, waits for both webhooks; `fn({ fast, slow, plain })` (URLs) measures. */
async function onWebhooks(fn) {
  const red = await startNodeRed({ settings: { logging: { console: { level: 'warn', metrics: false, audit: false } } } });
  try {
    await deploy(red, FLOW);
    const urls = {
      fast: `${red.url}/netatmo-tokens/webhook/acc1`,
      slow: `${red.url}/netatmo-tokens/webhook/acc2`,
      plain: `${red.url}/plain`,
    };
    await endpointReady(urls.fast);
    await endpointReady(urls.slow);
    return await fn(urls);
  } finally {
    agent.destroy();
    await red.stop();
  }
}

module.exports = { IN_FLIGHT, signedEvent, drive, paced, onWebhooks };
