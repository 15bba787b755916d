'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/* global window, document, getComputedStyle, RED -- the page.evaluate/waitForFunction callbacks run in the editor page */
/**
 * The editor in a real browser: a real Node-RED process with this package installed, the
 * Netatmo simulator as Netatmo, Chromium driven by playwright-core. A user adds an account from
 * a netatmo-token node, types the client id and secret, ticks a scope, clicks Authorize, accepts
 * on the (simulated) Netatmo page, sees "Authorized" in the dialog, deploys, and the flow
 * inject -> netatmo token -> http request gets 200 from the simulator's /api/homesdata.
 * Then what goes wrong for a first-time user (issue 16): a refused or failed login shown in the dialog,
 * required fields, contrast and keyboard; and where Node-RED really runs (issue 12): Home Assistant's
 * ingress (a stand-in proxy with its SameSite=Strict session cookie), a custom httpAdminRoot, and a
 * prefix proxy that terminates TLS.
 */
const assert = require('node:assert/strict');
const { until: waitUntil } = require('../helpers/until');
const fs = require('node:fs');
const path = require('node:path');
const { startSimulator } = require('../simulator/simulator');
const { startNodeRed } = require('../helpers/nodered');
const { launchChromium, needChromium, pageErrorsOf } = require('../helpers/chromium');
const { startProxy } = require('../helpers/proxy');

/** How long the dialog may take to show what its status poll (every 2 s) learns, on a loaded machine. */
const POLLED = { timeout: 15000 };
const SCREENSHOTS = path.join(TEST_ROOT, '..', 'reports', 'screenshots');

const ARTIFACTS = path.join(TEST_ROOT, 'artifacts');
const CLIENT_ID = 'browser-test-client';
const CLIENT_SECRET = 'browser-test-secret-9876543210';
const STRICT = { clients: { [CLIENT_ID]: CLIENT_SECRET } };

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

const until = (check, what, ms = 15000) => waitUntil(check, what, ms, 100);

/** Opens the editor at `url` and waits for the flow's token node. */
async function openEditor(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('tok') && RED.nodes.getType('netatmo-account'), null, {
    timeout: 30000,
  });
  const tokenNode = page.locator('g.red-ui-flow-node-group[id="tok"] rect.red-ui-flow-node');
  await tokenNode.waitFor();
  return tokenNode;
}

/** From the token node's dialog, "+" to add a new account; resolves with the new account's id. */
async function addAccount(page, tokenNode) {
  await tokenNode.dblclick();
  await page.locator('#node-input-account').waitFor({ state: 'attached' });
  await page.locator('#node-input-btn-account-add').click();
  await page.locator('#node-config-input-clientId').waitFor();
  return page.evaluate(() => RED.editor.getEditStack().slice(-1)[0].id);
}

/** Clicks Authorize; resolves with the Netatmo tab once it shows the consent page. */
async function authorizeTab(context, page) {
  const [tab] = await Promise.all([context.waitForEvent('page'), page.locator('#netatmo-account-authorize').click()]);
  await tab.waitForURL(/\/oauth2\/authorize\?/, { timeout: 15000 });
  return tab;
}

/** Closes both dialogs (account: Add/Update, token node: Done) and deploys; resolves with the account's label. */
async function closeDialogsAndDeploy(page) {
  await page.locator('#node-config-dialog-ok').click();
  await page.locator('#node-config-input-clientId').waitFor({ state: 'detached' });
  const label = await page.locator('#node-input-account option:checked').textContent();
  await page.locator('#node-dialog-ok').click();
  await page.locator('#node-input-account').waitFor({ state: 'detached' });
  await page.locator('#red-ui-header-button-deploy').click();
  return label;
}

/** Injects and waits for the flow to store the API's status code in global context. */
async function injectAndGetStatus(adminUrl) {
  assert.equal((await fetch(`${adminUrl}inject/inj`, { method: 'POST' })).status, 200);
  return until(async () => {
    const res = await fetch(`${adminUrl}context/global/netatmoStatus`);
    const body = res.status === 200 ? await res.json() : {};
    return body.msg !== undefined && body.format !== 'undefined' ? body.msg : undefined;
  }, 'the flow to store the status code');
}

