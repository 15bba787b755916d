'use strict';
/**
 * A light stand-in for a Node-RED process (or the command line tool): the same TokenStore and
 * TokenManager as the netatmo-account node, asking for a token every `intervalMs` and calling the
 * simulator's API with it, logging like the node does. Starts in ~100 ms instead of ~1 s, so that
 * the kill loop can afford many rounds.
 *
 *   node test/helpers/fault-worker.js '<json config>'
 * config: { dir, secret, accountId, apiBase, clientId, clientSecret, intervalMs, marginMs,
 *           retryBaseMs, retryMaxMs, lockStaleMs, timeoutMs, durationMs }
 * Prints `READY` once started, `STATE {...}` on state changes, `ERROR <code>` on failed requests,
 * and exits by itself after `durationMs` (if given): no timer, socket or lock may keep it alive.
 */
const { TokenStore } = require('../../dist/core/token/store');
const { OAuthClient } = require('../../dist/core/token/oauth');
const { TokenManager } = require('../../dist/core/token/manager');

const cfg = JSON.parse(process.argv[2]);
const line = (level) => (m) => process.stdout.write(`[${level}] [worker:${process.pid}] ${m}\n`);
const logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };

const store = new TokenStore({ dir: cfg.dir, secret: cfg.secret, lockStaleMs: cfg.lockStaleMs });
const client = new OAuthClient({ clientId: cfg.clientId, clientSecret: cfg.clientSecret, apiBase: cfg.apiBase, timeoutMs: cfg.timeoutMs });
const manager = new TokenManager({
  accountId: cfg.accountId || 'acc1',
  store,
  client,
  logger,
  marginMs: cfg.marginMs,
  retryBaseMs: cfg.retryBaseMs,
  retryMaxMs: cfg.retryMaxMs,
});
manager.on('state', (s) => process.stdout.write(`STATE ${JSON.stringify({ status: s.status, code: s.error ? s.error.code : null })}\n`));

async function tick() {
  try {
    const t = await manager.getToken();
    const res = await fetch(`${cfg.apiBase}/api/homesdata`, { headers: { Authorization: `Bearer ${t.access_token}` } });
    await res.arrayBuffer();
    if (res.status !== 200) process.stdout.write(`API ${res.status}\n`);
  } catch (err) {
    process.stdout.write(`ERROR ${err.code || 'unknown'}\n`);
  }
}

(async () => {
  await manager.start();
  process.stdout.write('READY\n');
  const timer = setInterval(tick, cfg.intervalMs || 100);
  if (cfg.durationMs) {
    setTimeout(() => {
      clearInterval(timer);
      manager.stop();
      process.stdout.write('STOPPED\n');
    }, cfg.durationMs);
  }
})();
