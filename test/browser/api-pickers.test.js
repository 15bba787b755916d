'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/* global RED, $ -- the page.evaluate/waitForFunction callbacks run in the editor page */
/**
 * The api dialog's pickers in a real browser: a real Node-RED process with an authorized account, the
 * simulator's devices listed by the admin route, picked into the parameters (ids, types, scale, last).
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startSimulator, WORLD_IDS: ID } = require('../simulator/simulator');
const { startNodeRed } = require('../helpers/nodered');
const { launchChromium, needChromium, pageErrorsOf, openFlowNode } = require('../helpers/chromium');
const { TokenStore } = require('../../dist/core/token/store');

const CLIENT = { id: 'picker-client', secret: 'picker-secret-0123456789' };
const SCOPE = 'read_station read_thermostat read_homecoach';

describe('netatmo-api dialog: pick ids, types and scale instead of typing them', function () {
  this.timeout(90000);
  let sim;
  let red;
  let browser;
  let userDir;

  before(async function () {
    needChromium(this);
    sim = await startSimulator({ clients: { [CLIENT.id]: CLIENT.secret }, devices: true });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-netatmo-pick-'));
    fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify({ acc: { clientId: CLIENT.id, clientSecret: CLIENT.secret } }));
    const tokens = sim.issueTokenSet({ clientId: CLIENT.id, scope: SCOPE });
    await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') }).write('acc', { tokens });
    const flows = [
      { id: 'tab1', type: 'tab', label: 'Netatmo', disabled: false, info: '' },
      { id: 'acc', type: 'netatmo-account', name: 'home', scope: SCOPE, redirectUri: 'http://localhost/', apiBase: sim.url },
      {
        id: 'api',
        type: 'netatmo-api',
        z: 'tab1',
        name: '',
        account: 'acc',
        endpoint: 'getmeasure',
        method: 'auto',
        params: '',
        maxWait: 30,
        x: 300,
        y: 80,
        wires: [[]],
      },
    ];
    red = await startNodeRed({ userDir, settings: { credentialSecret: false, netatmoTokens: { apiBase: sim.url } }, flows });
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (red) await red.stop();
    if (sim) await sim.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  const params = (page) => page.evaluate(() => $('#node-input-params').typedInput('value'));
  const targets = (page) => page.$$eval('#netatmo-api-pick-target option', (os) => os.map((o) => o.textContent));

  it('fills device and module ids, types, scale and last for getmeasure; rooms for getroommeasure; homes for homestatus', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    const pageErrors = pageErrorsOf(page);
    const node = await openFlowNode(page, red.adminUrl, 'api');
    await node.dblclick();
    await page.waitForFunction(() => $('#netatmo-api-pick-target option').length > 1, null, { timeout: 20000 });
    assert.equal(await page.locator('#node-input-output').inputValue(), 'answer', 'a node saved before the option shows the answer');
    assert.deepEqual(await targets(page), [
      '— type the ids in the parameters —',
      'Home (Indoor) › Indoor (NAMain)',
      'Home (Indoor) › Outdoor (NAModule1)',
      'Office (NHC)',
    ]);
    await page.locator('#netatmo-api-pick-target').selectOption({ label: 'Home (Indoor) › Outdoor (NAModule1)' });
    assert.deepEqual(JSON.parse(await params(page)), { device_id: ID.station, module_id: ID.outdoor });
    const types = await page.$$eval('#netatmo-api-pick-types input', (is) => is.map((i) => i.value));
    assert.deepEqual(types, ['temperature', 'humidity', 'min_temp', 'max_temp', 'min_hum', 'max_hum']);
    await page.locator('#netatmo-api-pick-types input[value="temperature"]').check();
    await page.locator('#netatmo-api-pick-types input[value="humidity"]').check();
    await page.locator('#netatmo-api-pick-scale').selectOption('30min');
    await page.locator('#netatmo-api-pick-last').selectOption('7d');
    const want = { device_id: ID.station, module_id: ID.outdoor, type: 'temperature,humidity', scale: '30min', last: '7d' };
    assert.deepEqual(JSON.parse(await params(page)), want);
    await page.screenshot({ path: path.join(TEST_ROOT, '..', 'reports', 'screenshots', 'api-pickers.png') }).catch(() => {});
    await page.locator('#node-dialog-ok').click();
    await page.waitForFunction(() => !RED.editor.getEditStack().length);
    assert.deepEqual(JSON.parse(await page.evaluate(() => RED.nodes.node('api').params)), want);

    // Open again: the same pick is shown, from the runtime's cache (no new request to Netatmo).
    const before = sim.stats.apiRequests;
    await node.dblclick();
    await page.waitForFunction(() => $('#netatmo-api-pick-target option').length > 1 && $('#netatmo-api-pick-target').val() !== '');
    assert.equal(await page.locator('#netatmo-api-pick-target option:checked').textContent(), 'Home (Indoor) › Outdoor (NAModule1)');
    assert.equal(await page.locator('#netatmo-api-pick-types input[value="humidity"]').isChecked(), true);

    await page.locator('#netatmo-api-pick').selectOption('getroommeasure');
    await page.waitForFunction(() => $('#netatmo-api-pick-target option').length > 1);
    assert.deepEqual((await targets(page)).slice(1), ['Home › Living room', 'Home › Bedroom']);
    await page.locator('#netatmo-api-pick-target').selectOption({ label: 'Home › Bedroom' });
    const room = JSON.parse(await params(page));
    assert.deepEqual([room.home_id, room.room_id, room.device_id, room.module_id], [ID.home, ID.bedroom, undefined, undefined]);
    assert.deepEqual(await page.$$eval('#netatmo-api-pick-scale option', (os) => os.map((o) => o.value)), [
      '',
      '30min',
      '1hour',
      '3hours',
      '1day',
      '1week',
      '1month',
    ]);

    await page.locator('#netatmo-api-pick').selectOption('homestatus');
    await page.waitForFunction(() => $('#netatmo-api-pick-target option').length === 2);
    assert.equal(await page.locator('#netatmo-api-pick-history-row').isVisible(), false);
    assert.equal(sim.stats.apiRequests, before, 'the listing came from the cache');
    assert.deepEqual(pageErrors, []);
  });
});

describe("the pickers' admin route with adminAuth", function () {
  this.timeout(60000);
  const { hashPassword, adminToken } = require('../helpers/nodered');
  let red;
  before(async () => {
    red = await startNodeRed({
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [{ username: 'viewer', password: hashPassword('viewer-password'), permissions: 'read' }],
        },
      },
    });
  });
  after(async () => {
    if (red) await red.stop();
  });

  it('needs an admin token (read permission is enough: it changes nothing), and refuses a bad account id', async () => {
    const get = (route, token) =>
      fetch(`${red.adminUrl}netatmo-api/${route}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    assert.equal((await get('acc/ids')).status, 401);
    const viewer = await adminToken(red, 'viewer', 'viewer-password', 'read');
    const none = await get('acc/ids', viewer);
    assert.equal(none.status, 404, 'authorized to ask; the account is not deployed');
    assert.equal((await none.json()).error.code, 'NO_ACCOUNT');
    assert.equal((await get('a%20b/ids', viewer)).status, 400);
    assert.equal(
      (await fetch(`${red.adminUrl}netatmo-api/acc/ids`, { method: 'POST', headers: { Authorization: `Bearer ${viewer}` } })).status,
      404,
      'no write route',
    );
  });
});
