'use strict';
/** 2. Added latency: one message at a time, token path minus change path, p50 / p99. */
const { QUICK } = require('../lib/runtime');
const { latency, pct, round, withTimeout } = require('../lib/measure');
const { pass } = require('../lib/report');
const { onHotPath } = require('./_hot-path');

const P = { rounds: QUICK ? 2 : 10, perRound: QUICK ? 500 : 2_000 }; // messages per path per round, one at a time
const TARGET = { p99Us: 50 };

async function run() {
  return onHotPath(async ({ node }) => {
    const [tokH, sinkT, chg, sinkC] = ['tokH', 'sinkT', 'chg', 'sinkC'].map(node);
    const n = P.rounds * P.perRound;
    const latTok = new Float64Array(n);
    const latChg = new Float64Array(n);
    await latency(tokH, sinkT, P.perRound, new Float64Array(P.perRound), 0); // warm-up
    await latency(chg, sinkC, P.perRound, new Float64Array(P.perRound), 0);
    for (let r = 0; r < P.rounds; r++) {
      await withTimeout(latency(tokH, sinkT, P.perRound, latTok, r * P.perRound), 60_000, 'latency (token)');
      await withTimeout(latency(chg, sinkC, P.perRound, latChg, r * P.perRound), 60_000, 'latency (change)');
    }
    latTok.sort();
    latChg.sort();
    return {
      lat_token_p50_us: round(pct(latTok, 50), 2),
      lat_token_p99_us: round(pct(latTok, 99), 2),
      lat_change_p50_us: round(pct(latChg, 50), 2),
      lat_change_p99_us: round(pct(latChg, 99), 2),
      p50_added_us: round(pct(latTok, 50) - pct(latChg, 50), 2),
      p99_added_us: round(pct(latTok, 99) - pct(latChg, 99), 2),
    };
  });
}

const rows = (R) => [
  ['2 latency', 'token path p50 / p99 (us)', `${R.lat_token_p50_us} / ${R.lat_token_p99_us}`, '', ''],
  ['', 'change path p50 / p99 (us)', `${R.lat_change_p50_us} / ${R.lat_change_p99_us}`, '', ''],
  ['', 'added p50 (us)', R.p50_added_us, '', ''],
  ['', 'added p99 (us)', R.p99_added_us, `< ${TARGET.p99Us}`, pass(R.p99_added_us < TARGET.p99Us)],
];

const summary = (R) => ({ p50_added_us: R.p50_added_us, p99_added_us: R.p99_added_us });

module.exports = { order: 2, run, rows, summary };
