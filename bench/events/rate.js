'use strict';
/**
 * 10. Signed events to POST /netatmo-tokens/webhook/<id> (checked, parsed, deduplicated, emitted to
 *     a junction) against `http in (POST, JSON parsed) -> http response` on the same runtime; after a
 *     warm-up, rounds alternate A B B A, 32 requests in flight, keep-alive; target >= 0.8 of the pair.
 *     BENCH_ROUNDS and BENCH_PER_ROUND change the counts (4 x 3,000; --quick: 2 x 500).
 */
const { median, round } = require('../lib/measure');
const { failedRows, pass } = require('../lib/report');
const { QUICK } = require('../lib/runtime');
const { IN_FLIGHT, signedEvent, drive, onWebhooks } = require('./_webhook');

const ROUNDS = Number(process.env.BENCH_ROUNDS || (QUICK ? 2 : 4));
const PER_ROUND = Number(process.env.BENCH_PER_ROUND || (QUICK ? 500 : 3000));

function run() {
  return onWebhooks(async ({ fast, plain }) => {
    await drive(fast, Array.from({ length: 500 }, signedEvent));
    await drive(plain, Array.from({ length: 500 }, signedEvent));
    const ev = [];
    const pl = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const which of r % 2 ? ['plain', 'ev'] : ['ev', 'plain']) {
        const items = Array.from({ length: PER_ROUND }, signedEvent);
        if (which === 'ev') ev.push(await drive(fast, items));
        else pl.push(await drive(plain, items));
      }
    }
    return {
      rounds: ROUNDS,
      per_round: PER_ROUND,
      in_flight: IN_FLIGHT,
      events_per_s: Math.round(median(ev)),
      http_in_per_s: Math.round(median(pl)),
      ratio: round(median(ev) / median(pl), 3),
      rounds_events: ev.map(Math.round),
      rounds_http_in: pl.map(Math.round),
    };
  });
}

const rows = (e) => [
  [
    '10 events rate',
    `signed events vs http in -> http response, ${e.rounds} rounds x ${e.per_round}, ${e.in_flight} in flight`,
    `${e.events_per_s} vs ${e.http_in_per_s} req/s, ratio ${e.ratio}`,
    '>= 0.8',
    pass(e.ratio >= 0.8),
  ],
  ...failedRows('', e),
];

const summary = (e) => ({ events: { rate: e } });

module.exports = { order: 10, run, rows, summary };
