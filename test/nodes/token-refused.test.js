'use strict';
/** A token Netatmo's API refused before its expiry, seen from a netatmo-token node in a Node-RED runtime. */
const assert = require('node:assert/strict');
const rt = require('../helpers/runtime');
const { until } = require('../helpers/core-env');
const { helper, NODES } = rt;

describe('netatmo-token: an access token refused by the API before its expiry', function () {
  const env = rt.useRuntime();

  const flow = () => [
    rt.account(env.sim),
    { id: 'tok', z: 'f1', type: 'netatmo-token', account: 'acc1', interval: 0, wires: [['out']] },
    { id: 'out', z: 'f1', type: 'helper' },
  ];

  it('is not handed out again: every node gets the new token from one refresh', async () => {
    const stored = await rt.seedTokens(env.userDir, 'acc1', env.sim);
    await helper.load(NODES, flow(), rt.credentials());
    const manager = helper.getNode('acc1').manager;
    await until(() => manager.fresh()?.access_token === stored.access_token, 'the account to load its token');
    const out = rt.collect(helper.getNode('out'), 20);

    manager.rejectAccessToken(stored.access_token); // what an API node does on a 403 code 2 or 3
    assert.notEqual(manager.state.status, 'ok', 'the account still says the refused token is valid');
    for (let i = 0; i < 20; i++) helper.getNode('tok').receive({ payload: i });
    const msgs = await out;

    const tokens = new Set(msgs.map((m) => m.access_token));
    assert.equal(tokens.size, 1);
    const [fresh] = tokens;
    assert.notEqual(fresh, stored.access_token, 'a node handed out the refused token');
    assert.equal(env.sim.stats.tokenRequests, 1);
    const res = await fetch(`${env.sim.url}/api/homesdata`, { headers: msgs[0].headers });
    assert.equal(res.status, 200);
    assert.equal(manager.state.status, 'ok');
  });
});
