'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/* global window, document, RED -- the page.evaluate/waitForFunction callbacks run in the editor page */
/**
 * The editor in French and in German: a real Node-RED process with this package installed, and
 * Chromium with its language set to fr-FR, then de-DE (navigator.language and Accept-Language,
 * from which Node-RED's editor picks its language). The account dialog shows our translated step
 * titles, the help sidebar our translated help, and texts the server writes (an error answered to
 * the dialog, the callback page) come in the browser's language too.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { launchChromium, pageErrorsOf } = require('../helpers/chromium');
const { startNodeRed } = require('../helpers/nodered');

const catalog = (lang, name) => JSON.parse(fs.readFileSync(path.join(TEST_ROOT, '..', 'nodes', 'locales', lang, `${name}.json`), 'utf8'));

const FLOWS = [
  { id: 'tab1', type: 'tab', label: 'Netatmo', disabled: false, info: '' },
  { id: 'tok', type: 'netatmo-token', z: 'tab1', name: '', account: '', interval: 0, x: 290, y: 80, wires: [] },
];

describe('editor in a real browser, in French and in German', function () {
  this.timeout(90000);
  let red;
  let browser;

  before(async () => {
    browser = await launchChromium(); // a missing Chromium fails here: never a silent skip
    red = await startNodeRed({ flows: FLOWS });
  });

  after(async () => {
    if (browser) await browser.close();
    if (red) await red.stop();
  });

  for (const { locale, lang, helpTitle } of [
    { locale: 'fr-FR', lang: 'fr', helpTitle: 'Détails' },
    { locale: 'de-DE', lang: 'de', helpTitle: 'Referenzen' },
  ]) {
    it(`${locale}: the account dialog shows the ${lang} step titles, help and server texts`, async () => {
      const english = catalog('en-US', 'netatmo-account')['netatmo-account'];
      const texts = catalog(lang, 'netatmo-account')['netatmo-account'];
      const context = await browser.newContext({ locale, viewport: { width: 1280, height: 1200 } });
      const page = await context.newPage();
      const pageErrors = pageErrorsOf(page);

      await page.goto(red.adminUrl);
      await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('tok') && RED.nodes.getType('netatmo-account'), null, {
        timeout: 30000,
      });
      assert.equal(await page.evaluate(() => navigator.language), locale);

      // Open the token node, add an account: the dialog's steps in the browser's language.
      const tokenNode = page.locator('g.red-ui-flow-node-group[id="tok"] rect.red-ui-flow-node');
      await tokenNode.waitFor();
      await tokenNode.dblclick();
      await page.locator('#node-input-btn-account-add').click();
      await page.locator('#node-config-input-clientId').waitFor();
      const steps = await page.locator('.netatmo-account-step').allTextContents();
      const expected = [
        texts.editor['step-app'],
        texts.editor['step-scopes'],
        texts.editor['step-authorize'],
        texts.editor['step-webhook'],
      ];
      assert.deepEqual(steps, expected);
      assert.notDeepEqual(steps, [
        english.editor['step-app'],
        english.editor['step-scopes'],
        english.editor['step-authorize'],
        english.editor['step-webhook'],
      ]);
      assert.equal(
        await page
          .locator('#netatmo-account-authorize')
          .textContent()
          .then((t) => t.trim()),
        texts.editor.authorize,
      );
      // The scope groups use Netatmo's product names in this language.
      await page.locator('#netatmo-account-groups input[data-scope="read_station"]').waitFor();
      assert.ok((await page.locator('#netatmo-account-groups').textContent()).includes(texts.scopes.weather));

      // Without client id and secret, Authorize is disabled and says why in this language.
      assert.equal(await page.locator('#netatmo-account-authorize').isDisabled(), true);
      assert.equal(await page.locator('#netatmo-account-needs').textContent(), texts.editor['needs-credentials']);
      // An error the server answers to the dialog: a pasted code without client id and secret.
      await page.locator('#netatmo-account-paste-toggle').click();
      await page.locator('#netatmo-account-paste-text').fill('abcdef0123456789abcdef0123456789');
      await page.locator('#netatmo-account-paste-use').click();
      const message = page.locator('#netatmo-account-paste-message');
      const errors = texts.errors;
      await page.waitForFunction(
        (want) => document.querySelector('#netatmo-account-paste-message').textContent.includes(want),
        errors['CONFIG-missing'],
        {
          timeout: 15000,
        },
      );
      const shown = await message.textContent();
      assert.ok(shown.startsWith(texts.editor['paste-taken-code']), shown);
      assert.ok(shown.includes(errors['CONFIG-missing']), `${shown} does not say ${errors['CONFIG-missing']}`);

      // The help sidebar in this language.
      await page.evaluate(() => RED.sidebar.help.show('netatmo-account'));
      await page.locator('.red-ui-help h3', { hasText: helpTitle }).first().waitFor({ timeout: 10000 });

      // The page Netatmo sends the browser back to, opened without a login in progress.
      const callback = await context.newPage();
      await callback.goto(`${red.adminUrl}netatmo-tokens/callback/`);
      assert.equal(await callback.locator('#title').textContent(), texts.callback['title-refused']);
      assert.equal(await callback.locator('#message').textContent(), texts.callback['state-missing']);
      assert.equal(await callback.locator('html').getAttribute('lang'), lang);

      assert.deepEqual(pageErrors, []);
      await context.close();
    });
  }

  it("the language chosen in Node-RED's settings, not the browser's, for the server's texts", async () => {
    const german = catalog('de', 'netatmo-account')['netatmo-account'];
    const french = catalog('fr', 'netatmo-account')['netatmo-account'];
    const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 1200 } });
    // What Node-RED's settings dialog stores when the user picks Deutsch.
    await context.addInitScript(() => window.localStorage.setItem('editor-language', 'de'));
    const page = await context.newPage();
    await page.goto(red.adminUrl);
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('tok') && RED.nodes.getType('netatmo-account'), null, {
      timeout: 30000,
    });
    assert.equal(await page.evaluate(() => RED.i18n.lang()), 'de');
    await page.locator('g.red-ui-flow-node-group[id="tok"] rect.red-ui-flow-node').dblclick();
    await page.locator('#node-input-btn-account-add').click();
    await page.locator('#netatmo-account-paste-toggle').click();
    await page.locator('#netatmo-account-paste-text').fill('abcdef0123456789abcdef0123456789');
    await page.locator('#netatmo-account-paste-use').click();
    // The request carries the browser's fr-FR unless the dialog names the editor's language.
    await page.waitForFunction(
      (texts) => texts.some((t) => document.querySelector('#netatmo-account-paste-message').textContent.includes(t)),
      [german.errors['CONFIG-missing'], french.errors['CONFIG-missing']],
      { timeout: 15000 },
    );
    const shown = await page.locator('#netatmo-account-paste-message').textContent();
    assert.ok(shown.includes(german.errors['CONFIG-missing']), `${shown} is not German`);
    await context.close();
  });
});
