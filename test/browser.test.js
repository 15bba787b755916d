'use strict';
/* global window, RED -- the page.evaluate/waitForFunction callbacks run in the editor page */
/**
 * The editor in a real browser: a real Node-RED process with this package installed, the
 * Netatmo simulator as Netatmo, Chromium driven by playwright-core. A user adds an account from
 * a netatmo-token node, types the client id and secret, ticks a scope, clicks Authorize, accepts
 * on the (simulated) Netatmo page, sees "Authorized" in the dialog, deploys, and the flow
 * inject -> netatmo token -> http request gets 200 from the simulator's /api/homesdata.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startSimulator } = require('./simulator');
const { startNodeRed } = require('./helpers/nodered-process');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Debian's Chromium, headless, with a new empty profile (Playwright makes one per launch) and no background traffic. */
function launchChromium() {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
const ARTIFACTS = path.join(__dirname, 'artifacts');
const CLIENT_ID = 'browser-test-client';
const CLIENT_SECRET = 'browser-test-secret-9876543210';

/** inject -> netatmo token (no account yet) -> http request -> change (status code into global context) -> debug */
function flows(simUrl) {
  return [
    { id: 'tab1', type: 'tab', label: 'Netatmo', disabled: false, info: '' },
    {
      id: 'inj',
      type: 'inject',
      z: 'tab1',
      name: 'go',
      props: [{ p: 'payload' }],
      repeat: '',
      crontab: '',
      once: false,
      onceDelay: 0.1,
      topic: '',
      payload: '',
      payloadType: 'date',
      x: 110,
      y: 80,
      wires: [['tok']],
    },
    { id: 'tok', type: 'netatmo-token', z: 'tab1', name: '', account: '', interval: 0, x: 290, y: 80, wires: [['req']] },
    {
      id: 'req',
      type: 'http request',
      z: 'tab1',
      name: 'homesdata',
      method: 'GET',
      ret: 'obj',
      paytoqs: 'ignore',
      url: `${simUrl}/api/homesdata`,
      tls: '',
      persist: false,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      x: 480,
      y: 80,
      wires: [['chg']],
    },
    {
      id: 'chg',
      type: 'change',
      z: 'tab1',
      name: 'remember',
      rules: [
        { t: 'set', p: 'netatmoStatus', pt: 'global', to: 'statusCode', tot: 'msg' },
        { t: 'set', p: 'netatmoAnswer', pt: 'global', to: 'payload.status', tot: 'msg' },
      ],
      x: 660,
      y: 80,
      wires: [['dbg']],
    },
    {
      id: 'dbg',
      type: 'debug',
      z: 'tab1',
      name: 'result',
      active: true,
      tosidebar: true,
      console: false,
      tostatus: false,
      complete: 'statusCode',
      targetType: 'msg',
      x: 830,
      y: 80,
      wires: [],
    },
  ];
}

describe('editor in a real browser: authorize, deploy, call the API', function () {
  this.timeout(90000);
  let sim;
  let red;
  let browser;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip(`${CHROMIUM} is missing (apt-get install chromium); the CI installs it`);
    sim = await startSimulator({ acceptAnyClient: true });
    red = await startNodeRed({ settings: { netatmoTokens: { apiBase: sim.url } }, flows: flows(sim.url) });
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (red) await red.stop();
    if (sim) await sim.close();
  });

  const admin = (route, init) => fetch(red.adminUrl + route, init);
  async function until(check, what, ms = 10000) {
    const end = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('adds an account, authorizes it through Netatmo, deploys, and the flow gets 200 from the API', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    // ---- the editor, with the flow
    await page.goto(red.adminUrl);
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('tok') && RED.nodes.getType('netatmo-account'), null, {
      timeout: 30000,
    });
    const tokenNode = page.locator('g.red-ui-flow-node-group[id="tok"] rect.red-ui-flow-node');
    await tokenNode.waitFor();
    assert.equal(await page.locator('g.red-ui-flow-node-group[id="tok"] .red-ui-flow-node-label').textContent(), 'netatmo token');

    // ---- open the token node, add a new account with "+"
    await tokenNode.dblclick();
    await page.locator('#node-input-btn-account-add').click();
    await page.locator('#node-config-input-clientId').waitFor();
    const accountId = await page.evaluate(() => RED.editor.getEditStack().slice(-1)[0].id);
    assert.match(accountId, /^[0-9a-f]{16}$/);

    // Step 1: the app. The redirect URI shown is this editor's address plus the callback route.
    await page.locator('#node-config-input-name').fill('home');
    await page.locator('#node-config-input-clientId').fill(CLIENT_ID);
    await page.locator('#node-config-input-clientSecret').fill(CLIENT_SECRET);
    const callback = `${red.adminUrl}netatmo-tokens/callback/`;
    assert.equal(await page.locator('#netatmo-account-callback-url').textContent(), callback);

    // Step 2: scopes, checkboxes and text field in sync both ways (unknown scopes typed by hand stay).
    const scope = page.locator('#node-config-input-scope');
    const box = (s) => page.locator(`#netatmo-account-groups input[data-scope="${s}"]`);
    await box('read_station').waitFor();
    assert.equal(await page.locator('#netatmo-account-groups input[type=checkbox]').count(), 26);
    assert.match(await page.locator('#netatmo-account-groups').textContent(), /need Netatmo to approve/);
    assert.equal(await scope.inputValue(), 'read_station');
    assert.equal(await box('read_station').isChecked(), true);
    await scope.fill('read_station write_thermostat my_new_scope');
    assert.equal(await box('write_thermostat').isChecked(), true);
    await box('write_thermostat').click();
    await box('read_homecoach').click();
    assert.equal(await scope.inputValue(), 'read_station my_new_scope read_homecoach');
    await scope.fill('read_station');
    assert.equal(await box('read_homecoach').isChecked(), false);
    await box('read_thermostat').click();
    assert.equal(await scope.inputValue(), 'read_station read_thermostat');

    // Not authorized yet (the status is polled).
    await page.locator('#netatmo-account-status[data-status="unauthorized"]').waitFor({ timeout: 5000 });

    // Step 3: Authorize opens Netatmo's login in a new tab; accept there.
    const [tab] = await Promise.all([context.waitForEvent('page'), page.locator('#netatmo-account-authorize').click()]);
    await tab.waitForURL(/\/oauth2\/authorize\?/, { timeout: 10000 });
    const consent = new URL(tab.url());
    assert.equal(consent.origin, sim.url);
    assert.equal(consent.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(consent.searchParams.get('redirect_uri'), callback);
    assert.equal(consent.searchParams.get('scope'), 'read_station read_thermostat');
    assert.equal(consent.searchParams.get('client_secret'), null);
    assert.ok(!tab.url().includes(CLIENT_SECRET));
    await tab.locator('#accept').click();
    await tab.waitForURL((u) => u.href.startsWith(callback), { timeout: 10000 });
    assert.equal(await tab.locator('#title').textContent(), 'Netatmo: authorized');
    assert.match(await tab.locator('#message').textContent(), /^Authorized for scopes read_station read_thermostat\.$/);
    await tab.close();

    // Back in the dialog: "Authorized", from polling.
    const status = page.locator('#netatmo-account-status[data-status="authorized"]');
    await status.waitFor({ timeout: 6000 });
    const statusText = await status.textContent();
    assert.match(statusText, /Authorized/);
    assert.match(statusText, /Scopes: read_station read_thermostat/);
    assert.match(statusText, /expires in 2 h 5\d min|expires in 3 h 0 min/);
    assert.match(statusText, /Not deployed yet/);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await status.scrollIntoViewIfNeeded();
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(ARTIFACTS, 'account-dialog.png') });

    // The saved secret never comes back to the browser.
    const creds = await page.evaluate(async (id) => (await fetch(`credentials/netatmo-account/${id}`)).text(), accountId);
    assert.ok(!creds.includes(CLIENT_SECRET));

    // ---- close the dialogs, deploy
    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-config-input-clientId').waitFor({ state: 'detached' });
    assert.equal(await page.locator('#node-input-account').inputValue(), accountId);
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-account').waitFor({ state: 'detached' });
    await page.locator('#red-ui-header-button-deploy').click();
    await until(async () => {
      const body = await (await admin(`netatmo-tokens/${accountId}/status`)).json();
      return body.deployed && body.authorized;
    }, 'the deployed account to be authorized');
    const saved = await (await admin('flows', { headers: { 'Node-RED-API-Version': 'v2' } })).json();
    const account = saved.flows.find((n) => n.id === accountId);
    assert.equal(account.type, 'netatmo-account');
    assert.equal(account.scope, 'read_station read_thermostat');
    assert.equal(account.redirectUri, '');
    assert.equal(saved.flows.find((n) => n.id === 'tok').account, accountId);

    // ---- the flow calls the API with the token
    const apiBefore = sim.stats.apiRequests;
    assert.equal((await admin('inject/inj', { method: 'POST' })).status, 200);
    const stored = await until(async () => {
      const res = await admin('context/global/netatmoStatus');
      const body = res.status === 200 ? await res.json() : {};
      return body.msg !== undefined && body.format !== 'undefined' ? body : undefined;
    }, 'the flow to store the status code');
    assert.equal(stored.msg, '200');
    const answer = await (await admin('context/global/netatmoAnswer')).json();
    assert.equal(answer.msg, 'ok');
    assert.equal(sim.stats.apiRequests, apiBefore + 1);
    assert.equal(sim.stats.authCodeRequests, 1);
    assert.equal(sim.stats.refreshRequests, 0, 'the token from the editor login was used as it was');

    await page.locator('#red-ui-header-shade').waitFor({ state: 'hidden' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-flow.png') });

    // ---- nothing secret in the Node-RED log; no errors in the page
    for (const s of [...sim.issuedSecrets(), CLIENT_SECRET]) assert.ok(!red.output().includes(s), `secret in the log: ${s.slice(0, 4)}…`);
    assert.deepEqual(pageErrors, []);
    await context.close();
  });
});

