'use strict';
/**
 * The runtime of the api story's cases: netatmo-api -> sink and, beside it, netatmo-token ->
 * http request -> sink, on one account with a valid stored token, against the simulator's device
 * API. Not a case (its name starts with "_").
 */
const { flow, seed, withRuntime } = require('../lib/runtime');

function apiPath(sim, maxWait) {
  return [
    flow.tab('bench api'),
    { ...flow.account('accA', sim), name: 'api' },
    {
      id: 'api',
      type: 'netatmo-api',
      z: 'tab',
      account: 'accA',
      endpoint: 'homesdata',
      method: 'auto',
      params: '',
      maxWait,
      wires: [['sinkA']],
    },
    flow.sink('sinkA'),
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
    flow.sink('sinkH'),
    ...flow.catchAll(),
  ];
}

/**
 * Starts the api runtime; `limits` ([{limit, windowMs}]) are the simulator's and the node's rate
 * windows (none: the budget out of the way); `fn(rt, sim)` measures.
 */
function onApiPath({ limits, maxWait = 30 }, fn) {
  return withRuntime(
    {
      sim: { devices: true, apiLimits: limits ?? [] },
      nodes: (sim) => apiPath(sim, maxWait),
      logLevel: 'error',
      userDirPrefix: 'netatmo-bench-api-',
      seedFirst: (store, sim) => seed(store, 'accA', sim, { obtainedAt: Date.now() }),
      // The budget out of the way for throughput and revocation; the scaled-down windows for the burst.
      settings: {
        apiLimits: limits ? limits.map((l) => ({ limit: l.limit, seconds: l.windowMs / 1000 })) : [{ limit: 1e9, seconds: 1 }],
      },
    },
    fn,
  );
}

module.exports = { onApiPath };
