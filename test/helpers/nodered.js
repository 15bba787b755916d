'use strict';
/**
 * The one Node-RED start-up of the tests and the bench: which Node-RED (NODE_RED_MODULE=node-red-5 runs
 * Node-RED 5, an npm alias in devDependencies, instead of 4), a user directory as a user has it after
 * `npm install` (`<userDir>/package.json` lists the package, `<userDir>/node_modules/<name>` is a symlink to
 * this checkout; flows and credentials), the settings every start shares, and two ways to run it:
 *
 *   startNodeRed(options)   a real child process, as users run it (browser, admin, package, fault suites)
 *   startEmbedded(options)  RED.init + RED.start inside this process (the bench; an embedding program)
 *
 * The node suites run our nodes in node-red-node-test-helper: ./runtime.js initialises it with redModule(),
 * and coreNode() gives them Node-RED's own nodes of the same version.
 *
 *   const { startNodeRed, freePort, hashPassword } = require('./helpers/nodered');
 *   const red = await startNodeRed({ settings: { netatmoTokens: { apiBase: sim.url } } });
 *   await fetch(red.adminUrl + 'settings');   // admin API (adminUrl ends with "/")
 *   red.logs                                   // every stdout/stderr line so far
 *   await red.stop();                          // SIGTERM, waits for the exit
 *
 * Options of startNodeRed (all optional):
 *   userDir      folder to use (default: a new temp folder, removed by stop() unless keepUserDir)
 *   port         TCP port (default: a free one)
 *   settings     merged over the defaults below and written as settings.js (JSON values only)
 *   flows        array written to flows.json before the start
 *   packageDir   the package to install (default: this repository)
 *   installed    true: the package is already installed in userDir (npm install of a tarball);
 *                leave userDir's package.json and node_modules as they are
 *   env          extra environment variables
 *   timeoutMs    how long to wait for the admin API (default 30 s)
 *   keepUserDir  leave the userDir in place after stop()
 * Defaults: httpAdminRoot '/', credentialSecret, info-level console logging, no editor tours,
 * no telemetry, flows in flows.json, listening on 127.0.0.1 only.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO_DIR = path.resolve(__dirname, '..', '..');
/** NODE_RED_MODULE=node-red-5 runs Node-RED 5 (an npm alias in devDependencies) instead of 4. */
const NODE_RED_MODULE = process.env.NODE_RED_MODULE || 'node-red';

/** The entry of the Node-RED under test, resolved from this repository. */
function redModule() {
  return require.resolve(NODE_RED_MODULE, { paths: [REPO_DIR] });
}

/** One of Node-RED's own nodes (`function/10-function.js`...) from the Node-RED under test, for the test-helper. */
function coreNode(file) {
  const redDir = path.dirname(require.resolve(`${NODE_RED_MODULE}/package.json`, { paths: [REPO_DIR] }));
  return require(require.resolve(`@node-red/nodes/core/${file}`, { paths: [redDir] }));
}

/** A TCP port nobody listens on right now (127.0.0.1). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A bcrypt hash for `adminAuth.users[].password`, with the bcryptjs that Node-RED itself uses. */
function hashPassword(password) {
  const nodeRedDir = path.dirname(require.resolve(`${NODE_RED_MODULE}/package.json`, { paths: [REPO_DIR] }));
  const bcrypt = require(require.resolve('bcryptjs', { paths: [nodeRedDir, REPO_DIR] }));
  return bcrypt.hashSync(password, 8);
}

/** Gets an admin access token (adminAuth with users/passwords) from a started Node-RED. */
async function adminToken(red, username, password, scope = '*') {
  const res = await fetch(`${red.adminUrl}auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} failed: HTTP ${res.status}`);
  return (await res.json()).access_token;
}

function installPackage(userDir, packageDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify(
      {
        name: 'node-red-test-userdir',
        description: 'test userDir',
        version: '0.0.1',
        private: true,
        dependencies: { [pkg.name]: `file:${packageDir}` },
      },
      null,
      2,
    ),
  );
  const link = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(packageDir, link, process.platform === 'win32' ? 'junction' : 'dir');
  return pkg.name;
}

/** What every start shares: flows in flows.json, quiet logs, no tours, no palette installs, nothing sent home. */
function baseSettings(logLevel = 'info') {
  return {
    flowFile: 'flows.json',
    logging: { console: { level: logLevel, metrics: false, audit: false } },
    editorTheme: { tours: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpload: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
  };
}

function defaultSettings(port) {
  return {
    ...baseSettings(),
    uiHost: '127.0.0.1',
    uiPort: port,
    httpAdminRoot: '/',
    credentialSecret: 'netatmo-tokens-test-secret',
  };
}

/**
 * Fills a user directory: our package installed (unless `install` is false), `flows` in flows.json and
 * `credentials` (by node id) in flows_cred.json, as plain text: start with `credentialSecret: false`, or
 * let Node-RED encrypt them on its first deploy.
 */
function prepareUserDir(userDir, { flows, credentials, install = true, packageDir = REPO_DIR } = {}) {
  fs.mkdirSync(userDir, { recursive: true });
  if (install) installPackage(userDir, path.resolve(packageDir));
  if (flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows, null, 2));
  if (credentials) fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials, null, 2));
}

