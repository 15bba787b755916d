#!/usr/bin/env node
'use strict';
/**
 * Benchmarks of the netatmo-token node in a real, embedded Node-RED 4 runtime.
 *
 *   npm run build && node --expose-gc bench/run.js        (npm run bench)
 *
 * One Node-RED runtime (this repository's `node-red` dependency, embedded as a library,
 * admin API off) and one Netatmo simulator instance per case (test/simulator.js, on
 * 127.0.0.1; nothing talks to api.netatmo.com). Cases:
 *   1. hot path throughput: netatmo-token -> sink against change -> sink; each round sends
 *      200,000 messages through each path, alternating the paths every 10,000 (A B B A ...)
 *   2. added latency: one message at a time, token path minus change path, p50 / p99
 *   3. stampede: the flows restart on a stored token that expired; 1,000 messages at once
 *      (a) before the account read its file, (b) after it loaded the expired token
 *   4. boundary: a steady message rate across several refreshes of a 3 s token
 *   5. restart: token requests before the first message, on a store with a valid token
 *   6. soak: heap growth over 1,000,000 messages (forced GC before and after)
 *   7-9. the netatmo-api node (apiBench, at the end of this file): throughput against
 *      netatmo-token -> http request, a burst against the rate budget, an early revocation
 * Prints a table, then as its LAST line one JSON object with every figure. A target
 * that is missed is reported (MISS), never thrown.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

// Forced GCs before and after the soak need --expose-gc: re-run ourselves with it if missing.
if (typeof global.gc !== 'function') {
  const r = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const REPO = path.resolve(__dirname, '..');
const DIST_STORE = path.join(REPO, 'dist', 'core', 'store.js');
if (!fs.existsSync(DIST_STORE) || !fs.existsSync(path.join(REPO, 'dist', 'nodes', 'netatmo-token.js'))) {
  console.error('bench: dist/ is missing; build first: npx tsc -p .');
  process.exit(2);
}
const { TokenStore } = require(DIST_STORE);
const { startSimulator } = require(path.join(REPO, 'test', 'simulator.js'));
const RED = require('node-red');

// ------------------------------------------------------------------ parameters

const QUICK = process.argv.includes('--quick'); // smoke run: same cases, smaller counts
const P = {
  tpMessages: QUICK ? 20_000 : 200_000, // per throughput run
  tpRounds: QUICK ? 2 : 5, // rounds; each sends tpMessages through each path
  tpChunk: 10_000, // a round alternates the two paths every this many messages
  tpWindow: 100, // messages in flight while measuring throughput
  latRounds: QUICK ? 2 : 10,
  latPerRound: QUICK ? 500 : 2_000, // messages per path per round, one at a time
  stampede: 1_000,
  boundaryTtlS: 3, // margin cap = TTL / 2 = 1.5 s: a refresh every 1.5 s
  boundaryMs: QUICK ? 3_500 : 8_000,
  boundaryPeriodMs: 1, // one message per timer tick
  waitMs: 1, // a message slower than this through the token node counts as having waited
  soak: QUICK ? 100_000 : 1_000_000,
};
const TARGET = { ratio: 0.95, p99Us: 50, stampede: 1, boundary: 0, restart: 0, soakMb: 5 };

const CLIENT_ID = 'bench-client-id';
const CLIENT_SECRET = 'bench-client-secret-0123456789';
const HOUR = 3_600_000;

// ------------------------------------------------------------------ helpers

const now = () => process.hrtime.bigint();
const usSince = (t0) => Number(process.hrtime.bigint() - t0) / 1000;

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile of a sorted Float64Array. */
function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`bench: ${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function gcFull() {
  global.gc();
  global.gc();
}

function heapMb() {
  gcFull();
  return process.memoryUsage().heapUsed / 1_048_576;
}

function node(id) {
  const n = RED.nodes.getNode(id);
  if (!n) throw new Error(`bench: node ${id} is not running (did our package load? see the warnings above)`);
  return n;
}

/** Writes a login for `accountId`, as if the user had authorized against `sim`. */
async function seed(store, accountId, sim, { obtainedAt, expiresAt }) {
  const issued = sim.issueTokens({ clientId: CLIENT_ID, scope: 'read_station' });
  const tokens = {
    access_token: issued.access_token,
    refresh_token: issued.refresh_token,
    scope: issued.scope,
    obtained_at: obtainedAt,
    expires_at: expiresAt ?? obtainedAt + issued.expires_in * 1000,
  };
  await store.write(accountId, { tokens });
  return tokens;
}

/**
 * Sends `n` messages into `entry`, `window` at a time (the next window leaves when the
 * sink has the whole previous one), and returns messages per second.
 */
function throughput(entry, sink, n, window) {
  return new Promise((resolve) => {
    let sent = 0;
    let got = 0;
    const pump = () => {
      const end = Math.min(n, sent + window);
      while (sent < end) entry.receive({ payload: sent++ });
    };
    const t0 = now();
    sink.onMessage = () => {
      if (++got !== sent) return;
      if (sent < n) return pump();
      sink.onMessage = null;
      resolve(n / (usSince(t0) / 1e6));
    };
    pump();
  });
}

/** One message at a time; writes each one's microseconds from receive() to the sink into out[at..]. */
function latency(entry, sink, n, out, at) {
  return new Promise((resolve) => {
    let i = 0;
    let t0 = 0n;
    const next = () => {
      t0 = now();
      entry.receive({ payload: i });
    };
    sink.onMessage = () => {
      out[at + i] = usSince(t0);
      if (++i < n) return next();
      sink.onMessage = null;
      resolve();
    };
    next();
  });
}

/** Resolves with the microseconds until the sink sees the next message sent into `entry`. */
function oneMessage(entry, sink) {
  return new Promise((resolve) => {
    const t0 = now();
    sink.onMessage = () => {
      sink.onMessage = null;
      resolve(usSince(t0));
    };
    entry.receive({ payload: 'first' });
  });
}

// ------------------------------------------------------------------ set-up

function flows(sims) {
  const account = (id, sim) => ({
    id,
    type: 'netatmo-account',
    name: `account ${id}`,
    scope: 'read_station',
    redirectUri: 'http://127.0.0.1/callback',
    apiBase: sim.url,
  });
  const token = (id, acc, sink) => ({
    id,
    type: 'netatmo-token',
    z: 'tab',
    name: `token ${id}`,
    account: acc,
    interval: 0,
    wires: [[sink]],
  });
  const sink = (id) => ({ id, type: 'bench-sink', z: 'tab', name: `sink ${id}`, wires: [] });
  return [
    { id: 'tab', type: 'tab', label: 'bench' },
    account('accH', sims.hot),
    token('tokH', 'accH', 'sinkT'),
    sink('sinkT'),
    {
      id: 'chg',
      type: 'change',
      z: 'tab',
      name: 'baseline',
      rules: [{ t: 'set', p: 'access_token', pt: 'msg', to: 'bench', tot: 'str' }],
      wires: [['sinkC']],
    },
    sink('sinkC'),
    account('accS', sims.stampede),
    token('tokS', 'accS', 'sinkS'),
    sink('sinkS'),
    account('accB', sims.boundary),
    token('tokB', 'accB', 'sinkB'),
    sink('sinkB'),
    // A failed message never reaches a sink: show why instead of waiting for a timeout.
    { id: 'catchAll', type: 'catch', z: 'tab', name: 'errors', scope: null, uncaught: false, wires: [['sinkErr']] },
    sink('sinkErr'),
  ];
}

async function main() {
  const t00 = Date.now();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-bench-'));
  const clients = { [CLIENT_ID]: CLIENT_SECRET };
  const sims = {
    hot: await startSimulator({ clients }), // accH: throughput, latency, soak, restart
    stampede: await startSimulator({ clients }),
    boundary: await startSimulator({ clients, ttlSeconds: P.boundaryTtlS }),
  };
  const store = new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') });
  const creds = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows(sims), null, 2));
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify({ accH: creds, accS: creds, accB: creds }, null, 2));
  // Case 5: the runtime starts on a store that holds a valid token (3 h left).
  await seed(store, 'accH', sims.hot, { obtainedAt: Date.now() });
  // accS and accB get their tokens when their case starts: no refresh timer runs behind cases 1, 2, 6.

  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    nodesDir: [REPO, path.join(__dirname, 'nodes')],
    logging: { console: { level: process.env.BENCH_LOG || 'warn', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    netatmoTokens: { apiBase: sims.hot.url, timeoutSeconds: 10 },
  });

  const R = {}; // every figure
  const errors = [];
  try {
    // RED.start() resolves before the flows run: wait for them.
    const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
    await RED.start();
    await withTimeout(started, 30_000, 'flows start');
    node('sinkErr').onMessage = (msg) => errors.push(`${msg.error?.source?.id}: ${msg.error?.message}`);
    for (const id of ['accH', 'accS', 'accB']) {
      if (!String(node(id).apiBase).startsWith('http://127.0.0.1:')) throw new Error(`bench: ${id} would call ${node(id).apiBase}`);
    }

    // ---------------------------------------------------------------- 5. restart (runtime start)
    const firstUs = await withTimeout(oneMessage(node('tokH'), node('sinkT')), 10_000, 'first message after start');
    R.restart_start_requests = sims.hot.stats.tokenRequests;
    R.restart_start_first_us = firstUs;

    // ---------------------------------------------------------------- 1. throughput
    const tokH = node('tokH');
    const chg = node('chg');
    const sinkT = node('sinkT');
    const sinkC = node('sinkC');
    // Each round sends P.tpMessages through each path, in chunks that alternate
    // A B B A A B ... so that noise from other processes on the machine hits both paths
    // alike. (No forced GC between chunks: V8 then shrinks the young generation and the
    // next chunk runs ~3x slower while it grows back.)
    const chunks = Math.max(2, Math.round(P.tpMessages / P.tpChunk));
    const chunk = Math.floor(P.tpMessages / chunks);
    const runChunk = async (entry, sink) => {
      const c0 = process.cpuUsage();
      const t0 = now();
      await withTimeout(throughput(entry, sink, chunk, P.tpWindow), 60_000, `throughput (${entry.type})`);
      const cpu = process.cpuUsage(c0);
      return [usSince(t0), cpu.user + cpu.system];
    };
    // Warm-up (JIT) of both paths, not counted.
    for (let i = 0; i < 4; i++) {
      await runChunk(tokH, sinkT);
      await runChunk(chg, sinkC);
    }
    const tokRates = [];
    const chgRates = [];
    const ratios = [];
    const cpuRatios = [];
    for (let r = 0; r < P.tpRounds; r++) {
      const wall = { tok: 0, chg: 0 };
      const cpu = { tok: 0, chg: 0 };
      for (let c = 0; c < chunks; c++) {
        const order = c % 2 === 0 ? ['tok', 'chg'] : ['chg', 'tok'];
        for (const which of order) {
          const [us, cpuUs] = which === 'tok' ? await runChunk(tokH, sinkT) : await runChunk(chg, sinkC);
          wall[which] += us;
          cpu[which] += cpuUs;
        }
      }
      const a = (chunk * chunks) / (wall.tok / 1e6);
      const b = (chunk * chunks) / (wall.chg / 1e6);
      tokRates.push(a);
      chgRates.push(b);
      ratios.push(a / b);
      cpuRatios.push(cpu.chg / cpu.tok);
    }
    R.token_msgs_per_s = Math.round(median(tokRates));
    R.change_msgs_per_s = Math.round(median(chgRates));
    R.throughput_ratio = round(median(ratios), 3);
    R.throughput_rounds = ratios.map((x) => round(x, 3));
    R.throughput_cpu_ratio = round(median(cpuRatios), 3);
    R.throughput_runs = tokRates.map((a, i) => `${Math.round(a / 1000)}k/${Math.round(chgRates[i] / 1000)}k`);

    // ---------------------------------------------------------------- 2. latency
    const n = P.latRounds * P.latPerRound;
    const latTok = new Float64Array(n);
    const latChg = new Float64Array(n);
    await latency(tokH, sinkT, P.latPerRound, new Float64Array(P.latPerRound), 0); // warm-up
    await latency(chg, sinkC, P.latPerRound, new Float64Array(P.latPerRound), 0);
    for (let r = 0; r < P.latRounds; r++) {
      await withTimeout(latency(tokH, sinkT, P.latPerRound, latTok, r * P.latPerRound), 60_000, 'latency (token)');
      await withTimeout(latency(chg, sinkC, P.latPerRound, latChg, r * P.latPerRound), 60_000, 'latency (change)');
    }
    latTok.sort();
    latChg.sort();
    R.lat_token_p50_us = round(pct(latTok, 50), 2);
    R.lat_token_p99_us = round(pct(latTok, 99), 2);
    R.lat_change_p50_us = round(pct(latChg, 50), 2);
    R.lat_change_p99_us = round(pct(latChg, 99), 2);
    R.p50_added_us = round(pct(latTok, 50) - pct(latChg, 50), 2);
    R.p99_added_us = round(pct(latTok, 99) - pct(latChg, 99), 2);

    // ---------------------------------------------------------------- 6. soak
    const heap0 = heapMb();
    const soakRate = await withTimeout(throughput(tokH, sinkT, P.soak, P.tpWindow), 120_000, 'soak');
    const heap1 = heapMb();
    R.soak_msgs_per_s = Math.round(soakRate);
    R.soak_heap_start_mb = round(heap0, 2);
    R.soak_heap_mb = round(heap1 - heap0, 2);

    // ---------------------------------------------------------------- 3. stampede (+ 5. restart of the flows)
    // The flows restart (as after a deploy or a Node-RED restart) on a stored token that
    // expired a minute ago, and 1,000 messages arrive at once. Two timings:
    //   a) at once after the restart: the account has not even read its file yet;
    //   b) just after the account loaded the expired token, before its own refresh timer fired.
    // Run (a) also probes case 5 again: the first message of accH (valid token) after the restart.
    const stampede = async (variant) => {
      await RED.nodes.stopFlows();
      await seed(store, 'accS', sims.stampede, { obtainedAt: Date.now() - 3 * HOUR - 60_000, expiresAt: Date.now() - 60_000 });
      sims.stampede.resetStats();
      sims.hot.resetStats();
      await RED.nodes.startFlows();
      const tokS = node('tokS');
      const sinkS = node('sinkS');
      const mgr = node('accS').manager;
      if (variant === 'b' && mgr.state.expires_at === undefined) {
        // The account emits `state` when it has read the file; burst right after that
        // (a microtask later, when its start-up code has run to its end).
        await withTimeout(new Promise((resolve) => mgr.once('state', () => queueMicrotask(resolve))), 10_000, 'stampede load');
      }
      const st = mgr.state;
      const stateAtBurst =
        st.expires_at === undefined ? 'not loaded yet' : st.expires_at < Date.now() ? `expired, ${st.status}` : 'FRESH: case invalid';
      const sentAt = new Array(P.stampede);
      let got = 0;
      let maxUs = 0;
      const all = new Promise((resolve) => {
        sinkS.onMessage = (msg) => {
          const us = usSince(sentAt[msg.payload]);
          if (us > maxUs) maxUs = us;
          if (++got === P.stampede) resolve();
        };
      });
      for (let i = 0; i < P.stampede; i++) {
        sentAt[i] = now();
        tokS.receive({ payload: i });
      }
      const probe =
        variant === 'a'
          ? oneMessage(node('tokH'), node('sinkT')).then((us) => {
              R.restart_flows_requests = sims.hot.stats.tokenRequests;
              R.restart_flows_first_us = us;
            })
          : undefined;
      await withTimeout(
        Promise.all([all, probe]),
        30_000,
        `stampede ${variant} (${got}/${P.stampede} served; errors: ${errors.slice(0, 3).join(' | ')})`,
      );
      sinkS.onMessage = null;
      return { state: stateAtBurst, requests: sims.stampede.stats.tokenRequests, maxMs: round(maxUs / 1000, 2) };
    };
    R.stampede = [await stampede('a'), await stampede('b')];
    R.stampede_token_requests = Math.max(...R.stampede.map((x) => x.requests));
    R.stampede_max_wait_ms = Math.max(...R.stampede.map((x) => x.maxMs));
    R.restart_token_requests = R.restart_start_requests + R.restart_flows_requests;

    // ---------------------------------------------------------------- 4. boundary
    // A steady stream (one message per 1 ms timer tick) while a 3 s token is refreshed
    // every 1.5 s (the margin is capped at half the lifetime). Each message is put in one
    // of three classes by wrapping, on this one account, the manager methods the token
    // node calls (fresh, getToken) and the one getToken uses to wait (refresh):
    //   fresh:  fresh() returned the token: sent synchronously;
    //   cached: fresh() said no, getToken() answered with the cached token (a microtask later);
    //   waited: getToken() answered with the refresh in flight: the message waited for the
    //           token request (boundary_waits).
    {
      await seed(store, 'accB', sims.boundary, { obtainedAt: Date.now() }); // 3 s token
      const tokB = node('tokB');
      const sinkB = node('sinkB');
      const mgr = node('accB').manager;
      // The first message loads the stored token (store read, no request); not counted.
      await withTimeout(oneMessage(tokB, sinkB), 10_000, 'boundary warm-up');
      let missed = false;
      let waited = false;
      let refreshing;
      const wrap = (name, around) => {
        const orig = mgr[name];
        mgr[name] = function (...args) {
          return around(orig.apply(this, args));
        };
      };
      wrap('fresh', (t) => {
        if (!t) missed = true;
        return t;
      });
      wrap('refresh', (p) => (refreshing = p));
      wrap('getToken', (p) => {
        if (p === refreshing) waited = true;
        return p;
      });
      sims.boundary.resetStats();
      const sentAt = [];
      const kind = []; // 0 fresh, 1 cached, 2 waited
      const count = [0, 0, 0];
      const slow = [0, 0, 0];
      const maxUs = [0, 0, 0];
      let got = 0;
      let sending = true;
      let finish;
      const done = new Promise((resolve) => {
        finish = resolve;
      });
      sinkB.onMessage = (msg) => {
        const i = msg.payload;
        const us = usSince(sentAt[i]);
        const k = kind[i];
        if (us > P.waitMs * 1000) slow[k]++;
        if (us > maxUs[k]) maxUs[k] = us;
        if (++got === sentAt.length && !sending) finish();
      };
      const tEnd = Date.now() + P.boundaryMs;
      const timer = setInterval(() => {
        if (Date.now() >= tEnd) {
          clearInterval(timer);
          sending = false;
          if (got === sentAt.length) finish();
          return;
        }
        const i = sentAt.length;
        missed = false;
        waited = false;
        sentAt.push(now());
        tokB.receive({ payload: i });
        const k = waited ? 2 : missed ? 1 : 0;
        kind.push(k);
        count[k]++;
      }, P.boundaryPeriodMs);
      await withTimeout(done, P.boundaryMs + 30_000, 'boundary');
      delete mgr.fresh; // back to the prototype's methods
      delete mgr.refresh;
      delete mgr.getToken;
      sinkB.onMessage = null;
      R.boundary_messages = sentAt.length;
      R.boundary_refreshes = sims.boundary.stats.refreshRequests;
      R.boundary_waits = count[2];
      R.boundary = { count, slow, maxMs: maxUs.map((x) => round(x / 1000, 2)) };
    }
    R.errors = errors.length;
  } finally {
    await RED.stop().catch((err) => console.error('bench: RED.stop failed:', err));
    await Promise.all(Object.values(sims).map((s) => s.close()));
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  R.api = await apiBench();
  R.bench_seconds = round((Date.now() - t00) / 1000, 1);
  report(R, errors);
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ------------------------------------------------------------------ output

function report(R, errors) {
  const pass = (ok) => (ok ? 'PASS' : 'MISS');
  const rows = [
    ['1 throughput', 'token -> sink (msg/s, median)', fmt(R.token_msgs_per_s), '', ''],
    ['', 'change -> sink (msg/s, median)', fmt(R.change_msgs_per_s), '', ''],
    ['', 'ratio token/change (median of rounds)', R.throughput_ratio, `>= ${TARGET.ratio}`, pass(R.throughput_ratio >= TARGET.ratio)],
    ['', 'ratio per round', R.throughput_rounds.join(' '), '', ''],
    ['', 'msg/s per round, token/change', R.throughput_runs.join(' '), '', ''],
    ['', 'ratio by CPU time (median of rounds)', R.throughput_cpu_ratio, '', ''],
    ['2 latency', 'token path p50 / p99 (us)', `${R.lat_token_p50_us} / ${R.lat_token_p99_us}`, '', ''],
    ['', 'change path p50 / p99 (us)', `${R.lat_change_p50_us} / ${R.lat_change_p99_us}`, '', ''],
    ['', 'added p50 (us)', R.p50_added_us, '', ''],
    ['', 'added p99 (us)', R.p99_added_us, `< ${TARGET.p99Us}`, pass(R.p99_added_us < TARGET.p99Us)],
    ...R.stampede.flatMap((x, i) => [
      [i ? '' : '3 stampede', `${'ab'[i]}) state when ${P.stampede} msgs arrived`, x.state, '', ''],
      ['', `${'ab'[i]}) token requests / slowest wait (ms)`, `${x.requests} / ${x.maxMs}`, '', ''],
    ]),
    [
      '',
      'token requests (worst of a, b)',
      R.stampede_token_requests,
      `= ${TARGET.stampede}`,
      pass(R.stampede_token_requests === TARGET.stampede),
    ],
    ['', 'slowest message wait (ms, worst of a, b)', R.stampede_max_wait_ms, '', ''],
    [
      '4 boundary',
      `msgs sent (1 per ${P.boundaryPeriodMs} ms tick, ${P.boundaryMs / 1000} s, TTL ${P.boundaryTtlS} s)`,
      R.boundary_messages,
      '',
      '',
    ],
    ['', 'refreshes during the run', R.boundary_refreshes, '', ''],
    ['', 'msgs served by fresh() / slow / max ms', `${R.boundary.count[0]} / ${R.boundary.slow[0]} / ${R.boundary.maxMs[0]}`, '', ''],
    [
      '',
      'msgs served cached by getToken() / slow / max ms',
      `${R.boundary.count[1]} / ${R.boundary.slow[1]} / ${R.boundary.maxMs[1]}`,
      '',
      '',
    ],
    [
      '',
      'msgs that waited for the token request / slow / max ms',
      `${R.boundary.count[2]} / ${R.boundary.slow[2]} / ${R.boundary.maxMs[2]}`,
      '',
      '',
    ],
    ['', `(slow: > ${P.waitMs} ms from receive() to the sink)`, '', '', ''],
    ['', 'boundary waits', R.boundary_waits, `= ${TARGET.boundary}`, pass(R.boundary_waits === TARGET.boundary)],
    ['5 restart', 'token requests before 1st msg (runtime start)', R.restart_start_requests, '', ''],
    ['', 'token requests before 1st msg (flows restart)', R.restart_flows_requests, '', ''],
    ['', 'total', R.restart_token_requests, `= ${TARGET.restart}`, pass(R.restart_token_requests === TARGET.restart)],
    [
      '',
      '1st msg latency: start / flows restart (ms)',
      `${round(R.restart_start_first_us / 1000, 2)} / ${round(R.restart_flows_first_us / 1000, 2)}`,
      '',
      '',
    ],
    ['6 soak', `${fmt(P.soak)} msgs through token -> sink (msg/s)`, fmt(R.soak_msgs_per_s), '', ''],
    ['', 'heap after GC: end - start (MB)', R.soak_heap_mb, `< ${TARGET.soakMb}`, pass(R.soak_heap_mb < TARGET.soakMb)],
    ['', 'messages that ended in an error', R.errors, '', ''],
    ...apiRows(R.api),
  ];
  const head = ['case', 'figure', 'value', 'target', ''];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((c, i) => String(c).padEnd(w[i]))
      .join('  ')
      .trimEnd();
  console.log(
    `\nnetatmo-token bench: Node-RED ${typeof RED.version === 'function' ? RED.version() : RED.version}, Node ${process.version}, ${os.cpus().length} CPU(s)${QUICK ? ', --quick' : ''}, ${R.bench_seconds} s`,
  );
  console.log(line(head));
  console.log(
    w
      .map((n) => '-'.repeat(n))
      .join('  ')
      .trimEnd(),
  );
  for (const r of rows) console.log(line(r));
  if (errors.length) console.log(`errors (first 3): ${errors.slice(0, 3).join(' | ')}`);
  const keys = [
    'throughput_ratio',
    'token_msgs_per_s',
    'change_msgs_per_s',
    'p50_added_us',
    'p99_added_us',
    'stampede_token_requests',
    'stampede_max_wait_ms',
    'boundary_waits',
    'restart_token_requests',
    'soak_heap_mb',
  ];
  const out = {};
  for (const k of keys) out[k] = R[k];
  out.api = R.api;
  console.log(JSON.stringify(out));
}

function fmt(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : String(n);
}

// ------------------------------------------------------------------ netatmo-api node
//
// Three more cases, each in a child process of its own (`--api-case <name>`): a case needs its
// own runtime settings (rate windows), and Node-RED starts once per process.
//   throughput: netatmo-api -> sink against netatmo-token -> http request -> sink, on the same
//               simulator, budget out of the way; 50 messages in flight, chunks alternating A B B A
//   burst:      600 messages at once into one api node; simulator limits 50 per 1 s and 500 per
//               10 s (Netatmo's 10 s and 1 h, scaled down), maxWait 3 s: served, refused at once,
//               429s seen, most requests in any 1 s window
//   revocation: the simulator revokes the access token, 100 calls at once: token requests, served

const API = {
  tpMessages: QUICK ? 1_000 : 4_000, // per path per round
  tpRounds: QUICK ? 2 : 3,
  tpChunk: 500,
  tpWindow: 50,
  burst: 600,
  burstLimits: [
    { limit: 50, windowMs: 1000 },
    { limit: 500, windowMs: 10_000 },
  ],
  burstMaxWait: 3,
  revoked: 100,
};

/** Runs the three api cases, each in a fresh process; returns their figures. */
async function apiBench() {
  const out = {};
  for (const name of ['throughput', 'burst', 'revocation']) {
    const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--api-case', name, ...(QUICK ? ['--quick'] : [])], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    const last = String(r.stdout || '')
      .trim()
      .split('\n')
      .pop();
    try {
      out[name] = JSON.parse(last);
    } catch {
      out[name] = { error: `exit ${r.status}: ${String(r.stderr || r.stdout || '').slice(-300)}` };
    }
  }
  return out;
}

/** One api case in this process: its own simulator and runtime; prints one JSON line. */
async function apiCase(name) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-bench-api-'));
  const clients = { [CLIENT_ID]: CLIENT_SECRET };
  const burst = name === 'burst';
  const sim = await startSimulator({ clients, devices: true, apiLimits: burst ? API.burstLimits : [] });
  const store = new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') });
  await seed(store, 'accA', sim, { obtainedAt: Date.now() });
  const nodes = [
    { id: 'tab', type: 'tab', label: 'bench api' },
    { id: 'accA', type: 'netatmo-account', name: 'api', scope: 'read_station', redirectUri: 'http://127.0.0.1/callback', apiBase: sim.url },
    {
      id: 'api',
      type: 'netatmo-api',
      z: 'tab',
      account: 'accA',
      endpoint: 'homesdata',
      method: 'auto',
      params: '',
      maxWait: burst ? API.burstMaxWait : 30,
      wires: [['sinkA']],
    },
    { id: 'sinkA', type: 'bench-sink', z: 'tab', wires: [] },
    { id: 'tok', type: 'netatmo-token', z: 'tab', account: 'accA', interval: 0, wires: [['http']] },
    {
      id: 'http',
      type: 'http request',
      z: 'tab',
      method: 'GET',
      ret: 'obj',
      paytoqs: 'ignore',
      url: `${sim.url}/api/homesdata`,
      persist: false,
      senderr: true,
      wires: [['sinkH']],
    },
    { id: 'sinkH', type: 'bench-sink', z: 'tab', wires: [] },
    { id: 'catchAll', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['sinkErr']] },
    { id: 'sinkErr', type: 'bench-sink', z: 'tab', wires: [] },
  ];
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(nodes));
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify({ accA: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } }));
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    nodesDir: [REPO, path.join(__dirname, 'nodes')],
    logging: { console: { level: process.env.BENCH_LOG || 'error', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    // The budget out of the way for throughput and revocation; the scaled-down windows for the burst.
    netatmoTokens: {
      apiBase: sim.url,
      timeoutSeconds: 10,
      apiLimits: burst ? API.burstLimits.map((l) => ({ limit: l.limit, seconds: l.windowMs / 1000 })) : [{ limit: 1e9, seconds: 1 }],
    },
  });
  const R = {};
  const errors = [];
  try {
    const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
    await RED.start();
    await withTimeout(started, 30_000, 'flows start');
    node('sinkErr').onMessage = (msg) => errors.push(`${msg.error?.code}: ${msg.error?.message}`);
    if (name === 'throughput') Object.assign(R, await apiThroughput());
    if (burst) Object.assign(R, await apiBurst(sim, errors));
    if (name === 'revocation') Object.assign(R, await apiRevocation(sim, errors));
    R.errors = errors.length;
    if (errors.length) R.first_error = errors[0];
  } finally {
    await RED.stop().catch(() => undefined);
    await sim.close();
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(R));
}

async function apiThroughput() {
  const api = node('api');
  const tok = node('tok');
  const sinkA = node('sinkA');
  const sinkH = node('sinkH');
  const run = async (entry, sink, n) => {
    const t0 = now();
    await withTimeout(throughput(entry, sink, n, API.tpWindow), 120_000, `api throughput (${entry.type})`);
    return usSince(t0);
  };
  await run(api, sinkA, API.tpChunk); // warm-up
  await run(tok, sinkH, API.tpChunk);
  const ratios = [];
  const apiRates = [];
  const httpRates = [];
  const chunks = Math.max(2, Math.round(API.tpMessages / API.tpChunk));
  for (let r = 0; r < API.tpRounds; r++) {
    const wall = { api: 0, http: 0 };
    for (let c = 0; c < chunks; c++) {
      for (const which of c % 2 === 0 ? ['api', 'http'] : ['http', 'api']) {
        wall[which] += which === 'api' ? await run(api, sinkA, API.tpChunk) : await run(tok, sinkH, API.tpChunk);
      }
    }
    const a = (chunks * API.tpChunk) / (wall.api / 1e6);
    const h = (chunks * API.tpChunk) / (wall.http / 1e6);
    apiRates.push(a);
    httpRates.push(h);
    ratios.push(a / h);
  }
  return {
    api_msgs_per_s: Math.round(median(apiRates)),
    token_http_msgs_per_s: Math.round(median(httpRates)),
    ratio: round(median(ratios), 3),
    rounds: ratios.map((x) => round(x, 3)),
  };
}

async function apiBurst(sim, errors) {
  const api = node('api');
  const sink = node('sinkA');
  sim.resetStats();
  let served = 0;
  const t0 = Date.now();
  const all = new Promise((resolve) => {
    const check = () => served + errors.length === API.burst && resolve();
    sink.onMessage = () => (served++, check());
    node('sinkErr').onMessage = (msg) => (errors.push(`${msg.error?.code}`), check());
  });
  for (let i = 0; i < API.burst; i++) api.receive({ payload: i });
  await withTimeout(all, 60_000, 'api burst');
  const limited = errors.filter((e) => e === 'RATE_LIMITED').length;
  const max = sim.maxApiInWindow(API.burstLimits[0].windowMs);
  const out = {
    messages: API.burst,
    served,
    rate_limited: limited,
    other_errors: errors.length - limited,
    sim_429: sim.deviceStats.api429,
    max_per_window: max,
    window_ms: API.burstLimits[0].windowMs,
    limit: API.burstLimits[0].limit,
    max_over_limit: round(max / API.burstLimits[0].limit, 2),
    seconds: round((Date.now() - t0) / 1000, 2),
  };
  errors.length = 0; // refusals are this case's expected outcome, not errors
  return out;
}

async function apiRevocation(sim, errors) {
  const api = node('api');
  const sink = node('sinkA');
  await withTimeout(oneMessage(api, sink), 10_000, 'revocation warm-up');
  sim.resetStats();
  sim.revokeAccessTokens();
  let served = 0;
  const all = new Promise((resolve) => {
    const check = () => served + errors.length === API.revoked && resolve();
    sink.onMessage = () => (served++, check());
    node('sinkErr').onMessage = (msg) => (errors.push(`${msg.error?.code}: ${msg.error?.message}`), check());
  });
  const t0 = Date.now();
  for (let i = 0; i < API.revoked; i++) api.receive({ payload: i });
  await withTimeout(all, 60_000, 'revocation');
  return {
    calls: API.revoked,
    served,
    token_requests: sim.stats.tokenRequests,
    api_requests: sim.stats.apiRequests,
    ms: Date.now() - t0,
  };
}

function apiRows(A) {
  if (!A) return [];
  const t = A.throughput || {};
  const b = A.burst || {};
  const v = A.revocation || {};
  const err = (x) => (x.error ? [['', 'FAILED', x.error.slice(0, 120), '', '']] : []);
  return [
    ['7 api node', 'netatmo-api -> sink (msg/s, median)', fmt(t.api_msgs_per_s), '', ''],
    ['', 'token -> http request -> sink (msg/s, median)', fmt(t.token_http_msgs_per_s), '', ''],
    ['', 'ratio api/(token+http request)', t.ratio, '', ''],
    ...err(t),
    [
      '8 api burst',
      `${b.messages} msgs at once: served / RATE_LIMITED / other errors`,
      `${b.served} / ${b.rate_limited} / ${b.other_errors}`,
      '',
      '',
    ],
    [
      '',
      `most requests in any ${b.window_ms} ms (limit ${b.limit})`,
      `${b.max_per_window} (${b.max_over_limit})`,
      '<= 1',
      pass2(b.max_over_limit <= 1),
    ],
    ['', '429 answered by the simulator', b.sim_429, '= 0', pass2(b.sim_429 === 0)],
    ...err(b),
    ['9 revocation', `${v.calls} calls on a revoked token: served`, v.served, `= ${v.calls}`, pass2(v.served === v.calls)],
    ['', 'token requests', v.token_requests, '= 1', pass2(v.token_requests === 1)],
    ...err(v),
  ];
}

function pass2(ok) {
  return ok ? 'PASS' : 'MISS';
}

const API_CASE = process.argv.includes('--api-case') ? process.argv[process.argv.indexOf('--api-case') + 1] : undefined;

(API_CASE ? apiCase(API_CASE) : main()).then(
  () => {
    // Node-RED may keep a handle or two; the figures are printed, so leave now.
    setTimeout(() => process.exit(0), 500).unref();
  },
  (err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  },
);
