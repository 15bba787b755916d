#!/usr/bin/env node
'use strict';
/**
 * Benchmarks of the netatmo-event endpoint in a real Node-RED 4 process (test/helpers/nodered-process.js,
 * default settings: httpAdminRoot and httpNodeRoot both `/`), driven over HTTP on 127.0.0.1:
 *   1. throughput: signed events to POST /netatmo-tokens/webhook/<id> (checked, parsed, deduplicated,
 *      emitted to a sink) against `http in (POST, JSON parsed) -> http response` on the same runtime;
 *      rounds alternate A B B A, 32 requests in flight, keep-alive; target >= 0.8 of the pair
 *   2. the 200 while the flow is slow: the event node's flow takes 2 s per event (async); events at a
 *      steady 100/s for 5 s; p50 / p99 / max of the answer's time; target p99 < 50 ms
 *
 *   npm run build && node bench/events.js            (npm run bench:events)
 * Prints a table, then as its LAST line one JSON object with every figure. A missed target is reported (MISS).
 */
const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const { startNodeRed } = require(path.join(REPO, 'test', 'helpers', 'nodered-process.js'));
const { deploy, endpointReady } = require(path.join(REPO, 'test', 'helpers', 'events.js'));

const SECRET = 'bench-client-secret-0123456789';
const ROUNDS = Number(process.env.BENCH_ROUNDS || 4);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND || 3000);
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
  return { raw, headers: { 'X-Netatmo-Secret': crypto.createHmac('sha256', SECRET).update(raw).digest('hex') } };
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

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const median = (xs) => pct(xs, 50);

async function main() {
  const red = await startNodeRed({ settings: { logging: { console: { level: 'warn', metrics: false, audit: false } } } });
  try {
    await deploy(red, [
      {
        id: 'acc1',
        type: 'netatmo-account',
        name: 'bench',
        scope: 'read_camera',
        redirectUri: 'http://localhost/',
        credentials: { clientId: 'bench-client', clientSecret: SECRET },
      },
      { id: 'ev', type: 'netatmo-event', z: 'tab1', account: 'acc1', filter: '', wires: [['sink']] },
      { id: 'sink', type: 'junction', z: 'tab1', wires: [] },
      { id: 'slow', type: 'netatmo-event', z: 'tab1', account: 'acc2', filter: '', wires: [['wait']] },
      {
        id: 'acc2',
        type: 'netatmo-account',
        name: 'slow',
        scope: 'read_camera',
        redirectUri: 'http://localhost/',
        credentials: { clientId: 'bench-client', clientSecret: SECRET },
      },
      { id: 'wait', type: 'function', z: 'tab1', func: 'setTimeout(() => node.send(msg), 2000);\nreturn null;', outputs: 1, wires: [[]] },
      { id: 'in', type: 'http in', z: 'tab1', url: '/plain', method: 'post', upload: false, swaggerDoc: '', wires: [['res']] },
      { id: 'res', type: 'http response', z: 'tab1', statusCode: '200', headers: {}, wires: [] },
    ]);
    const hook = `${red.url}/netatmo-tokens/webhook/acc1`;
    await endpointReady(hook);
    await endpointReady(`${red.url}/netatmo-tokens/webhook/acc2`);
    // Warm-up, then rounds A B B A.
    await drive(hook, Array.from({ length: 500 }, signedEvent));
    await drive(`${red.url}/plain`, Array.from({ length: 500 }, signedEvent));
    const ev = [];
    const plain = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 ? ['plain', 'ev'] : ['ev', 'plain'];
      for (const which of order) {
        const items = Array.from({ length: PER_ROUND }, signedEvent);
        if (which === 'ev') ev.push(await drive(hook, items));
        else plain.push(await drive(`${red.url}/plain`, items));
      }
    }
    const ratio = median(ev) / median(plain);

    // The 200 while the flow takes 2 s per event, and the same pace on the fast flow (the machine's own noise).
    const times = await paced(`${red.url}/netatmo-tokens/webhook/acc2`);
    const base = await paced(hook);

    const figures = {
      events_per_s: Math.round(median(ev)),
      http_in_per_s: Math.round(median(plain)),
      ratio: Number(ratio.toFixed(3)),
      rounds_events: ev.map(Math.round),
      rounds_http_in: plain.map(Math.round),
      slow_flow_p50_ms: Number(median(times).toFixed(2)),
      slow_flow_p99_ms: Number(pct(times, 99).toFixed(2)),
      slow_flow_max_ms: Number(Math.max(...times).toFixed(2)),
      fast_flow_p50_ms: Number(median(base).toFixed(2)),
      fast_flow_p99_ms: Number(pct(base, 99).toFixed(2)),
    };
    const mark = (ok) => (ok ? 'ok' : 'MISS');
    console.log(`| case | figure | target |`);
    console.log(`| --- | --- | --- |`);
    console.log(
      `| signed events vs http in -> http response, ${ROUNDS} rounds x ${PER_ROUND}, ${IN_FLIGHT} in flight | ${figures.events_per_s} vs ${figures.http_in_per_s} req/s, ratio ${figures.ratio} | >= 0.8 ${mark(ratio >= 0.8)} |`,
    );
    console.log(
      `| the 200 while the flow takes 2 s per event, 100 events/s for 5 s | p50 ${figures.slow_flow_p50_ms} ms, p99 ${figures.slow_flow_p99_ms} ms, max ${figures.slow_flow_max_ms} ms | p99 < 50 ms ${mark(figures.slow_flow_p99_ms < 50)} |`,
    );
    console.log(
      `| the same pace on a flow that takes no time (the machine's noise) | p50 ${figures.fast_flow_p50_ms} ms, p99 ${figures.fast_flow_p99_ms} ms | |`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    agent.destroy();
    await red.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
