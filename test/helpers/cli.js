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
 * Returns at once: `waitFor(re)` resolves when stdout or stderr so far matches, `done` when the
 * process has ended ({ code, stdout, stderr, all }).
 */
function startCli(args, { cwd, env = {}, timeoutMs = 20000 } = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME || os.tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = [];
  const check = () => {
    for (const w of waiters.splice(0)) {
      if (w.re.test(stdout + stderr)) w.resolve();
      else waiters.push(w);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d) => ((stdout += d), check()));
  child.stderr.setEncoding('utf8').on('data', (d) => ((stderr += d), check()));
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`netatmo-tokens ${args.join(' ')} did not end within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0))
        w.reject(new Error(`netatmo-tokens ended (${code}) before printing ${w.re}\n${stdout}\n${stderr}`));
      resolve({ code, stdout, stderr, all: stdout + stderr });
    });
  });
  const waitFor = (re) =>
    new Promise((resolve, reject) => {
      waiters.push({ re, resolve, reject });
      check();
    });
  return { child, waitFor, done };
}

function runCli(args, opts) {
  return startCli(args, opts).done;
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

function writeParameters(
  dir,
  { clientId, clientSecret, scope = 'read_station read_thermostat', redirectUri = 'http://localhost/', eol = '\n', finalEol = true },
) {
  const lines = [`client_id=${clientId}`, `client_secret=${clientSecret}`, `scope=${scope}`, `redirect_uri=${redirectUri}`];
  fs.writeFileSync(path.join(dir, 'file_parameters.txt'), lines.join(eol) + (finalEol ? eol : ''));
}

const read = (dir, name) => fs.readFileSync(path.join(dir, name), 'utf8');
const mode = (dir, name) => fs.statSync(path.join(dir, name)).mode & 0o777;

module.exports = { MAIN, startCli, runCli, acceptInBrowser, tmpDir, removeTmpDirs, writeParameters, read, mode };
