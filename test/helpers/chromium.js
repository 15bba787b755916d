'use strict';
/**
 * Debian's Chromium (`/usr/bin/chromium`, or CHROMIUM_PATH), headless, driven by playwright-core, with
 * a new empty profile per launch and no background traffic (this machine's network is closed).
 * A missing Chromium is an error, never a silent skip: CI must not end green without the browser tests.
 */
const fs = require('node:fs');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function launchChromium(options = {}) {
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
    ],
    ...options,
  });
}

module.exports = { CHROMIUM, launchChromium };