function adminRootOf(settings) {
  const root = settings.httpAdminRoot === undefined ? '/' : String(settings.httpAdminRoot);
  return `/${root.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
}

async function waitForAdmin(adminUrl, child, timeoutMs, logs) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Node-RED exited (${child.exitCode ?? child.signalCode}) before it answered:\n${logs.slice(-30).join('\n')}`);
    }
    try {
      const res = await fetch(`${adminUrl}settings`, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      // 401: adminAuth is on; the admin API answers all the same. A 200 must be Node-RED's own settings:
      // until our child listens, another process of a busy machine may hold the port freePort() chose.
      if (res.status === 401 || (res.status === 200 && isNodeRedSettings(text))) return;
      lastError = new Error(`HTTP ${res.status}${res.status === 200 ? ', not Node-RED settings' : ''}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(
    `Node-RED did not answer on ${adminUrl}settings within ${timeoutMs} ms (${lastError && lastError.message}):\n${logs.slice(-30).join('\n')}`,
  );
}

function isNodeRedSettings(text) {
  try {
    return typeof JSON.parse(text).version === 'string';
  } catch {
    return false;
  }
}

/**
 * freePort() closes the port before Node-RED opens it: on a busy machine another process may take it in
 * between. Node-RED then says "port in use" and exits; the start is tried again on another port (not
 * when the caller chose the port).
 */
async function startNodeRed(options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (options.port || attempt >= 3 || !err.portInUse) throw err;
    }
  }
}

async function startOnce(options) {
  const packageDir = path.resolve(options.packageDir || REPO_DIR);
  const ownUserDir = !options.userDir;
  const userDir = options.userDir ? path.resolve(options.userDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'nr-netatmo-'));
  fs.mkdirSync(userDir, { recursive: true });
  const port = options.port || (await freePort());
  const settings = { ...defaultSettings(port), ...(options.settings || {}) };
  settings.uiPort = port;
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  if (options.flows) fs.writeFileSync(path.join(userDir, settings.flowFile || 'flows.json'), JSON.stringify(options.flows, null, 2));
  const packageName = options.installed
    ? JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).name
    : installPackage(userDir, packageDir);

  const redJs = require.resolve(`${NODE_RED_MODULE}/red.js`, { paths: [REPO_DIR] });
  const child = spawn(process.execPath, [redJs, '--port', String(port), '--userDir', userDir, '--settings', settingsFile], {
    cwd: userDir,
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: '', ...(options.env || {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const logs = [];
  const lineWaiters = new Set();
  const collect = (stream, tag) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const parts = (rest + chunk).split(/\r?\n/);
      rest = parts.pop();
      for (const line of parts) {
        logs.push(tag === 'err' ? `[stderr] ${line}` : line);
        for (const w of lineWaiters) w(line);
      }
    });
    stream.on('end', () => {
      if (rest) logs.push(rest);
    });
  };
  collect(child.stdout, 'out');
  collect(child.stderr, 'err');
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const url = `http://127.0.0.1:${port}`;
  const adminUrl = url + adminRootOf(settings);
  const red = {
    url,
    adminUrl,
    port,
    userDir,
    settingsFile,
    packageName,
    logs,
    process: child,
    exited,
    /** All output so far as one text (for secret greps). */
    output: () => logs.join('\n'),
    /** Resolves with the first output line matching `pattern` (already seen lines count). */
    waitForLog(pattern, timeoutMs = 10000) {
      const seen = logs.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          lineWaiters.delete(check);
          reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (line) => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          lineWaiters.delete(check);
          resolve(line);
        };
        lineWaiters.add(check);
      });
    },
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    /** SIGTERM, then SIGKILL after `graceMs`; removes a temp userDir it made. */
    async stop(graceMs = 10000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      if (ownUserDir && !options.keepUserDir) fs.rmSync(userDir, { recursive: true, force: true });
      return exited;
    },
  };
  try {
    await waitForAdmin(adminUrl, child, options.timeoutMs || 30000, logs);
  } catch (err) {
    await red.kill();
    if (ownUserDir && !options.keepUserDir) fs.rmSync(userDir, { recursive: true, force: true });
    err.portInUse = logs.some((l) => /EADDRINUSE|port in use/i.test(l));
    throw err;
  }
  return red;
}

/**
 * Node-RED embedded in this process, as a program that uses it as a library does: `RED.init(server,
 * settings)` on an HTTP server of its own, then `RED.start()`; resolves once the flows run. The user
 * directory is `userDir` (else a temp one, removed by stop()), filled by prepareUserDir with `flows`,
 * `credentials` and `install`. `settings` go over baseSettings(logLevel); `admin: true` serves the admin
 * API at `/` on 127.0.0.1 (`url`); else there is no HTTP at all. One start per process: Node-RED is a
 * singleton.
 */
async function startEmbedded({ userDir, flows, credentials, install = true, settings = {}, admin = false, logLevel = 'warn' } = {}) {
  const ownUserDir = !userDir;
  const dir = userDir || fs.mkdtempSync(path.join(os.tmpdir(), 'nr-netatmo-embedded-'));
  prepareUserDir(dir, { flows, credentials, install });
  const RED = require(redModule());
  const express = require(require.resolve('express', { paths: [path.dirname(redModule()), REPO_DIR] }));
  const app = express();
  const server = http.createServer(app);
  const http_ = admin ? { httpAdminRoot: '/', uiHost: '127.0.0.1' } : { httpAdminRoot: false, httpNodeRoot: false };
  const all = { ...baseSettings(logLevel), userDir: dir, credentialSecret: false, ...http_, ...settings };
  RED.init(server, all);
  if (admin) {
    app.use(all.httpAdminRoot, RED.httpAdmin);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  }
  const stop = async () => {
    await RED.stop();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
    server.closeAllConnections?.();
    if (ownUserDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  // RED.start() resolves before the flows run: wait for them.
  const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await started;
  const url = admin ? `http://127.0.0.1:${server.address().port}/` : undefined;
  return { RED, userDir: dir, server, url, stop };
}

module.exports = {
  NODE_RED_MODULE,
  startNodeRed,
  startEmbedded,
  prepareUserDir,
  baseSettings,
  redModule,
  coreNode,
  freePort,
  hashPassword,
  adminToken,
};
