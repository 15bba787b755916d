'use strict';
/**
 * The runtime of the token story's hot-path cases (throughput, latency, soak, restart):
 * netatmo-token -> sink and, beside it, change -> sink, on one account whose stored token is valid
 * (3 h left) when the runtime starts. Not a case (its name starts with "_").
 */
const { flow, seed, startSimulator, startRuntime } = require('../lib/runtime');

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

/** Starts the hot-path runtime; `fn(rt, sim)` measures; the figures carry the errors seen. */
async function onHotPath(fn) {
  const sim = await startSimulator({});
  const rt = await startRuntime({
    nodes: hotPath(sim),
    netatmoTokens: { apiBase: sim.url, timeoutSeconds: 10 },
    seedFirst: (store) => seed(store, 'accH', sim, { obtainedAt: Date.now() }),
  });
  try {
    const R = await fn(rt, sim);
    R.errors = rt.errors.length;
    if (rt.errors.length) R.first_errors = rt.errors.slice(0, 3);
    return R;
  } finally {
    await rt.stop();
    await sim.close();
  }
}

module.exports = { onHotPath };
