'use strict';
/**
 * Issue 27, finding 1: i18next 25 (Node-RED 4.1 and 5.0) backtracks exponentially on a `$t(` in a
 * translated text; 40 characters froze the runtime for good. Outside text reaches our translated
 * texts through an api node's endpoint, the paste box and the callback page. In a real Node-RED
 * process (NODE_RED_MODULE=node-red-5 for 5): each shows the value literally and the runtime keeps
 * answering. Unit part: translatorOf hands i18next markers, never the values.
 */
const assert = require('node:assert/strict');
const { translatorOf } = require('../../dist/nodes/i18n');
const { startNodeRed } = require('../helpers/nodered');
const { until } = require('../helpers/until');

const HOSTILE = ['$t(' + 'a'.repeat(61), '$t($t(' + 'b'.repeat(58), '{{x}}$t(' + 'c'.repeat(50) + '__message__'];
/** How long the runtime may take to answer an admin request while hostile texts are translated. */
const ANSWER_MS = 2000;

describe('a $t( in an outside value (i18next nesting)', function () {
  this.timeout(90000);

  describe('translatorOf', () => {
    it('hands i18next one marker per text value and puts the value back after: nothing to nest or fill again', () => {
      const seen = [];
      const tr = translatorOf({
        _: (key, options) => {
          seen.push(options);
          return `${key}: ${options.name} / ${options.count} (${options.lng})`;
        },
      });
      assert.equal(tr('k', { name: HOSTILE[0], count: 3, lng: 'fr' }), `k: ${HOSTILE[0]} / 3 (fr)`);
      assert.equal(seen[0].nest, false);
      assert.ok(/^\d+$/.test(seen[0].name.slice(1, -1)) && seen[0].name.startsWith('\u0001'), seen[0].name);
      assert.equal(tr('k', { name: 'x', lng: '$t(aaaa' }), 'k: x / undefined (undefined)', 'a language that is no language is dropped');
    });
  });

  describe(`in a real Node-RED (${process.env.NODE_RED_MODULE || 'node-red'})`, () => {
    let red;
    const FLOWS = [
      { id: 'tab1', type: 'tab', label: 'nesting' },
      {
        id: 'acc',
        type: 'netatmo-account',
        name: 'home',
        scope: 'read_station',
        redirectUri: 'http://127.0.0.1:9/cb/',
        apiBase: 'http://127.0.0.1:9',
      },
      ...HOSTILE.map((v, i) => ({
        id: `inj${i}`,
        type: 'inject',
        z: 'tab1',
        props: [{ p: 'endpoint', v, vt: 'str' }],
        once: false,
        wires: [['api']],
      })),
      { id: 'api', type: 'netatmo-api', z: 'tab1', account: 'acc', endpoint: '', method: 'auto', params: '', maxWait: 0, wires: [[]] },
      { id: 'cat', type: 'catch', z: 'tab1', scope: ['api'], uncaught: false, wires: [['keep']] },
      {
        id: 'keep',
        type: 'change',
        z: 'tab1',
        rules: [{ t: 'set', p: 'caught', pt: 'global', to: 'error.message', tot: 'msg' }],
        wires: [],
      },
    ];
    before(async () => {
      red = await startNodeRed({ flows: FLOWS });
    });
    after(async () => {
      if (red) await red.stop();
    });

    /** ms the runtime takes to answer an admin request (fails when it does not answer in ANSWER_MS). */
    async function answers() {
      const t0 = Date.now();
      const res = await fetch(`${red.adminUrl}settings`, { signal: AbortSignal.timeout(ANSWER_MS) });
      assert.equal(res.status, 200);
      return Date.now() - t0;
    }
    const post = (path, body, headers = {}) =>
      fetch(red.adminUrl + path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'same-origin', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(ANSWER_MS),
      });

    it('an api node given such an endpoint: Catch shows it literally, the runtime keeps answering', async () => {
      const quiet = await answers();
      for (const [i, v] of HOSTILE.entries()) {
        await fetch(`${red.adminUrl}context/global/caught`, { method: 'DELETE' }).catch(() => {});
        assert.equal(
          (await fetch(`${red.adminUrl}inject/inj${i}`, { method: 'POST', signal: AbortSignal.timeout(ANSWER_MS) })).status,
          200,
        );
        const took = await answers();
        const shown = await until(async () => {
          const body = await (await fetch(`${red.adminUrl}context/global/caught`, { signal: AbortSignal.timeout(ANSWER_MS) })).json();
          return typeof body.msg === 'string' && body.msg.includes(v.slice(0, 40)) && body.msg;
        }, `the Catch message for value ${i}`);
        assert.ok(shown.includes(v.slice(0, 60)), `shown literally (up to 60 characters): ${shown}`);
        console.log(`      value ${i}: runtime answered in ${took} ms (quiet: ${quiet} ms)`);
      }
    });

    it('the paste box given an address whose error is such a value: 400 with the value literally', async () => {
      for (const v of HOSTILE) {
        const res = await post('netatmo-tokens/acc/code', { text: `http://127.0.0.1:9/cb/?error=${encodeURIComponent(v)}` });
        assert.equal(res.status, 400);
        const body = await res.json();
        assert.ok(body.error.message.includes(v.slice(0, 60)), body.error.message);
        await answers();
      }
    });

    it('the callback page given such an error and description: the page shows them escaped, the runtime keeps answering', async () => {
      for (const v of HOSTILE) {
        const start = await post('netatmo-tokens/acc/authorize', {
          clientId: 'test-client-id',
          clientSecret: 'test-client-secret-0123456789',
        });
        assert.equal(start.status, 200, await start.clone().text());
        const cookie = start.headers
          .getSetCookie()
          .find((c) => c.startsWith('netatmo_tokens_browser='))
          .split(';')[0];
        const state = new URL((await start.json()).url).searchParams.get('state');
        const q = new URLSearchParams({ state, error: v, error_description: v });
        const page = await fetch(`${red.adminUrl}netatmo-tokens/callback?${q}`, {
          headers: { Cookie: cookie },
          signal: AbortSignal.timeout(ANSWER_MS),
        });
        assert.equal(page.status, 400);
        const html = await page.text();
        assert.ok(html.includes(v), html);
        await answers();
      }
    });
  });
});