/**
 * WCAG contrast of an element's text against the first opaque background behind it, both from
 * computed styles.
 */
function contrastOf(locator) {
  return locator.evaluate((el) => {
    // The status box is drawn again at each poll: an element replaced since the locator found it has no styles.
    if (!el.isConnected) return null;
    const rgba = (c) => {
      const v = (c.match(/[\d.]+/g) || []).map(Number);
      return { rgb: v.slice(0, 3), a: v.length > 3 ? v[3] : 1 };
    };
    const lum = ([r, g, b]) => {
      const f = (x) => ((x /= 255) <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let bg = [255, 255, 255];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.a === 1) {
        bg = c.rgb;
        break;
      }
    }
    const fg = rgba(getComputedStyle(el).color).rgb;
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    return { ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100, fg: `rgb(${fg})`, bg: `rgb(${bg})`, text: el.textContent.trim() };
  });
}
/** Every contrast measured, written to reports/screenshots/contrast.json after the run (for the closing note). */
const measured = [];
after(() => {
  if (measured.length) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.writeFileSync(path.join(SCREENSHOTS, 'contrast.json'), JSON.stringify(measured, null, 2));
  }
});
async function assertReadable(locator, what) {
  // Measured on the element as it is drawn now (the locator finds the new one after a redraw).
  const c = await until(() => contrastOf(locator), `${what} to be measured while on the page`, 10_000);
  measured.push({ what, ...c, text: c.text.slice(0, 60) });
  assert.ok(c.ratio >= 4.5, `${what}: contrast ${c.ratio}:1 (${c.fg} on ${c.bg}) is below 4.5:1 for "${c.text.slice(0, 60)}"`);
  return c;
}

