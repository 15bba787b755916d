'use strict';
/* global RED, $ -- the page.evaluate/waitForFunction callbacks run in the editor page */
/**
 * The netatmo-api node's edit dialog in a real browser: a real Node-RED process with this package,
 * Chromium driven by playwright-core. The grouped endpoint picker with purpose, required parameters and
 * scopes, the warning when the account asks for none of an endpoint's scopes, another path, and what
 * the dialog saves.
 */
const assert = require('node:assert/strict');
const { startSimulator } = require('../simulator/simulator');
const { startNodeRed } = require('../helpers/nodered');

const { launchChromium, needChromium, pageErrorsOf, openFlowNode } = require('../helpers/chromium');

describe('netatmo-api edit dialog in a real browser', function () {
  this.timeout(90000);
  let sim;
  let red;
  let browser;

  before(async function () {
    needChromium(this);
    sim = await startSimulator({ acceptAnyClient: true, devices: true });
    const flows = [
      { id: 'tab1', type: 'tab', label: 'Netatmo', disabled: false, info: '' },
      { id: 'acc', type: 'netatmo-account', name: 'home', scope: 'read_station', redirectUri: '', apiBase: sim.url },
      {
        id: 'api',
        type: 'netatmo-api',
        z: 'tab1',
        name: '',
        account: 'acc',
        endpoint: 'setroomthermpoint',
        method: 'auto',
        params: '',
        maxWait: 30,
        partialAsError: false,
        x: 300,
        y: 80,
        wires: [[]],
      },
    ];
    red = await startNodeRed({ settings: { netatmoTokens: { apiBase: sim.url } }, flows });
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (red) await red.stop();
    if (sim) await sim.close();
  });

  it('picks an endpoint by group, shows what it needs, warns about a missing scope, saves a path', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    const pageErrors = pageErrorsOf(page);
    const node = await openFlowNode(page, red.adminUrl, 'api');
    assert.equal(await page.locator('g.red-ui-flow-node-group[id="api"] .red-ui-flow-node-label').textContent(), 'setroomthermpoint');

    await node.dblclick();
    const pick = page.locator('#netatmo-api-pick');
    await page.waitForFunction(() => $('#netatmo-api-pick option').length > 5, null, { timeout: 10000 });
    const groups = await page.$$eval('#netatmo-api-pick optgroup', (gs) => gs.map((g) => g.label));
    assert.deepEqual(groups, [
      'Homes (all devices)',
      'Energy: thermostats, valves',
      'Weather station',
      'Healthy Home Coach',
      'Cameras, doorbells, alarms',
    ]);
    assert.equal(await pick.inputValue(), 'setroomthermpoint');
    const info = page.locator('#netatmo-api-info');
    assert.match(await info.textContent(), /Sets a room's temperature/);
    assert.match(await info.textContent(), /POST \/api\/setroomthermpoint \(form\)/);
    assert.match(await info.textContent(), /Required: home_id, room_id, mode/);
    assert.match(await info.textContent(), /does not ask for any of these scopes \(write_thermostat\)/);

    await pick.selectOption('getstationsdata');
    assert.match(await info.textContent(), /GET \/api\/getstationsdata \(query string\)/);
    assert.doesNotMatch(await info.textContent(), /does not ask for/, 'read_station is asked for');
    assert.equal(await page.locator('#netatmo-api-path-row').isVisible(), false);

    await pick.selectOption('__custom__');
    assert.equal(await page.locator('#netatmo-api-path-row').isVisible(), true);
    await page.locator('#netatmo-api-path').fill('/api/getmeasure');
    await page.locator('#node-input-maxWait').fill('5');
    await page.locator('#node-dialog-ok').click();
    await page.waitForFunction(() => !RED.editor.getEditStack().length);
    const saved = await page.evaluate(() => {
      const n = RED.nodes.node('api');
      return { endpoint: n.endpoint, maxWait: n.maxWait, method: n.method, valid: n.valid };
    });
    assert.deepEqual(saved, { endpoint: '/api/getmeasure', maxWait: '5', method: 'auto', valid: true });

    // "set by msg.endpoint" saves an empty endpoint.
    await node.dblclick();
    await page.waitForFunction(() => $('#netatmo-api-pick option').length > 5 && $('#netatmo-api-pick').val() === '__custom__');
    await pick.selectOption('');
    assert.match(await info.textContent(), /msg\.endpoint/);
    await page.locator('#node-dialog-ok').click();
    await page.waitForFunction(() => !RED.editor.getEditStack().length);
    assert.equal(await page.evaluate(() => RED.nodes.node('api').endpoint), '');

    // The help sidebar has the node's sections.
    const help = await page.evaluate(() => RED.nodes.getNodeHelp('netatmo-api'));
    for (const h of [
      'Inputs',
      'Outputs',
      'Details',
      'Errors',
      'References',
      'SCOPE_MISSING',
      'RATE_LIMITED',
      'API_ERROR',
      'INVALID_INPUT',
    ]) {
      assert.ok(help.includes(h), h);
    }
    assert.deepEqual(pageErrors, []);
  });
});
