'use strict';
/**
 * 5. Restart: token requests before the first message, on a store with a valid token: when the
 *    runtime starts, and again when the flows restart (as after a deploy).
 */
const { oneMessage, round, withTimeout } = require('../lib/measure');
const { pass } = require('../lib/report');
const { onHotPath } = require('./_hot-path');

const TARGET = { restart: 0 };

async function run() {
  return onHotPath(async ({ RED, node }, sim) => {
    const R = {};
    R.restart_start_first_us = await withTimeout(oneMessage(node('tokH'), node('sinkT')), 10_000, 'first message after start');
    R.restart_start_requests = sim.stats.tokenRequests;
    await RED.nodes.stopFlows();
    sim.resetStats();
    await RED.nodes.startFlows();
    R.restart_flows_first_us = await withTimeout(oneMessage(node('tokH'), node('sinkT')), 10_000, 'first message after the flows restart');
    R.restart_flows_requests = sim.stats.tokenRequests;
    R.restart_token_requests = R.restart_start_requests + R.restart_flows_requests;
    return R;
  });
}

const rows = (R) => [
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
];

const summary = (R) => ({ restart_token_requests: R.restart_token_requests });

module.exports = { order: 5, run, rows, summary };
