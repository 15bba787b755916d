'use strict';
/**
 * Debian's Chromium (`/usr/bin/chromium`, or CHROMIUM_PATH), headless, driven by playwright-core, with
 * a new empty profile per launch and no background traffic (this machine's network is closed).
 * With CI=true a missing Chromium fails the run: a wrong path must not end green. On a developer's
 * machine without it, `needChromium(this)` skips the browser suite with a word on how to get it.
 */
const fs = require('node:fs');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** `args`: more command line switches (e.g. --host-resolver-rules), after ours. */
function launchChromium({ args = [], ...options } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does)`);
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
      '--disable-dev-shm-usage',
      ...args,
    ],
    ...options,
  });
}

const ON_CI = /^(1|true)$/i.test(process.env.CI || '');

/** Call from a mocha `before(function () { ... })`: skips (or, on CI, fails) when Chromium is missing. */
function needChromium(ctx) {
  if (fs.existsSync(CHROMIUM)) return;
  if (ON_CI) throw new Error(`${CHROMIUM} is missing (apt-get install chromium): CI=true fails instead of skipping`);
  ctx.skip(`${CHROMIUM} is missing (apt-get install chromium); the CI installs it`);
}

module.exports = { CHROMIUM, launchChromium, needChromium };