describe('editor in a real browser: authorize, deploy, call the API', function () {
  this.timeout(120000);
  let sim;
  let red;
  let browser;

  before(async function () {
    needChromium(this);
    sim = await startSimulator(STRICT);
    red = await startNodeRed({ settings: { netatmoTokens: { apiBase: sim.url } }, flows: flows(sim.url) });
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (red) await red.stop();
    if (sim) await sim.close();
  });

  const admin = (route, init) => fetch(red.adminUrl + route, init);

  it('a wrong secret and a refusal show in the dialog; Cancel leaves no login on disk after the deploy', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
    const page = await context.newPage();
    const pageErrors = pageErrorsOf(page);
    const accountId = await addAccount(page, await openEditor(page, red.adminUrl));

    // Required fields: outlined red while empty, Authorize disabled until both are there.
    const clientId = page.locator('#node-config-input-clientId');
    const secret = page.locator('#node-config-input-clientSecret');
    const authorize = page.locator('#netatmo-account-authorize');
    assert.equal(await clientId.evaluate((e) => e.classList.contains('input-error')), true, 'empty client id outlined');
    assert.equal(await secret.evaluate((e) => e.classList.contains('input-error')), true, 'empty secret outlined');
    assert.equal(await authorize.isDisabled(), true);
    assert.match(await page.locator('#netatmo-account-needs').textContent(), /Enter the client id and the client secret first/);
    await assertReadable(page.locator('#netatmo-account-needs'), 'the "enter the client id" hint');
    await clientId.fill(CLIENT_ID);
    assert.equal(await authorize.isDisabled(), true, 'still no secret');
    await secret.fill('a-wrong-secret-0000');
    assert.equal(await authorize.isDisabled(), false);
    assert.equal(await clientId.evaluate((e) => e.classList.contains('input-error')), false);
    assert.equal(await page.locator('#netatmo-account-needs').isVisible(), false);

    // A wrong secret: Netatmo's consent works, the exchange fails; the dialog says so and stops waiting.
    let tab = await authorizeTab(context, page);
    const attempt = page.locator('#netatmo-account-attempt');
    await page.locator('#netatmo-account-attempt[data-outcome="pending"]').waitFor(POLLED);
    assert.match(await attempt.textContent(), /paste it under "Paste instead"/);
    assert.equal(await page.locator('#netatmo-account-link').isVisible(), true, 'the "No new tab?" link while waiting');
    await assertReadable(page.locator('#netatmo-account-attempt-text'), 'the waiting hint');
    await assertReadable(page.locator('#netatmo-account-link > span'), 'the "No new tab?" line');
    await tab.locator('#accept').click();
    await tab.locator('#title').waitFor();
    assert.equal(await tab.locator('#title').textContent(), 'Netatmo login failed');
    await tab.close();
    await page.locator('#netatmo-account-attempt[data-outcome="failed"]').waitFor(POLLED);
    assert.match(await attempt.textContent(), /The login failed \(INVALID_CLIENT\)/);
    assert.equal(await page.locator('#netatmo-account-link').isVisible(), false, 'no link to a spent login');
    await assertReadable(attempt, 'the failed outcome');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'after-failed-login.png'), fullPage: false });

    // The right secret, but Refuse on Netatmo's page.
    await secret.fill(CLIENT_SECRET);
    tab = await authorizeTab(context, page);
    await tab.locator('#refuse').click();
    await tab.locator('#title').waitFor();
    assert.equal(await tab.locator('#title').textContent(), 'Netatmo access refused');
    await tab.close();
    await page.locator('#netatmo-account-attempt[data-outcome="denied"]').waitFor(POLLED);
    assert.match(await attempt.textContent(), /Access was refused on the Netatmo page/);
    assert.equal(await page.locator('#netatmo-account-status').getAttribute('data-status'), 'unauthorized');

    // Accept this time: stored before any deploy. Then Cancel, and deploy: the login is gone.
    tab = await authorizeTab(context, page);
    await tab.locator('#accept').click();
    await tab.locator('#title').waitFor();
    assert.equal(await tab.locator('#title').textContent(), 'Netatmo: authorized');
    await tab.close();
    await page.locator('#netatmo-account-attempt[data-outcome="authorized"]').waitFor(POLLED);
    const file = path.join(red.userDir, 'netatmo-tokens', `${accountId}.json`);
    assert.ok(fs.existsSync(file), 'stored before the deploy');
    // The removal needs both the deploy and the dialog's close, which may reach the runtime in either order.
    const closed = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/${accountId}/dialog`));
    const deployed = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/flows'));
    await page.locator('#node-config-dialog-cancel').click();
    await page.locator('#node-config-input-clientId').waitFor({ state: 'detached' });
    await page.locator('#node-dialog-cancel').click();
    await page.locator('#node-input-account').waitFor({ state: 'detached' });
    await page.evaluate(() => RED.nodes.dirty(true)); // as if something else had changed: Deploy is enabled
    await page.locator('#red-ui-header-button-deploy').click();
    // The token node still has no account: Node-RED asks to confirm.
    await page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy').click();
    assert.equal((await closed).status(), 200, "the dialog's close");
    assert.equal((await deployed).status(), 200, 'the deploy');
    await until(
      () => !fs.existsSync(file),
      `the cancelled account's login to be removed after the deploy and the close:\n${red.logs.slice(-8).join('\n')}`,
      20_000,
    );
    // The file goes, then the line is logged: wait for the line too.
    const removed = new RegExp(`Removed the Netatmo login stored for account ${accountId}`);
    await until(() => removed.test(red.output()), 'the removal to be logged', 10_000);
    assert.deepEqual(pageErrors, []);
    await context.close();
  });

  it('adds an account, authorizes it through Netatmo, deploys, and the flow gets 200 from the API', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
    const page = await context.newPage();
    const pageErrors = pageErrorsOf(page);

    const codesAtStart = sim.stats.authCodeRequests;
    // ---- the editor, with the flow; one name for each node
    const tokenNode = await openEditor(page, red.adminUrl);
    assert.equal(await page.locator('g.red-ui-flow-node-group[id="tok"] .red-ui-flow-node-label').textContent(), 'Netatmo token');

    // ---- the token node's own dialog script (resources/netatmo-token.js): spinners, and the checks of its fields
    await tokenNode.dblclick();
    await page.locator('.ui-spinner #node-input-interval').waitFor();
    assert.deepEqual(
      await page.evaluate(() => {
        const d = RED.nodes.getType('netatmo-token').defaults;
        return [d.interval.validate('600'), d.interval.validate('ten'), d.maxWait.validate('30'), d.maxWait.validate('3601')];
      }),
      [true, false, true, false],
    );
    await page.locator('#node-dialog-cancel').click();
    await page.locator('#node-input-interval').waitFor({ state: 'detached' });

    // ---- open the token node, add a new account with "+"
    const accountId = await addAccount(page, tokenNode);
    assert.match(accountId, /^[0-9a-f]{16}$/);
    assert.match(
      await page.locator('.red-ui-tray-titlebar').last().textContent(),
      /Edit Netatmo token node.*Add new Netatmo account config node/,
    );

    // Step 1: the app. The redirect URI shown is this editor's address plus the callback route.
    await page.locator('#node-config-input-name').fill('home');
    await page.locator('#node-config-input-clientId').fill(CLIENT_ID);
    await page.locator('#node-config-input-clientSecret').fill(CLIENT_SECRET);
    const callback = `${red.adminUrl}netatmo-tokens/callback/`;
    assert.equal(await page.locator('#netatmo-account-callback-url').textContent(), callback);
    assert.equal(await page.locator('#netatmo-account-ingress').isVisible(), false, 'no ingress notice on a plain install');

    // Step 2: scopes, checkboxes and text field in sync both ways (unknown scopes typed by hand stay).
    // The groups are folded but for the ones with a ticked scope.
    const scope = page.locator('#node-config-input-scope');
    const box = (s) => page.locator(`#netatmo-account-groups input[data-scope="${s}"]`);
    const group = (g) => page.locator(`#netatmo-account-groups [data-group="${g}"] button.netatmo-account-group-label`);
    await box('read_station').waitFor();
    assert.equal(await page.locator('#netatmo-account-groups input[type=checkbox]').count(), 26);
    assert.equal(await page.locator('#netatmo-account-groups input[type=checkbox]:visible').count(), 1, 'only the weather group is open');
    assert.equal(await group('weather').getAttribute('aria-expanded'), 'true');
    assert.equal(await group('energy').getAttribute('aria-expanded'), 'false');
    assert.match(await page.locator('#netatmo-account-groups').textContent(), /need Netatmo to approve/);
    assert.equal(await scope.inputValue(), 'read_station');
    assert.equal(await box('read_station').isChecked(), true);
    await scope.fill('read_station write_thermostat my_new_scope');
    assert.equal(await box('write_thermostat').isChecked(), true);
    assert.match(await group('energy').textContent(), /\(1 of 2 ticked\)/);
    await group('energy').click();
    await box('write_thermostat').click();
    await group('homecoach').click();
    await box('read_homecoach').click();
    assert.equal(await scope.inputValue(), 'read_station my_new_scope read_homecoach');
    await scope.fill('read_station');
    assert.equal(await box('read_homecoach').isChecked(), false);
    await box('read_thermostat').click();
    assert.equal(await scope.inputValue(), 'read_station read_thermostat');
    await group('homecoach').click();
    assert.equal(await group('homecoach').getAttribute('aria-expanded'), 'false');

    // Keyboard: from the scope field to Authorize, folded groups are one stop each (not 26 checkboxes).
    await scope.focus();
    let stops = 0;
    while ((await page.evaluate(() => document.activeElement && document.activeElement.id)) !== 'netatmo-account-authorize') {
      await page.keyboard.press('Tab');
      stops++;
      assert.ok(stops <= 12, `more than 12 tab stops between the scopes and Authorize`);
    }
    // Toggles are buttons: Space opens them and they say whether they are open.
    const pasteToggle = page.locator('#netatmo-account-paste-toggle');
    assert.equal(await pasteToggle.getAttribute('aria-expanded'), 'false');
    await pasteToggle.focus();
    await page.keyboard.press('Space');
    assert.equal(await pasteToggle.getAttribute('aria-expanded'), 'true');
    assert.equal(await page.getByLabel('Address, code or refresh token').isVisible(), true, 'the paste box has a label');
    await assertReadable(page.locator('#netatmo-account-paste-rules'), 'the paste rules');
    await page.keyboard.press('Shift+Tab'); // back on the toggle from the focused box
    await pasteToggle.focus();
    await page.keyboard.press('Space');
    assert.equal(await pasteToggle.getAttribute('aria-expanded'), 'false');

    // Not authorized yet (the status is polled).
    await page.locator('#netatmo-account-status[data-status="unauthorized"]').waitFor(POLLED);

    // Step 3: Authorize opens Netatmo's login in a new tab; accept there.
    const tab = await authorizeTab(context, page);
    const consent = new URL(tab.url());
    assert.equal(consent.origin, sim.url);
    assert.equal(consent.searchParams.get('client_id'), CLIENT_ID);
    assert.equal(consent.searchParams.get('redirect_uri'), callback);
    assert.equal(consent.searchParams.get('scope'), 'read_station read_thermostat');
    assert.equal(consent.searchParams.get('client_secret'), null);
    assert.ok(!tab.url().includes(CLIENT_SECRET));
    await tab.locator('#accept').click();
    await tab.waitForURL((u) => u.href.startsWith(callback), { timeout: 15000 });
    assert.equal(await tab.locator('#title').textContent(), 'Netatmo: authorized');
    assert.match(await tab.locator('#message').textContent(), /^Authorized for scopes read_station read_thermostat\.$/);
    await tab.close();

    // Back in the dialog: "Authorized", from polling; the waiting hint and the login link are gone.
    const status = page.locator('#netatmo-account-status[data-status="authorized"]');
    await status.waitFor(POLLED);
    const statusText = await status.textContent();
    assert.match(statusText, /Authorized/);
    assert.match(statusText, /Scopes: read_station read_thermostat/);
    assert.match(statusText, /expires in 2 h 5\d min|expires in 3 h 0 min/);
    assert.match(statusText, /^Authorized: deploy to use it/);
    await page.locator('#netatmo-account-attempt[data-outcome="authorized"]').waitFor(POLLED);
    assert.match(await page.locator('#netatmo-account-attempt').textContent(), /Authorized: Netatmo gave the tokens/);
    assert.equal(await page.locator('#netatmo-account-link').isVisible(), false);
    assert.equal(await page.locator('#netatmo-account-message').isVisible(), false);

    // Contrast, measured: the title, every detail line, the outcome.
    const title = await assertReadable(status.locator('.netatmo-account-status-title'), '"Authorized"');
    for (const detail of await status.locator('.netatmo-account-status-detail').all()) await assertReadable(detail, 'a status detail');
    await assertReadable(page.locator('#netatmo-account-attempt'), 'the outcome line');
    await group('cameras').click();
    await assertReadable(page.locator('#netatmo-account-groups .netatmo-account-group-hint'), 'the camera hint');
    await group('cameras').click();

    // Scopes ticked after authorizing: the dialog says they need a new authorization.
    await box('write_thermostat').click();
    const missing = page.locator('#netatmo-account-scopes-missing');
    await missing.waitFor();
    assert.equal(await missing.textContent(), 'Authorize again to grant write_thermostat (not in the stored login).');
    await assertReadable(missing, 'the missing-scope warning');
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(SCREENSHOTS, 'after-account-dialog-scope-warning.png') });
    await box('write_thermostat').click();
    await missing.waitFor({ state: 'detached' });

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await status.scrollIntoViewIfNeeded();
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(ARTIFACTS, 'account-dialog.png') });
    fs.copyFileSync(path.join(ARTIFACTS, 'account-dialog.png'), path.join(SCREENSHOTS, 'after-account-dialog.png'));
    assert.ok(title.ratio >= 4.5);

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
    assert.equal(await injectAndGetStatus(red.adminUrl), '200');
    const answer = await (await admin('context/global/netatmoAnswer')).json();
    assert.equal(answer.msg, 'ok');
    assert.equal(sim.stats.apiRequests, apiBefore + 1);
    assert.equal(sim.stats.authCodeRequests, codesAtStart + 1, 'one login, one code');
    assert.equal(sim.stats.refreshRequests, 0, 'the token from the editor login was used as it was');

    await page.locator('#red-ui-header-shade').waitFor({ state: 'hidden' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-flow.png') });

    // ---- nothing secret in the Node-RED log; no errors in the page
    for (const s of [...sim.issuedSecrets(), CLIENT_SECRET]) assert.ok(!red.output().includes(s), `secret in the log: ${s.slice(0, 4)}…`);
    assert.deepEqual(pageErrors, []);
    await context.close();
  });
});

