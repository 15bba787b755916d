'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/* global window, document, getComputedStyle, RED, $ -- the page.evaluate/waitForFunction callbacks run in the editor page */
/**
 * The first screen a newcomer meets (issue 23), in English, French and German: a real Node-RED process with
 * this package, the simulator as Netatmo, Chromium. The palette names every node in one style with an
 * icon of its own; a netatmo-api node dropped from the palette takes the only account (and asks when
 * there are several); its dialog shows the Method list whole and the endpoint's purpose in the editor's
 * language; the account dialog of an imported, deployed account without a login shows, after Authorize
 * and before Deploy, one state: "Authorized: deploy to use it". Screenshots of each step are kept
 * under reports/screenshots/ for a look by eye.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startSimulator } = require('../simulator/simulator');
const { startNodeRed } = require('../helpers/nodered');
const { launchChromium, needChromium } = require('../helpers/chromium');

const SCREENSHOTS = path.join(TEST_ROOT, '..', 'reports', 'screenshots');
const CLIENT_ID = 'first-screen-client';
const CLIENT_SECRET = 'first-screen-secret-0123456789';
/** How long the dialog may take to show what its status poll (every 2 s) learns, on a loaded machine. */
const POLLED = { timeout: 15000 };

const catalog = (lang, name) =>
  JSON.parse(fs.readFileSync(path.join(TEST_ROOT, '..', 'nodes', 'locales', lang, `${name}.json`), 'utf8'))[name];

/** What Import > Examples gives: an account without client id and secret, deployed as it is, and a token node. */
const FLOWS = [
  { id: 'tab1', type: 'tab', label: 'Netatmo', disabled: false, info: '' },
  { id: 'acc', type: 'netatmo-account', name: '', scope: 'read_station', redirectUri: '', apiBase: '' },
  { id: 'tok', type: 'netatmo-token', z: 'tab1', name: '', account: 'acc', interval: 0, x: 160, y: 80, wires: [] },
];

async function shoot(locator, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // The editor's trays slide in with a jQuery animation: wait for it to end.
  await locator.page().waitForFunction(() => !$(':animated').length, null, { timeout: 10000 });
  await locator.screenshot({ path: path.join(SCREENSHOTS, name) });
}

/** Drags a node type from the palette onto the canvas; resolves with the new node's id. */
async function dropFromPalette(page, type, y) {
  const before = await page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((n) => n.id), type);
  await page.dragAndDrop(`.red-ui-palette-node[data-palette-type="${type}"]`, '#red-ui-workspace-chart', {
    targetPosition: { x: 420, y },
  });
  const handle = await page.waitForFunction(
    ([t, old]) => {
      const added = RED.nodes.filterNodes({ type: t }).filter((n) => !old.includes(n.id));
      return added.length === 1 && added[0].id;
    },
    [type, before],
    { timeout: 10000 },
  );
  return handle.jsonValue();
}

/** Whether the chosen option of a <select> is shown whole: its text's width against the box's inner width. */
function selectFits(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    const style = getComputedStyle(el);
    const probe = document.createElement('span');
    probe.style.font = style.font;
    probe.style.whiteSpace = 'pre';
    probe.textContent = el.options[el.selectedIndex].text;
    document.body.appendChild(probe);
    const text = probe.getBoundingClientRect().width;
    probe.remove();
    const inner = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16; // the arrow
    return { text: Math.ceil(text), inner: Math.floor(inner), fits: text <= inner };
  }, selector);
}

