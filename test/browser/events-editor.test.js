'use strict';
/* global RED, $ -- the page.evaluate/waitForFunction callbacks run in the editor page */
/**
 * The webhook part of the account dialog and the event node's dialog, in Chromium against a real Node-RED
 * whose httpNodeRoot is /endpoint: the path Netatmo must reach, the port check, the copy button, saving.
 */
const assert = require('node:assert/strict');
const { startNodeRed } = require('../helpers/nodered');
const { launchChromium, needChromium, pageErrorsOf, openFlowNode } = require('../helpers/chromium');

describe('netatmo-event in the editor (Chromium)', function () {
  this.timeout(90000);
  let red;
  let browser;

  before(async function () {
    needChromium(this);
    const flows = [
      { id: 'tab1', type: 'tab', label: 'Events' },
      { id: 'acc', type: 'netatmo-account', name: 'home', scope: 'read_camera', redirectUri: '', apiBase: '', webhookUrl: '' },
      {
        id: 'ev',
        type: 'netatmo-event',
        z: 'tab1',
        name: '',
        account: 'acc',
        filter: 'camera',
        allowUnsigned: false,
        x: 200,
        y: 80,
        wires: [[]],
      },
    ];
    red = await startNodeRed({ settings: { httpNodeRoot: '/endpoint' }, flows });
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    if (red) await red.stop();
  });

  it("shows the endpoint under httpNodeRoot, checks Netatmo's ports, saves the Webhook URL", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    const pageErrors = pageErrorsOf(page);
    const node = await openFlowNode(page, red.adminUrl, 'ev');
    assert.equal(await page.locator('g.red-ui-flow-node-group[id="ev"] .red-ui-flow-node-label').textContent(), 'camera');

    // The event node's dialog: the path Netatmo posts to.
    await node.dblclick();
    await page.locator('#netatmo-event-endpoint').waitFor();
    assert.equal(await page.locator('#netatmo-event-endpoint').textContent(), 'POST /endpoint/netatmo-tokens/webhook/acc');
    await page.locator('#node-dialog-cancel').click();
    await page.waitForFunction(() => !RED.editor.getEditStack().length);

    // The account's dialog: the Webhook URL.
    await page.evaluate(() => RED.editor.editConfig('account', 'netatmo-account', 'acc'));
    const url = page.locator('#node-config-input-webhookUrl');
    await url.waitFor();
    const endpoint = page.locator('#netatmo-account-webhook-endpoint');
    const problem = page.locator('#netatmo-account-webhook-problem');
    assert.equal(await endpoint.textContent(), 'https://…/endpoint/netatmo-tokens/webhook/acc');
    assert.equal(await problem.isVisible(), false);

    await url.fill('https://nr.example.org:8443/endpoint/netatmo-tokens/webhook/acc');
    await page.waitForFunction(() => $('#netatmo-account-webhook-problem').is(':visible'));
    assert.match(await problem.textContent(), /ports 80, 88, 443 and 9443/);

    await url.fill('ftp://nr.example.org/x');
    assert.match(await problem.textContent(), /https:\/\//);

    await url.fill('https://nr.example.org:9443/endpoint/netatmo-tokens/webhook/acc');
    await page.waitForFunction(() => !$('#netatmo-account-webhook-problem').is(':visible'));
    assert.equal(await endpoint.textContent(), 'https://nr.example.org:9443/endpoint/netatmo-tokens/webhook/acc');
    await page.locator('#netatmo-account-webhook-copy').click();
    await page.locator('#node-config-dialog-ok').click();
    await page.waitForFunction(() => !RED.editor.getEditStack().length);
    const saved = await page.evaluate(() => ({ url: RED.nodes.node('acc').webhookUrl, valid: RED.nodes.node('acc').valid }));
    assert.deepEqual(saved, { url: 'https://nr.example.org:9443/endpoint/netatmo-tokens/webhook/acc', valid: true });

    // A port Netatmo refuses leaves the account invalid (the deploy warns).
    await page.evaluate(() => RED.editor.editConfig('account', 'netatmo-account', 'acc'));
    await url.waitFor();
    await url.fill('https://nr.example.org:1880/x');
    await page.locator('#node-config-dialog-ok').click();
    await page.waitForFunction(() => !RED.editor.getEditStack().length);
    assert.equal(await page.evaluate(() => RED.nodes.node('acc').valid), false);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});
