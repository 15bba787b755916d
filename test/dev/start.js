#!/usr/bin/env node
'use strict';
/**
 * `npm start`: Node-RED from the project's own dependencies on http://127.0.0.1:1880,
 * with this package loaded, the example flow deployed, and — unless NETATMO_API_BASE
 * is set — the built-in Netatmo simulator standing in for api.netatmo.com, already
 * authorized, so tokens flow offline.
 *
 *   npm start                                         # offline, simulator
 *   NETATMO_API_BASE=https://api.netatmo.com npm start # the real Netatmo: authorize in the editor
 *
 * State lives in .dev-userdir/ (git-ignored). PORT changes the port.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startSimulator } = require('../simulator');
const { TokenStore } = require('../../dist/core/store');

const ROOT = path.resolve(__dirname, '..', '..');
const USER_DIR = path.join(ROOT, '.dev-userdir');
const PORT = Number(process.env.PORT) || 1880;
const REAL_API = 'https://api.netatmo.com';
const EXAMPLE = path.join(ROOT, 'examples', 'netatmo-homesdata.json');
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
  };
  const file = path.join(USER_DIR, 'settings.js');
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  return file;
}

/** Deploys the example flows against the simulator, every account already authorized. */
async function seedOffline(sim) {
  const files = [EXAMPLE, ...(dashboardDir() ? [DASHBOARD_EXAMPLE] : [])];
  const flow = files.flatMap((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
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
    // devices: homes, a weather station with its history, a Home Coach (test/simulator.js, test/sim-measure.js)
    sim = await startSimulator({ acceptAnyClient: true, devices: true, clients: { [SIM_CLIENT.id]: SIM_CLIENT.secret } });
    apiBase = sim.url;
    await seedOffline(sim);
    console.log(`Netatmo simulator on ${sim.url} (set NETATMO_API_BASE=${REAL_API} to use the real Netatmo)`);
  } else if (!fs.existsSync(path.join(USER_DIR, 'flows.json'))) {
    fs.copyFileSync(EXAMPLE, path.join(USER_DIR, 'flows.json'));
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