describe("editor in a real browser: Home Assistant's ingress (a stand-in proxy)", function () {
  this.timeout(120000);
  let sim;
  let red;
  let proxy;
  let browser;

  before(async function () {
    needChromium(this);
    sim = await startSimulator(STRICT);
    // Netatmo on another site than the editor: the simulator as `localhost`, the proxy on 127.0.0.1.
    const netatmo = sim.url.replace('127.0.0.1', 'localhost');
    red = await startNodeRed({ settings: { netatmoTokens: { apiBase: netatmo } }, flows: flows(sim.url) });
    const ingress = `/api/hassio_ingress/${require('node:crypto').randomBytes(12).toString('base64url')}/`;
    proxy = await startProxy({ target: red.url, prefix: ingress, sessionCookie: 'ingress_session' });
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    if (proxy) await proxy.close();
    if (red) await red.stop();
    if (sim) await sim.close();
  });

  it('the one-click callback dies at the ingress (401); the guided paste path authorizes, deploys, and a token flows', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1500 } });
    const page = await context.newPage();
    const pageErrors = pageErrorsOf(page);

    // The stand-in is faithful: nothing without the session cookie, which is SameSite=Strict.
    assert.equal((await page.goto(proxy.url)).status(), 401);
    await page.goto(proxy.loginUrl);
    const cookie = (await context.cookies()).find((c) => c.name === 'ingress_session');
    assert.equal(cookie.sameSite, 'Strict');
    const accountId = await addAccount(page, await openEditor(page, proxy.url));
    assert.ok(page.url().startsWith(proxy.url));

    // The dialog knows it is under ingress: one sentence why, the steps, and http://localhost/ to register.
    const notice = page.locator('#netatmo-account-ingress');
    assert.equal(await notice.isVisible(), true);
    assert.match(await notice.textContent(), /browsers do not send that cookie when Netatmo sends them back/);
    assert.equal(await page.locator('#netatmo-account-callback-url').textContent(), 'http://localhost/');
    await assertReadable(notice.locator('div').first(), 'the ingress notice');
    await page.locator('#node-config-input-clientId').fill(CLIENT_ID);
    await page.locator('#node-config-input-clientSecret').fill(CLIENT_SECRET);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(SCREENSHOTS, 'ingress-dialog.png') });

    // What the old dialog told users to register (the ingress address): the redirect back gets 401.
    const ingressCallback = `${proxy.url}netatmo-tokens/callback/`;
    await page.locator('#node-config-input-redirectUri').fill(ingressCallback);
    let tab = await authorizeTab(context, page);
    assert.equal(new URL(tab.url()).hostname, 'localhost', 'Netatmo is another site');
    const refusedBefore = proxy.stats.unauthorized;
    const [back] = await Promise.all([
      tab.waitForResponse((r) => r.url().startsWith(ingressCallback), { timeout: 15000 }),
      tab.locator('#accept').click(),
    ]);
    assert.equal(back.status(), 401, 'the Strict cookie is not sent on the redirect from Netatmo');
    // The same address asked from the editor's own site gets through to Node-RED (which refuses the state):
    // the cookie, not the address, made the difference.
    const sameSite = await page.evaluate((url) => fetch(`${url}?state=x&code=abcdef0123456789`).then((r) => r.status), ingressCallback);
    assert.equal(sameSite, 400);
    assert.equal(proxy.stats.unauthorized, refusedBefore + 1);
    assert.equal(sim.stats.authCodeRequests, 0, 'Node-RED never saw the code');
    await tab.close();
    assert.equal(await page.locator('#netatmo-account-status').getAttribute('data-status'), 'unauthorized');

    // The guided path: the shown http://localhost/, Authorize, Accept, paste the address the tab could not open.
    await page.locator('#node-config-input-redirectUri').fill('');
    tab = await authorizeTab(context, page);
    assert.equal(new URL(tab.url()).searchParams.get('redirect_uri'), 'http://localhost/');
    const pasteBox = page.locator('#netatmo-account-paste-text');
    assert.equal(await pasteBox.isVisible(), true, 'the paste box is already open');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'netatmo-account-paste-text', 'and focused');
    assert.match(await page.locator('#netatmo-account-attempt').textContent(), /copy its whole address into the box below/);
    const [failed] = await Promise.all([
      tab.waitForEvent('requestfailed', { predicate: (r) => r.url().startsWith('http://localhost/?'), timeout: 15000 }),
      tab.locator('#accept').click(),
    ]);
    const address = failed.url();
    assert.match(address, /^http:\/\/localhost\/\?state=[\w-]{43}&code=\w+$/);
    await tab.close();

    // Pasted things that cannot work say why, where the user is looking.
    const pasteUse = page.locator('#netatmo-account-paste-use');
    const pasteMessage = page.locator('#netatmo-account-paste-message');
    const tryPaste = async (text) => {
      await pasteBox.fill(text);
      await pasteUse.click();
      await until(async () => (await pasteMessage.textContent()) !== 'Checking with Netatmo…', 'the paste answer');
      return pasteMessage.textContent();
    };
    assert.match(await tryPaste('http://localhost/?state=x&error=access_denied'), /^Taken as the address .*\(access_denied\)/);
    assert.match(await tryPaste(`localhost/?state=${'Q'.repeat(43)}&code=abcdef0123456789`), /unknown to Node-RED/);
    assert.match(await tryPaste('?state=abc'), /^Taken as the address .*no "code="/);
    assert.match(await tryPaste('abc|def'), /^Taken as a refresh token .*24 and 32 hex digits/);
    assert.match(await tryPaste('abc'), /^Taken as a code .*letters and digits only/);
    await assertReadable(pasteMessage, 'a paste error');
    assert.equal(sim.stats.authCodeRequests, 0, 'none of them reached Netatmo');

    // The real address, as copied without its scheme: authorized.
    assert.match(
      await tryPaste(address.replace(/^http:\/\//, '')),
      /^Done: the code in the address was used; authorized for read_station\.$/,
    );
    await page.locator('#netatmo-account-status[data-status="authorized"]').waitFor(POLLED);
    await page.locator('#netatmo-account-attempt[data-outcome="authorized"]').waitFor(POLLED);
    await page
      .locator('.red-ui-tray')
      .last()
      .screenshot({ path: path.join(SCREENSHOTS, 'ingress-dialog-authorized.png') });

    // Deploy through the ingress; the flow gets a token and 200 from the API.
    // Without a name, the account is told apart by its client id's start.
    assert.equal(await closeDialogsAndDeploy(page), `Netatmo ${CLIENT_ID.slice(0, 8)}…`);
    await until(async () => {
      const body = await (await fetch(`${red.adminUrl}netatmo-tokens/${accountId}/status`)).json();
      return body.deployed && body.authorized;
    }, 'the deployed account to be authorized');
    assert.equal(await injectAndGetStatus(red.adminUrl), '200');
    assert.equal(sim.stats.authCodeRequests, 1);
    assert.deepEqual(pageErrors, []);
    await context.close();
  });
});

