'use strict';
/**
 * 7. netatmo-api -> sink against netatmo-token -> http request -> sink, on the same simulator,
 *    budget out of the way; 50 messages in flight, chunks alternating A B B A.
 */
const { QUICK } = require('../lib/runtime');
const { alternatingRounds, median, now, round, throughput, usSince, withTimeout } = require('../lib/measure');
const { failedRows, fmt } = require('../lib/report');
const { onApiPath } = require('./_api-path');

const P = { messages: QUICK ? 1_000 : 4_000, rounds: QUICK ? 2 : 3, chunk: 500, window: 50 }; // messages per path per round

async function run() {
  return onApiPath({}, async ({ node }) => {
    const paths = { a: [node('api'), node('sinkA')], b: [node('tok'), node('sinkH')] };
    const runChunk = async (which) => {
      const [entry, sink] = paths[which];
      const t0 = now();
      await withTimeout(throughput(entry, sink, P.chunk, P.window), 120_000, `api throughput (${entry.type})`);
      return [usSince(t0)];
    };
    await runChunk('a'); // warm-up
    await runChunk('b');
    const r = await alternatingRounds(P.rounds, Math.max(2, Math.round(P.messages / P.chunk)), P.chunk, runChunk);
    return {
      api_msgs_per_s: Math.round(median(r.a)),
      token_http_msgs_per_s: Math.round(median(r.b)),
      ratio: round(median(r.ratios), 3),
      rounds: r.ratios.map((x) => round(x, 3)),
    };
  });
}

const rows = (t) => [
  ['7 api node', 'netatmo-api -> sink (msg/s, median)', fmt(t.api_msgs_per_s), '', ''],
  ['', 'token -> http request -> sink (msg/s, median)', fmt(t.token_http_msgs_per_s), '', ''],
  ['', 'ratio api/(token+http request)', t.ratio, '', ''],
  ...failedRows('', t),
];

const summary = (t) => ({ api: { throughput: t } });

module.exports = { order: 7, run, rows, summary };
