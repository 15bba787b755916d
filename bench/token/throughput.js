'use strict';
/**
 * 1. Hot path throughput: netatmo-token -> sink against change -> sink; each round sends
 *    200,000 messages through each path, alternating the paths every 10,000 (A B B A ...).
 */
const { QUICK } = require('../lib/runtime');
const { onHotPath } = require('./_hot-path');
const { alternatingRounds, median, now, round, usSince, withTimeout, throughput } = require('../lib/measure');
const { fmt, pass } = require('../lib/report');

const P = {
  messages: QUICK ? 20_000 : 200_000, // per round and path
  rounds: QUICK ? 2 : 5,
  chunk: 10_000, // a round alternates the two paths every this many messages
  window: 100, // messages in flight while measuring
};
const TARGET = { ratio: 0.95 };

async function run() {
  return onHotPath(async ({ node }) => {
    const paths = { a: [node('tokH'), node('sinkT')], b: [node('chg'), node('sinkC')] };
    const chunks = Math.max(2, Math.round(P.messages / P.chunk));
    const chunk = Math.floor(P.messages / chunks);
    // (No forced GC between chunks: V8 then shrinks the young generation and the next chunk
    // runs ~3x slower while it grows back.)
    const runChunk = async (which) => {
      const [entry, sink] = paths[which];
      const c0 = process.cpuUsage();
      const t0 = now();
      await withTimeout(throughput(entry, sink, chunk, P.window), 60_000, `throughput (${entry.type})`);
      const cpu = process.cpuUsage(c0);
      return [usSince(t0), cpu.user + cpu.system];
    };
    for (let i = 0; i < 4; i++) {
      await runChunk('a'); // warm-up (JIT) of both paths, not counted
      await runChunk('b');
    }
    const r = await alternatingRounds(P.rounds, chunks, chunk, runChunk);
    return {
      token_msgs_per_s: Math.round(median(r.a)),
      change_msgs_per_s: Math.round(median(r.b)),
      throughput_ratio: round(median(r.ratios), 3),
      throughput_rounds: r.ratios.map((x) => round(x, 3)),
      throughput_cpu_ratio: round(median(r.cpuRatios), 3),
      throughput_runs: r.a.map((a, i) => `${Math.round(a / 1000)}k/${Math.round(r.b[i] / 1000)}k`),
    };
  });
}

const rows = (R) => [
  ['1 throughput', 'token -> sink (msg/s, median)', fmt(R.token_msgs_per_s), '', ''],
  ['', 'change -> sink (msg/s, median)', fmt(R.change_msgs_per_s), '', ''],
  ['', 'ratio token/change (median of rounds)', R.throughput_ratio, `>= ${TARGET.ratio}`, pass(R.throughput_ratio >= TARGET.ratio)],
  ['', 'ratio per round', R.throughput_rounds.join(' '), '', ''],
  ['', 'msg/s per round, token/change', R.throughput_runs.join(' '), '', ''],
  ['', 'ratio by CPU time (median of rounds)', R.throughput_cpu_ratio, '', ''],
];

const summary = (R) => ({
  throughput_ratio: R.throughput_ratio,
  token_msgs_per_s: R.token_msgs_per_s,
  change_msgs_per_s: R.change_msgs_per_s,
});

module.exports = { order: 1, run, rows, summary };
