'use strict';
/**
 * The runtime of the token story's hot-path cases (throughput, latency, soak, restart):
 * netatmo-token -> sink and, beside it, change -> sink, on one account whose stored token is valid
 * (3 h left) when the runtime starts. Not a case (its name starts with "_").
 */
const { flow, seed, withRuntime } = require('../lib/runtime');

/** token -> sink and change -> sink on one account with a valid stored token (3 h left). */
function hotPath(sim) {
  return [
    flow.tab(),
    flow.account('accH', sim),
    flow.token('tokH', 'accH', 'sinkT'),
    flow.sink('sinkT'),
    {
      id: 'chg',
      type: 'change',
      z: 'tab',
      name: 'baseline',
      rules: [{ t: 'set', p: 'access_token', pt: 'msg', to: 'bench', tot: 'str' }],
      wires: [['sinkC']],
    },
    flow.sink('sinkC'),
    ...flow.catchAll(),
  ];
}

/** The hot-path runtime; `fn(rt, sim)` measures. */
function onHotPath(fn) {
  return withRuntime({ nodes: hotPath, seedFirst: (store, sim) => seed(store, 'accH', sim, { obtainedAt: Date.now() }) }, fn);
}

module.exports = { onHotPath };
