'use strict';
/* global window, RED, document -- the waitForFunction callbacks run in the editor page */
/**
 * What a user sees in the editor while messages wait for the rate budget (issue 20, point 2): the
 * netatmo-api node's status counts them, in a real Node-RED process and Chromium.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startSimulator } = require('../simulator/simulator');
const { startNodeRed } = require('../helpers/nodered');
const { launchChromium, needChromium } = require('../helpers/chromium');
const { tmpDir, seedTokens } = require('../helpers/runtime');

describe('netatmo-api status in the editor while 100 messages wait', function () {
  this.timeout(90000);
  let sim;
  let red;
  let browser;
  let userDir;

  before(async function () {
    needChromium(this);
    sim = await startSimulator({ acceptAnyClient: true, devices: true });
    userDir = tmpDir('netatmo-wait-');
    await seedTokens(userDir, 'acc', sim, { scope: 'read_station' });
    const flows = [
      { id: 'tab1', type: 'tab', label: 'Netatmo', disabled: false, info: '' },
      { id: 'acc', type: 'netatmo-account', name: 'home', scope: 'read_station', redirectUri: '', apiBase: sim.url },
      { id: 'go', type: 'inject', z: 'tab1', props: [], repeat: '', once: false, x: 100, y: 80, wires: [['burst']] },
      // 101 messages at once: one takes the only turn, 100 wait.
      {
        id: 'burst',
        type: 'function',
        z: 'tab1',
        func: 'for (let i = 0; i < 101; i++) node.send({});\nreturn null;',
        outputs: 1,
        x: 250,
        y: 80,
        wires: [['api']],
      },
      {
        id: 'api',
        type: 'netatmo-api',
        z: 'tab1',
        account: 'acc',
        endpoint: 'homesdata',
        method: 'auto',
        params: '',
        maxWait: 3600,
        x: 420,
        y: 80,
        wires: [[]],
      },
    ];
    // One request per 30 s (2 less the 10 % margin): a queue that lasts while the page looks.
    const settings = { netatmoTokens: { apiBase: sim.url, apiLimits: [{ limit: 2, seconds: 30 }] } };
    red = await startNodeRed({ userDir, settings, flows });
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (red) await red.stop();
    if (sim) await sim.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('shows "100 waiting for Netatmo\'s rate limit" in yellow', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(red.adminUrl);
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('api'), null, { timeout: 30000 });
    const res = await fetch(`${red.adminUrl}inject/go`, { method: 'POST' });
    assert.equal(res.status, 200);
    const label = page.locator('g.red-ui-flow-node-group[id="api"] .red-ui-flow-node-status-label');
    await page.waitForFunction(
      () =>
        /^100 waiting/.test(document.querySelector('g.red-ui-flow-node-group[id="api"] .red-ui-flow-node-status-label')?.textContent || ''),
      null,
      { timeout: 30000 },
    );
    assert.equal(await label.textContent(), "100 waiting for Netatmo's rate limit");
    const dot = page.locator('g.red-ui-flow-node-group[id="api"] .red-ui-flow-node-status');
    assert.match(await dot.getAttribute('class'), /red-ui-flow-node-status-ring-yellow/);
    assert.equal(sim.stats.apiRequests, 1);
  });
});
