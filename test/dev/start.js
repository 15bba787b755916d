#!/usr/bin/env node
'use strict';
/**
 * `npm start`: Node-RED from the project's own dependencies on http://127.0.0.1:1880,
 * with this package loaded, two examples deployed (a token for an http request node, and the
 * netatmo-api node reading a weather station), and — unless NETATMO_API_BASE is set — the
 * built-in Netatmo simulator standing in for api.netatmo.com with devices (a station with indoor
 * and outdoor modules, a thermostat home), accepting any client id, already authorized: tokens
 * and readings flow offline. The debug nodes also print to the console.
 *
 *   npm start                                         # offline, simulator
 *   NETATMO_API_BASE=https://api.netatmo.com npm start # the real Netatmo: authorize in the editor
 *
 * State lives in .dev-userdir/ (git-ignored; NETATMO_DEV_USERDIR changes it). PORT changes the port.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startSimulator } = require('../simulator/simulator');
const { TokenStore } = require('../../dist/core/token/store');

const ROOT = path.resolve(__dirname, '..', '..');
const USER_DIR = process.env.NETATMO_DEV_USERDIR || path.join(ROOT, '.dev-userdir');
const PORT = Number(process.env.PORT) || 1880;
const REAL_API = 'https://api.netatmo.com';
/** The token example and an API example; they share one account node (one Netatmo login). */
const EXAMPLES = ['netatmo-homesdata.json', 'netatmo-weather-station.json'].map((f) => path.join(ROOT, 'examples', f));
/** With Dashboard 2 installed (a dev dependency), its example too: http://127.0.0.1:1880/dashboard/weather */
const DASHBOARD_EXAMPLE = path.join(ROOT, 'examples', 'netatmo-weather-history-dashboard.json');

function dashboardDir() {
  try {
    return path.dirname(require.resolve('@flowfuse/node-red-dashboard/package.json', { paths: [ROOT] }));
  } catch {
    return undefined;
  }
}
const SIM_CLIENT = { id: 'sim-client-id', secret: 'sim-client-secret' };

function linkPackage() {
  const modules = path.join(USER_DIR, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  const link = path.join(modules, 'node-red-contrib-netatmo-tokens');
  fs.rmSync(link, { force: true, recursive: true });
  fs.symlinkSync(ROOT, link, 'dir');
  const dashboard = dashboardDir();
  if (dashboard) {
    const dash = path.join(modules, '@flowfuse', 'node-red-dashboard');
    fs.mkdirSync(path.dirname(dash), { recursive: true });
    fs.rmSync(dash, { force: true, recursive: true });
    fs.symlinkSync(dashboard, dash, 'dir');
  }
  fs.writeFileSync(
    path.join(USER_DIR, 'package.json'),
    JSON.stringify(
      { name: 'netatmo-tokens-dev', private: true, dependencies: { 'node-red-contrib-netatmo-tokens': `file:${ROOT}` } },
      null,
      2,
    ),
  );
}

function writeSettings(apiBase) {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: PORT,
    flowFile: 'flows.json',
    credentialSecret: false, // dev only: flows_cred.json in clear; a real install keeps its secret
    netatmoTokens: apiBase ? { apiBase } : {},
    logging: { console: { level: 'info' } },
    editorTheme: { tours: false },
    // No 'Enable Update Notifications' dialog over the canvas: the demo works offline anyway.
    telemetry: { enabled: false, updateNotification: false },
  };
  const file = path.join(USER_DIR, 'settings.js');
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  return file;
}

/** The examples as one flow file: the shared account once. `offline`: debug nodes print to the console too. */
function exampleFlows(offline) {
  const seen = new Set();
  const flow = [];
  for (const file of [...EXAMPLES, ...(dashboardDir() ? [DASHBOARD_EXAMPLE] : [])]) {
    for (const n of JSON.parse(fs.readFileSync(file, 'utf8'))) {
      if (seen.has(n.id)) continue;
      seen.add(n.id);
      if (offline && n.type === 'debug') n.console = true;
      flow.push(n);
    }
  }
  return flow;
}

/** Deploys the examples against the simulator, already authorized. */
async function seedOffline(sim) {
  const flow = exampleFlows(true);
  for (const n of flow) if (n.type === 'http request') n.url = n.url.replace(REAL_API, sim.url);
  fs.writeFileSync(path.join(USER_DIR, 'flows.json'), JSON.stringify(flow, null, 2));
  const accounts = flow.filter((n) => n.type === 'netatmo-account');
  const creds = Object.fromEntries(accounts.map((a) => [a.id, { clientId: SIM_CLIENT.id, clientSecret: SIM_CLIENT.secret }]));
  fs.writeFileSync(path.join(USER_DIR, 'flows_cred.json'), JSON.stringify(creds, null, 2));
  const store = new TokenStore({ dir: path.join(USER_DIR, 'netatmo-tokens') });
  for (const account of accounts) {
    await store.write(account.id, { tokens: sim.issueTokenSet({ clientId: SIM_CLIENT.id, scope: account.scope }) });
  }
}

async function main() {
  fs.mkdirSync(USER_DIR, { recursive: true });
  linkPackage();
  let sim;
  let apiBase = process.env.NETATMO_API_BASE;
  if (!apiBase) {
    // devices: homes, a weather station with its history, a Home Coach (test/simulator/simulator.js, measure.js)
    sim = await startSimulator({ acceptAnyClient: true, devices: true, clients: { [SIM_CLIENT.id]: SIM_CLIENT.secret } });
    apiBase = sim.url;
    await seedOffline(sim);
    console.log(
      `Netatmo simulator on ${sim.url}, with a weather station and a thermostat home; it accepts any client id ` +
        `(set NETATMO_API_BASE=${REAL_API} to use the real Netatmo)`,
    );
  } else if (!fs.existsSync(path.join(USER_DIR, 'flows.json'))) {
    fs.writeFileSync(path.join(USER_DIR, 'flows.json'), JSON.stringify(exampleFlows(false), null, 2));
  }
  const settingsFile = writeSettings(apiBase === REAL_API ? undefined : apiBase);
  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', USER_DIR, '--settings', settingsFile], {
    stdio: 'inherit',
  });
  console.log(`Node-RED starting on http://127.0.0.1:${PORT}/ (Ctrl-C to stop)`);
  const stop = () => red.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  red.on('exit', async (code) => {
    if (sim) {
      console.log(`Netatmo simulator served ${sim.stats.apiRequests} API calls and ${sim.stats.tokenRequests} token requests`);
      await sim.close();
    }
    process.exit(code ?? 0);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
