'use strict';
/** Runs the built command line tool (dist/cli/main.js) as a real process, and fakes the browser. */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const MAIN = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/**
 * Spawns `node dist/cli/main.js ...args` in `cwd` with a clean environment (only PATH, HOME and
 * what the test gives), so that the developer's NA_DEBUG or NETATMO_* never leak into a test.
 */
function runCli(args, { cwd, env = {}, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME || os.tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`netatmo-tokens ${args.join(' ')} did not end within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, all: stdout + stderr });
    });
  });
}

/** What a user's browser does with the authorize URL on the simulator: Accept, then the redirect's Location. */
async function acceptInBrowser(authorizeUrl, simUrl, decision = 'accept') {
  const page = await (await fetch(authorizeUrl)).text();
  const m = new RegExp(`id="${decision}" href="([^"]+)"`).exec(page);
  if (!m) throw new Error(`no ${decision} link on the authorize page: ${page.slice(0, 300)}`);
  const href = m[1].replace(/&amp;/g, '&');
  const res = await fetch(new URL(href, simUrl), { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`expected a redirect, got HTTP ${res.status}`);
  return location;
}

const made = [];
function tmpDir(prefix = 'netatmo-cli-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder tmpDir made. */
function removeTmpDirs() {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

function writeParameters(dir, { clientId, clientSecret, scope = 'read_station read_thermostat', redirectUri = 'http://localhost/' }) {
  fs.writeFileSync(
    path.join(dir, 'file_parameters.txt'),
    `client_id=${clientId}\nclient_secret=${clientSecret}\nscope=${scope}\nredirect_uri=${redirectUri}\n`,
  );
}

const read = (dir, name) => fs.readFileSync(path.join(dir, name), 'utf8');
const mode = (dir, name) => fs.statSync(path.join(dir, name)).mode & 0o777;

module.exports = { MAIN, runCli, acceptInBrowser, tmpDir, removeTmpDirs, writeParameters, read, mode };