describe('editor in a real browser: under httpAdminRoot /admin/, directly and behind a TLS-terminating prefix proxy', function () {
  this.timeout(120000);
  let sim;
  let red;
  let proxy;
  let browser;

  before(async function () {
    needChromium(this);
    sim = await startSimulator(STRICT);
    red = await startNodeRed({
      settings: { httpAdminRoot: '/admin/', httpNodeRoot: '/api/', netatmoTokens: { apiBase: sim.url } },
      flows: flows(sim.url),
    });
    const tls = {
      key: fs.readFileSync(path.join(TEST_ROOT, 'fixtures', 'proxy-key.pem')),
      cert: fs.readFileSync(path.join(TEST_ROOT, 'fixtures', 'proxy-cert.pem')),
    };
    proxy = await startProxy({ target: red.url, prefix: '/nodered/', tls });
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    if (proxy) await proxy.close();
    if (red) await red.stop();
    if (sim) await sim.close();
  });

  /** Opens the dialog at `editorUrl`, checks the redirect URI shown, authorizes with it, and cancels. */
  async function authorizeAt(editorUrl, expectedCallback) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1200 }, ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await addAccount(page, await openEditor(page, editorUrl));
    assert.equal(await page.locator('#netatmo-account-callback-url').textContent(), expectedCallback);
    await page.locator('#node-config-input-clientId').fill(CLIENT_ID);
    await page.locator('#node-config-input-clientSecret').fill(CLIENT_SECRET);
    const tab = await authorizeTab(context, page);
    assert.equal(new URL(tab.url()).searchParams.get('redirect_uri'), expectedCallback);
    await tab.locator('#accept').click();
    await tab.waitForURL((u) => u.href.startsWith(expectedCallback), { timeout: 15000 });
    assert.equal(await tab.locator('#title').textContent(), 'Netatmo: authorized');
    await page.locator('#netatmo-account-attempt[data-outcome="authorized"]').waitFor(POLLED);
    await page.locator('#netatmo-account-status[data-status="authorized"]').waitFor(POLLED);
    await context.close();
  }

  it('directly: shows <origin>/admin/netatmo-tokens/callback/, and the callback completes there', async () => {
    assert.equal(red.adminUrl, `${red.url}/admin/`);
    await authorizeAt(`${red.adminUrl}#flow/tab1`, `${red.url}/admin/netatmo-tokens/callback/`);
  });

  it('behind https://<proxy>/nodered/ (X-Forwarded-Proto: https): shows the address the browser uses, and the callback completes', async () => {
    const seen = proxy.seen.length;
    await authorizeAt(`${proxy.url}admin/`, `${proxy.origin}/nodered/admin/netatmo-tokens/callback/`);
    assert.ok(proxy.origin.startsWith('https://'));
    assert.ok(proxy.seen.slice(seen).includes('/nodered/admin/netatmo-tokens/callback/'), 'the callback came through the proxy');
  });

  it('without client id and secret, Authorize is disabled and Paste says what is missing; the override is what Authorize sends', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await addAccount(page, await openEditor(page, `${red.adminUrl}#flow/tab1`));
    const shown = await page.locator('#netatmo-account-callback-url').textContent();
    const res = await fetch(shown);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /without a login in progress/);
    assert.equal(await page.locator('#netatmo-account-authorize').isDisabled(), true);
    await page.locator('#netatmo-account-paste-toggle').click();
    await page.locator('#netatmo-account-paste-text').fill('abcdef0123456789abcdef0123456789');
    await page.locator('#netatmo-account-paste-use').click();
    const pasted = page.locator('#netatmo-account-paste-message');
    await until(async () => /client id/.test(await pasted.textContent()), 'the paste answer');
    assert.match(await pasted.textContent(), /Enter the client id and the client secret/);
    assert.equal(await page.locator('#netatmo-account-status').getAttribute('data-status'), 'unauthorized');

    // The user's override wins: it is what the Authorize button sends.
    await page.locator('#node-config-input-redirectUri').fill('https://example.org/nr/netatmo-tokens/callback/');
    await page.locator('#node-config-input-clientId').fill(CLIENT_ID);
    await page.locator('#node-config-input-clientSecret').fill(CLIENT_SECRET);
    const context = page.context();
    const tab = await authorizeTab(context, page);
    assert.equal(new URL(tab.url()).searchParams.get('redirect_uri'), 'https://example.org/nr/netatmo-tokens/callback/');
    await tab.close();
    await page.close();
  });
});