for (const { locale, lang } of [
  { locale: 'en-US', lang: 'en-US' },
  { locale: 'fr-FR', lang: 'fr' },
  { locale: 'de-DE', lang: 'de' }, // the Method list's German text, checked too
]) {
  describe(`the first screen in a real browser (${locale})`, function () {
    this.timeout(120000);
    const api = catalog(lang, 'netatmo-api');
    const token = catalog(lang, 'netatmo-token');
    const account = catalog(lang, 'netatmo-account');
    let sim;
    let red;
    let browser;
    let context;
    let page;
    const pageErrors = [];

    before(async function () {
      needChromium(this);
      sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET }, devices: true });
      red = await startNodeRed({ settings: { netatmoTokens: { apiBase: sim.url } }, flows: FLOWS });
      browser = await launchChromium();
      // Tall enough for the whole account dialog in one screenshot.
      context = await browser.newContext({ locale, viewport: { width: 1280, height: 1500 } });
      page = await context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(red.adminUrl);
      await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('tok') && RED.nodes.getType('netatmo-api'), null, {
        timeout: 30000,
      });
    });

    after(async () => {
      if (browser) await browser.close();
      if (red) await red.stop();
      if (sim) await sim.close();
    });

    it('the palette names every node in one style, each with an icon of its own', async () => {
      // Typed as a user does: the palette filters on each key.
      await page.locator('#red-ui-palette-search input').pressSequentially('netatmo');
      const entry = (type) => page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      await entry('netatmo-api').waitFor();
      await page.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor({ state: 'hidden' });
      assert.equal(await entry('netatmo-api').getAttribute('data-palette-label'), api.label.palette);
      assert.equal(await entry('netatmo-token').getAttribute('data-palette-label'), token.label.palette);
      // One style: the account's name, with its noun swapped ("Netatmo account" / "Netatmo token" / "Netatmo API").
      const style = (name) => name.replace(/Netatmo/, '').trim().length > 0 && name.includes('Netatmo');
      assert.ok([api.label.palette, token.label.palette, account.label.default].every(style));
      const icon = (type) =>
        entry(type)
          .locator('.red-ui-palette-icon')
          .evaluate((el) => getComputedStyle(el).backgroundImage);
      assert.match(await icon('netatmo-api'), /netatmo-api\.svg/);
      assert.match(await icon('netatmo-token'), /netatmo-token\.svg/);
      assert.equal(await page.locator('g.red-ui-flow-node-group[id="tok"] .red-ui-flow-node-label').textContent(), token.label.default);
      const box = await page.locator('#red-ui-palette').boundingBox();
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, `palette-${lang}.png`), clip: { ...box, height: 360 } });
    });

    it('a netatmo-api node dropped from the palette takes the only account; its dialog shows the Method list whole and speaks the language', async () => {
      const id = await dropFromPalette(page, 'netatmo-api', 200);
      assert.equal(await page.evaluate((n) => RED.nodes.node(n).account, id), 'acc');
      await page.evaluate((n) => RED.editor.edit(RED.nodes.node(n)), id);
      await page.waitForFunction(() => $('#netatmo-api-pick option').length > 5, null, { timeout: 10000 });
      assert.equal(await page.locator('#node-input-account').inputValue(), 'acc');
      await page.locator('#netatmo-api-pick').selectOption('getstationsdata');
      const info = await page.locator('#netatmo-api-info').textContent();
      assert.ok(info.includes(api.purpose.getstationsdata), info);
      assert.ok(info.includes(`(${api.encoding.query})`), info);
      const fits = await selectFits(page, '#node-input-method');
      assert.ok(fits.fits, `the Method list shows "${api.label['method-auto']}" in ${fits.inner}px, it needs ${fits.text}px`);
      await shoot(page.locator('.red-ui-tray').last(), `api-dialog-${lang}.png`);
      await page.locator('#node-dialog-cancel').click();
      await page.locator('#netatmo-api-pick').waitFor({ state: 'detached' });

      // A node imported without an account (no onadd then): its dialog takes the only one too.
      await page.evaluate(() =>
        RED.nodes.import([{ id: 'bare', type: 'netatmo-api', z: 'tab1', account: '', endpoint: 'homesdata', x: 600, y: 80, wires: [[]] }]),
      );
      await page.evaluate(() => RED.editor.edit(RED.nodes.node('bare')));
      await page.waitForFunction(() => $('#netatmo-api-pick option').length > 5, null, { timeout: 10000 });
      assert.equal(await page.locator('#node-input-account').inputValue(), 'acc');
      await page.locator('#node-dialog-ok').click();
      await page.locator('#netatmo-api-pick').waitFor({ state: 'detached' });
      assert.equal(await page.evaluate(() => RED.nodes.node('bare').account), 'acc');
      await page.evaluate((n) => RED.editor.edit(RED.nodes.node(n)), id);
      await page.waitForFunction(() => $('#netatmo-api-pick option').length > 5, null, { timeout: 10000 });
    });

    it('the account dialog, after Authorize and before Deploy, shows one state: authorized, deploy to use it', async () => {
      // From the api node's dialog, the pencil beside the account.
      await page.locator('#node-input-btn-account-edit').click();
      await page.locator('#node-config-input-clientId').waitFor();
      await page.locator('#node-config-input-clientId').fill(CLIENT_ID);
      await page.locator('#node-config-input-clientSecret').fill(CLIENT_SECRET);
      const status = page.locator('#netatmo-account-status');
      await page.waitForFunction(
        (want) => document.querySelector('#netatmo-account-status').textContent.includes(want),
        account.editor.status['unauthorized-ready'],
        POLLED,
      );
      assert.doesNotMatch(await status.textContent(), new RegExp(account.editor.status['unauthorized-hint'].slice(0, 20)));
      await shoot(page.locator('.red-ui-tray').last(), `account-before-authorize-${lang}.png`);

      const [tab] = await Promise.all([context.waitForEvent('page'), page.locator('#netatmo-account-authorize').click()]);
      await tab.waitForURL(/\/oauth2\/authorize\?/, { timeout: 15000 });
      await tab.locator('#accept').click();
      await tab.waitForURL((u) => u.href.includes('/netatmo-tokens/callback/'), { timeout: 15000 });
      await tab.close();

      await page.locator('#netatmo-account-status[data-status="authorized"]').waitFor(POLLED);
      await page.locator('#netatmo-account-attempt[data-outcome="authorized"]').waitFor(POLLED);
      assert.equal(await status.locator('.netatmo-account-status-title').textContent(), account.editor.status['authorized-deploy']);
      const shown = await page.locator('#netatmo-account-attempt, #netatmo-account-status').allTextContents();
      for (const contradiction of [account.editor.status.unauthorized, account.editor.status['unauthorized-hint']]) {
        assert.ok(!shown.some((t) => t.includes(contradiction)), `"${contradiction}" shown beside "Authorized": ${shown}`);
      }
      assert.deepEqual(await status.evaluate((el) => [...el.classList]), ['netatmo-account-status', 'netatmo-ok']);
      await shoot(page.locator('.red-ui-tray').last(), `account-after-authorize-${lang}.png`);
      await page.locator('#node-config-dialog-ok').click();
      await page.locator('#node-dialog-ok').click();
      await page.locator('#node-input-account').waitFor({ state: 'detached' });
    });

    // Node-RED itself shows "none" for an empty account among several; this keeps our onadd from choosing.
    it('with several accounts, a new netatmo-api node asks which one', async () => {
      await page.evaluate(() =>
        RED.nodes.import([{ id: 'acc2', type: 'netatmo-account', name: 'second', scope: 'read_station', redirectUri: '', apiBase: '' }]),
      );
      const id = await dropFromPalette(page, 'netatmo-api', 320);
      assert.equal(await page.evaluate((n) => RED.nodes.node(n).account, id), '');
      await page.evaluate((n) => RED.editor.edit(RED.nodes.node(n)), id);
      await page.waitForFunction(() => $('#netatmo-api-pick option').length > 5, null, { timeout: 10000 });
      assert.equal(await page.locator('#node-input-account').inputValue(), '_ADD_', 'no account chosen for the user');
      await page.locator('#node-dialog-cancel').click();
      assert.deepEqual(pageErrors, []);
    });
  });
}
