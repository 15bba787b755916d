'use strict';
/* global window, RED -- the waitForFunction callback runs in the editor page */
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

/** Records the page's script errors: the returned array fills as they happen (a test ends with it empty). */
function pageErrorsOf(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Opens the editor at `url`, waits for the flow's node `id` on the canvas and resolves with its locator. */
async function openFlowNode(page, url, id) {
  await page.goto(url);
  await page.waitForFunction((nodeId) => window.RED && RED.nodes && RED.nodes.node(nodeId), id, { timeout: 30000 });
  const node = page.locator(`g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`);
  await node.waitFor();
  return node;
}

module.exports = { CHROMIUM, launchChromium, needChromium, pageErrorsOf, openFlowNode };
