'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/* global document -- the page.evaluate callbacks run in the dashboard page */
/**
 * The example "Weather history on a dashboard" in a real Node-RED process with Dashboard 2
 * (@flowfuse/node-red-dashboard, a dev dependency) against the simulator: the page in Chromium shows
 * the two charts with their points, counted from the ECharts instances, and the four gauges with the
 * station's readings. The screenshot is kept in reports/screenshots/.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startSimulator } = require('../simulator/simulator');
const { startNodeRed } = require('../helpers/nodered');
const { launchChromium, needChromium, pageErrorsOf } = require('../helpers/chromium');
const { TokenStore } = require('../../dist/core/token/store');
const { until } = require('../helpers/until');

const ROOT = path.resolve(TEST_ROOT, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'netatmo-weather-history-dashboard.json');
const SHOT = path.join(ROOT, 'reports', 'screenshots', 'weather-history-dashboard.png');
const CLIENT = { id: 'dash-client', secret: 'dash-secret-0123456789' };

describe('example: weather history on a Dashboard 2 page', function () {
  this.timeout(120000);
  let sim;
  let red;
  let browser;
  let userDir;

  before(async function () {
    needChromium(this);
    let dashboard;
    try {
      dashboard = path.dirname(require.resolve('@flowfuse/node-red-dashboard/package.json'));
    } catch {
      this.skip(); // the dev dependency is not installed
    }
    sim = await startSimulator({ clients: { [CLIENT.id]: CLIENT.secret }, devices: true });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-netatmo-dash-'));
    const link = path.join(userDir, 'node_modules', '@flowfuse', 'node-red-dashboard');
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(dashboard, link, 'dir');
    const flows = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')).map((n) => (n.type === 'netatmo-account' ? { ...n, apiBase: sim.url } : n));
    const account = flows.find((n) => n.type === 'netatmo-account');
    fs.writeFileSync(
      path.join(userDir, 'flows_cred.json'),
      JSON.stringify({ [account.id]: { clientId: CLIENT.id, clientSecret: CLIENT.secret } }),
    );
    const tokens = sim.issueTokenSet({ clientId: CLIENT.id, scope: account.scope });
    await new TokenStore({ dir: path.join(userDir, 'netatmo-tokens') }).write(account.id, { tokens });
    red = await startNodeRed({ userDir, settings: { credentialSecret: false }, flows });
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
    if (red) await red.stop();
    if (sim) await sim.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** Series name -> number of points, read from each chart's ECharts instance (the dashboard's own echarts module). */
  async function chartPoints(page) {
    return page.evaluate(async () => {
      const src = performance
        .getEntriesByType('resource')
        .map((e) => e.name)
        .find((n) => /\/assets\/echarts-[^/]+\.js$/.test(n));
      if (!src) return null;
      const echarts = await import(src);
      const init = Object.values(echarts).find((f) => typeof f === 'function');
      const out = {};
      for (const el of document.querySelectorAll('.nrdb-ui-chart-container > .nrdb-ui-chart[_echarts_instance_]')) {
        const chart = init(el); // returns the instance already on this element
        for (const s of chart.getOption().series || []) out[s.name] = (s.data || []).length;
      }
      return out;
    });
  }

  /** Whether every chart finished drawing (zrender's animation of the entry has no clip left). */
  function chartsIdle(page) {
    return page.evaluate(async () => {
      const src = performance
        .getEntriesByType('resource')
        .map((e) => e.name)
        .find((n) => /\/assets\/echarts-[^/]+\.js$/.test(n));
      const init = Object.values(await import(src)).find((f) => typeof f === 'function');
      const els = [...document.querySelectorAll('.nrdb-ui-chart-container > .nrdb-ui-chart[_echarts_instance_]')];
      return els.every((el) => init(el).getZr().animation.isFinished());
    });
  }

  it('shows 7 days of indoor and outdoor temperature and humidity (336 points a line) and the readings as gauges', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const pageErrors = pageErrorsOf(page);
    await page.goto(`${red.url}/dashboard/weather`);
    const want = { 'Indoor Temperature (°C)': 0, 'Outdoor Temperature (°C)': 0, 'Indoor Humidity (%)': 0, 'Outdoor Humidity (%)': 0 };
    const got = await until(
      async () => {
        const g = await chartPoints(page).catch(() => null);
        return g && Object.keys(want).every((k) => g[k] >= 336) && g;
      },
      'four lines of at least 336 points',
      60000,
      250,
    );
    // 7 days at 30 min: 336 points, or 337 when now falls exactly on a half-scale mark (both ends then count).
    const n = got['Outdoor Temperature (°C)'];
    const all = Object.fromEntries(Object.keys(want).map((k) => [k, n === 337 ? 337 : 336]));
    assert.deepEqual(got, all, 'the points each chart holds');
    const gauges = page.locator('.nrdb-ui-gauge');
    assert.equal(await gauges.count(), 4);
    await page.waitForFunction(() => /8\.4/.test(document.body.innerText) && /21\.3/.test(document.body.innerText), null, {
      timeout: 30000,
    });
    const text = await page.locator('body').innerText();
    for (const v of ['8.4', '81', '21.3', '48']) assert.ok(text.includes(v), `gauge value ${v}`);
    await until(() => chartsIdle(page), 'the charts drawn (their entry animation over)', 10000, 100);
    // The gauges' needles move in: keep the screenshot once two in a row are the same picture.
    fs.mkdirSync(path.dirname(SHOT), { recursive: true });
    let previous;
    await until(
      async () => {
        const shot = await page.screenshot({ fullPage: true });
        const still = previous !== undefined && shot.equals(previous);
        previous = shot;
        return still;
      },
      'a still page for the screenshot',
      15000,
      200,
    );
    fs.writeFileSync(SHOT, previous);
    assert.deepEqual(pageErrors, []);
    assert.equal(sim.deviceStats.api429, 0);
    const measures = sim.apiLog.filter((e) => e.endpoint === 'getmeasure');
    assert.equal(measures.length, 4, 'one request per module and type: 336 points fit in one');
  });
});
