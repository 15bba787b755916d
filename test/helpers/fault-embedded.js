'use strict';
/**
 * Node-RED embedded in a plain node process (startEmbedded of ./nodered.js: `RED.init`, `RED.start()`), running a
 * flow that refreshes continuously, then a full redeploy that edits one account and removes the
 * other, then `RED.stop()` and the HTTP server closed. Nothing else is done: the process must then
 * exit by itself. If it is still alive 3 s later it prints what keeps it alive.
 *
 *   node test/helpers/fault-embedded.js '<json: { userDir, apiBase, clientId, clientSecret, secret, withOurNodes, stopWhileRefreshing }>'
 * Prints STARTED, DEPLOYED, (IN_FLIGHT), STOPPED, and ALIVE <resources> if it does not exit.
 */

const cfg = JSON.parse(process.argv[2]);
if (cfg.nodeRedModule) process.env.NODE_RED_MODULE = cfg.nodeRedModule;
const { startEmbedded } = require('./nodered');

function flows(accounts, renamed) {
  const nodes = [{ id: 'tab1', type: 'tab', label: 'embedded' }];
  let y = 40;
  for (const id of accounts) {
    nodes.push({
      id,
      type: 'netatmo-account',
      name: renamed ? `home ${id} (edited)` : `home ${id}`,
      scope: 'read_station',
      redirectUri: 'http://localhost/',
      apiBase: cfg.apiBase,
    });
    nodes.push({
      id: `${id}-tick`,
      type: 'inject',
      z: 'tab1',
      props: [{ p: 'payload' }],
      payload: '',
      payloadType: 'date',
      repeat: '0.1',
      once: true,
      onceDelay: 0.1,
      x: 100,
      y,
      wires: [[`${id}-tok`]],
    });
    nodes.push({ id: `${id}-tok`, type: 'netatmo-token', z: 'tab1', account: id, interval: '1', x: 300, y, wires: [[`${id}-api`]] });
    nodes.push({
      id: `${id}-api`,
      type: 'http request',
      z: 'tab1',
      method: 'GET',
      ret: 'txt',
      paytoqs: 'ignore',
      url: `${cfg.apiBase}/api/homesdata`,
      x: 500,
      y,
      wires: [[]],
    });
    y += 60;
  }
  if (!cfg.withOurNodes) return nodes.filter((n) => !/^netatmo-/.test(n.type)).map((n) => (n.wires ? { ...n, wires: [[]] } : n));
  return nodes;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const credentials = { clientId: cfg.clientId, clientSecret: cfg.clientSecret };
  const red = await startEmbedded({
    userDir: cfg.userDir,
    flows: flows(['acc1', 'acc2'], false),
    credentials: { acc1: credentials, acc2: credentials },
    install: !!cfg.withOurNodes,
    admin: true,
    logLevel: 'info',
    settings: { credentialSecret: cfg.secret, netatmoTokens: { lockStaleMs: 2000, retryBaseMs: 100 } },
  });
  const { RED } = red;
  console.log('STARTED');
  await sleep(cfg.runMs || 2500);

  // Full redeploy: acc1 edited, acc2 (and its nodes) removed.
  const res = await fetch(`${red.url}flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v2' },
    body: JSON.stringify({ flows: flows(['acc1'], true) }),
  });
  console.log(`DEPLOYED ${res.status}`);
  await res.arrayBuffer();
  await sleep(cfg.runMs || 1500);
  if (cfg.stopWhileRefreshing) {
    // Stop right when acc1 has a refresh in flight: it must still complete, be stored, and let the process go.
    const deadline = Date.now() + 5000;
    const acc = () => RED.nodes.getNode('acc1');
    while (Date.now() < deadline && !(acc() && acc().manager.state.status === 'refreshing')) await sleep(2);
    console.log(`IN_FLIGHT ${acc() && acc().manager.state.status}`);
  }

  await red.stop();
  console.log('STOPPED');
  setTimeout(() => console.log(`ALIVE ${JSON.stringify(process.getActiveResourcesInfo())}`), 3000).unref();
})().catch((err) => {
  console.log(`FAILED ${err && err.stack}`);
  process.exitCode = 1;
});
