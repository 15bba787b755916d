'use strict';
/**
 * What every bench case measures with: the clock, medians and percentiles, message pumps
 * (throughput, one-at-a-time latency, one message), a deadline on each wait, forced GC.
 */

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

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
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
      while (sent < end) entry.receive({ payload: {}, seq: sent++ }); // an object: the api node takes its parameters from it
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
      entry.receive({ payload: {}, seq: i });
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
    entry.receive({ payload: {} });
  });
}

/**
 * Rounds of chunks through two paths, alternating A B B A ... so that noise from other processes
 * on the machine hits both paths alike. `run(which)` sends one chunk through path `which` ('a' or
 * 'b') and resolves to [wall us, cpu us]; returns per round the rates (messages per wall second)
 * and the CPU ratio b/a.
 */
async function alternatingRounds(rounds, chunks, perChunk, run) {
  const out = { a: [], b: [], ratios: [], cpuRatios: [] };
  for (let r = 0; r < rounds; r++) {
    const wall = { a: 0, b: 0 };
    const cpu = { a: 0, b: 0 };
    for (let c = 0; c < chunks; c++) {
      for (const which of c % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
        const [us, cpuUs] = await run(which);
        wall[which] += us;
        cpu[which] += cpuUs ?? 0;
      }
    }
    const a = (perChunk * chunks) / (wall.a / 1e6);
    const b = (perChunk * chunks) / (wall.b / 1e6);
    out.a.push(a);
    out.b.push(b);
    out.ratios.push(a / b);
    out.cpuRatios.push(cpu.b / cpu.a);
  }
  return out;
}

module.exports = { now, usSince, median, pct, round, withTimeout, gcFull, heapMb, throughput, latency, oneMessage, alternatingRounds };