describe('editor in a real browser: the redirect URI under another httpAdminRoot', function () {
  this.timeout(60000);
  let red;
  let browser;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip(`${CHROMIUM} is missing (apt-get install chromium); the CI installs it`);
    red = await startNodeRed({ settings: { httpAdminRoot: '/admin/', httpNodeRoot: '/api/' }, flows: flows('http://127.0.0.1:9') });
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    if (red) await red.stop();
  });

  it('shows <origin>/admin/netatmo-tokens/callback/, which reaches the callback route', async () => {
    assert.equal(red.adminUrl, `${red.url}/admin/`);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${red.adminUrl}#flow/tab1`);
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('tok') && RED.nodes.getType('netatmo-account'), null, {
      timeout: 30000,
    });
    const tokenNode = page.locator('g.red-ui-flow-node-group[id="tok"] rect.red-ui-flow-node');
    await tokenNode.waitFor();
    await tokenNode.dblclick();
    await page.locator('#node-input-account').waitFor({ state: 'attached' });
    await page.locator('#node-input-btn-account-add').click();
    await page.locator('#node-config-input-clientId').waitFor();
    const shown = await page.locator('#netatmo-account-callback-url').textContent();
    assert.equal(shown, `${red.url}/admin/netatmo-tokens/callback/`);
    // The user's override wins: it is what the Authorize button sends.
    await page.locator('#node-config-input-redirectUri').fill('https://example.org/nr/netatmo-tokens/callback/');
    assert.equal(await page.locator('#node-config-input-redirectUri').inputValue(), 'https://example.org/nr/netatmo-tokens/callback/');
    const res = await fetch(shown);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /without a login in progress/);

    // Without client id and secret, Authorize and Paste say what is missing.
    await page.locator('#netatmo-account-authorize').click();
    const message = page.locator('#netatmo-account-message');
    await message.waitFor({ state: 'visible' });
    assert.match(await message.textContent(), /Cannot start the login: Enter the client id and the client secret/);
    await page.locator('#netatmo-account-paste-toggle').click();
    await page.locator('#netatmo-account-paste-text').fill('abcdef0123456789abcdef0123456789');
    await page.locator('#netatmo-account-paste-use').click();
    const pasted = page.locator('#netatmo-account-paste-message');
    await pasted.waitFor({ state: 'visible' });
    assert.match(await pasted.textContent(), /Enter the client id and the client secret/);
    assert.equal(await page.locator('#netatmo-account-status').getAttribute('data-status'), 'unauthorized');
    await page.close();
  });
});
