'use strict';
/**
 * Faults of the token endpoint injected during a refresh of a real Node-RED process (log level
 * debug, NA_DEBUG=1, two token nodes asked every 100 ms, simulator TTL 2 s: a refresh every ~1 s).
 *   - transient (500, 503, 504, 429, reset, hang/timeout, non-JSON): yellow "retrying" on every token
 *     node, then green by itself; the same stored refresh token is used again; the login is kept;
 *   - 429: the retry waits for Retry-After;
 *   - invalid_grant / invalid_client: red "re-authorization needed" on every token node, /status says
 *     why, every message goes to Catch with REAUTHORIZE, one log line says what to do, no further
 *     token request; a pasted code brings the account back;
 *   - an answer lost after Netatmo rotated (connection lost, truncated body, timeout): the retry gets
 *     invalid_grant, and the message says the refresh may have succeeded on Netatmo's side.
 * Every log line, status line and admin answer is searched for secrets at the end.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startFaultSimulator, findSecrets, CLIENT_ID } = require('../helpers/fault-sim');
const h = require('../helpers/fault-nodered');

const ACCOUNT = 'acc1';
const REDIRECT = 'http://localhost:1880/';

describe('faults: transient and fatal token endpoint faults in a real Node-RED', function () {
  this.timeout(60000);
  let sim;
  let red;
  let store;
  const answers = [];
  const figures = { survived: 0, transient: 0, honest: 0, reauthorized: 0 };

  let userDir;
  before(async () => {
    sim = await startFaultSimulator({ ttlSeconds: 2 });
    userDir = h.newUserDir('nr-fault-transient-');
    store = h.storeOf(userDir);
    await store.write(ACCOUNT, { tokens: sim.login() });
    red = await h.startFaultRed({
      userDir,
      sim,
      flows: h.tokenFlow({ apiBase: sim.url, tokenNodes: 2 }),
      settings: h.faultSettings(sim, { retryBaseMs: 500, retryMaxMs: 2000, timeoutSeconds: 1 }),
    });
    await healthy();
  });
  after(async () => {
    if (red) await red.stop();
    await h.killAll();
    if (sim) await sim.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
    console.log(
      `      [faults] transient faults survived: ${figures.survived}/${figures.transient}, honest "may have succeeded" messages: ${figures.honest}, re-authorizations by pasted code: ${figures.reauthorized}`,
    );
  });

  /** Waits until both token nodes show green and the stored refresh token is the valid one. */
  async function healthy(timeoutMs = 10000) {
    await h.waitFor(
      async () => {
        const last = lastStatus();
        if (!['tok1', 'tok2'].every((id) => last[id] && last[id].fill === 'green')) return false;
        const stored = await store.read(ACCOUNT);
        return stored && !stored.invalid && sim.isValidRefreshToken(stored.tokens.refresh_token);
      },
      { timeoutMs, what: 'green status on both token nodes and a valid stored login' },
    );
  }

  function lastStatus(from = 0) {
    const last = {};
    for (const s of h.statuses(red, from)) last[s.node] = s;
    return last;
  }

  async function status() {
    const res = await fetch(`${red.adminUrl}netatmo-tokens/${ACCOUNT}/status`);
    const text = await res.text();
    answers.push(text);
    return JSON.parse(text);
  }

  /** Pastes a new authorization code in the admin route, as the editor does. */
  async function reauthorize() {
    const code = sim.issueCode({ clientId: CLIENT_ID, redirectUri: REDIRECT, scope: 'read_station' });
    const res = await fetch(`${red.adminUrl}netatmo-tokens/${ACCOUNT}/code`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    const text = await res.text();
    answers.push(text);
    assert.equal(res.status, 200, text);
    figures.reauthorized++;
    await healthy();
  }

  /** Injects `kind` at the next refresh; resolves with the log position before it and the stored refresh token. */
  async function inject(kind, opts = {}) {
    await healthy();
    const mark = red.logs.length;
    const refreshesBefore = sim.rec.refreshes.length;
    const faultsBefore = sim.rec.faults.length;
    const rt = (await store.read(ACCOUNT)).tokens.refresh_token;
    sim.injectFault(kind, opts);
    return { mark, rt, refreshesBefore, faultsBefore };
  }

  const TRANSIENT = [
    ['http500', 'SERVER'],
    ['http503', 'SERVER'],
    ['http504', 'SERVER'],
    ['reset', 'NETWORK'],
    ['hang', 'TIMEOUT'],
    ['notjson', 'BAD_RESPONSE'],
  ];
  for (const [kind, code] of TRANSIENT) {
    it(`${kind} twice: yellow "retrying (${code})" on every token node, then green by itself; same refresh token, login kept`, async () => {
      figures.transient++;
      const at = await inject(kind, { count: 2 });
      // Yellow on both token nodes, then green after it.
      await h.waitFor(
        () => {
          const seen = h.statuses(red, at.mark);
          return ['tok1', 'tok2'].every((id) => {
            const mine = seen.filter((s) => s.node === id);
            const y = mine.findIndex((s) => s.fill === 'yellow' && s.text.includes(code));
            return y >= 0 && mine.slice(y + 1).some((s) => s.fill === 'green');
          });
        },
        { timeoutMs: 15000, what: `yellow (${code}) then green on both token nodes` },
      );
      assert.equal(sim.rec.faults.length - at.faultsBefore, 2, 'both faults were served');
      const after = sim.rec.refreshes.slice(at.refreshesBefore);
      assert.ok(after.length >= 1, 'a successful refresh followed');
      assert.equal(after[0].rt, at.rt, 'the retry sent the same stored refresh token');
      assert.equal(after[0].status, 200);
      assert.equal(h.caught(red, at.mark).filter((c) => c.code === 'REAUTHORIZE').length, 0);
      const warn = red.logs.slice(at.mark).find((l) => /\[warn\] \[netatmo-account/.test(l) && l.includes(code));
      assert.ok(warn && /retrying in [\d.]+ s with the same refresh token/.test(warn), `a warning says it retries: ${warn}`);
      await healthy();
      figures.survived++;
    });
  }

  it('http429 with Retry-After: 1 three times: each retry waits at least 1 s; then green', async () => {
    figures.transient++;
    const at = await inject('http429', { count: 3, retryAfter: 1 });
    await h.waitFor(() => sim.rec.refreshes.length > at.refreshesBefore, { timeoutMs: 15000, what: 'a refresh after the 429s' });
    const times = [...sim.rec.faults.slice(at.faultsBefore).map((f) => f.at), sim.rec.refreshes[at.refreshesBefore].at];
    assert.equal(times.length, 4);
    for (let i = 1; i < times.length; i++)
      assert.ok(times[i] - times[i - 1] >= 1000, `request ${i} came ${times[i] - times[i - 1]} ms after a 429`);
    assert.ok(h.statuses(red, at.mark).some((s) => s.fill === 'yellow' && s.text.includes('RATE_LIMITED')));
    assert.equal(sim.rec.refreshes[at.refreshesBefore].rt, at.rt);
    await healthy();
    figures.survived++;
  });

  it('invalid_grant: red on every token node, /status says why, REAUTHORIZE to Catch, one log line, no more requests; a pasted code fixes it', async () => {
    const at = await inject('invalid_grant');
    await h.waitFor(
      () => {
        const seen = h.statuses(red, at.mark);
        return ['tok1', 'tok2'].every((id) =>
          seen.some((s) => s.node === id && s.fill === 'red' && /re-authorization needed/.test(s.text)),
        );
      },
      { what: 'red "re-authorization needed" on both token nodes' },
    );
    const last = lastStatus(at.mark);
    assert.ok(
      ['tok1', 'tok2'].every((id) => last[id].fill === 'red'),
      'and they stay red',
    );
    const requests = sim.stats.tokenRequests;
    const caughtBefore = h.caught(red, at.mark).length;
    // Messages keep coming (the inject node keeps sending): wait for 20 more to reach Catch, none of them costing a request.
    const started = Date.now();
    await h.waitFor(() => h.caught(red, at.mark).length - caughtBefore >= 20, { timeoutMs: 10000, what: '20 more messages in Catch' });
    assert.equal(sim.stats.tokenRequests, requests, 'no token request while re-authorization is needed');
    const caught = h.caught(red, at.mark);
    console.log(`      [reauthorize] ${caught.length - caughtBefore} messages to Catch in ${Date.now() - started} ms, 0 token requests`);
    assert.ok(
      caught.every((c) => c.code === 'REAUTHORIZE'),
      JSON.stringify(caught.slice(0, 3)),
    );
    assert.ok(new Set(caught.map((c) => c.node)).size === 2, 'both token nodes report it');
    const lines = red.logs.slice(at.mark).filter((l) => /\[error\] \[netatmo-account/.test(l));
    assert.equal(lines.length, 1, `one log line from the account:\n${lines.join('\n')}`);
    assert.match(lines[0], /invalid_grant/);
    assert.match(lines[0], /click Authorize/);
    const st = await status();
    assert.equal(st.status, 'reauthorize');
    assert.equal(st.authorized, false);
    assert.equal(st.error.code, 'REAUTHORIZE');
    assert.match(st.error.message, /invalid_grant/);
  });

  it('invalid_client: the same, saying to check the client id and secret', async () => {
    const at = await inject('invalid_client');
    await h.waitFor(() => lastStatus(at.mark).tok1?.fill === 'red', { what: 'red status' });
    const st = await status();
    assert.equal(st.status, 'reauthorize');
    assert.match(st.error.message, /invalid_client/);
    assert.match(st.error.message, /client id or secret/);
    const requests = sim.stats.tokenRequests;
    await h.sleep(1000);
    assert.equal(sim.stats.tokenRequests, requests);
  });

  /** A test that leaves the account needing re-authorization repairs it afterwards, failed or not. */
  afterEach(async function () {
    const st = await status().catch(() => undefined);
    if (st && st.status === 'reauthorize') await reauthorize();
  });

  const HONEST = [
    ['lost', 'the answer is lost after Netatmo rotated (connection dropped)'],
    ['truncated', 'the answer is cut short after Netatmo rotated'],
    ['timeout', 'Netatmo answers after our timeout (it did rotate)'],
  ];
  for (const [kind, what] of HONEST) {
    it(`${what}: the retry gets invalid_grant and the node says the refresh may have succeeded`, async () => {
      const at = kind === 'timeout' ? await inject('http500', { count: 0 }) : await inject(kind);
      if (kind === 'timeout') sim.answerLateNext(1500); // timeoutSeconds is 1: answered after we gave up
      await h.waitFor(
        () => {
          const seen = h.statuses(red, at.mark);
          return ['tok1', 'tok2'].every((id) =>
            seen.some((s) => s.node === id && s.fill === 'red' && /re-authorization needed/.test(s.text)),
          );
        },
        { timeoutMs: 15000, what: 'red "re-authorization needed" on both token nodes' },
      );
      const after = sim.rec.refreshes.slice(at.refreshesBefore);
      assert.equal(after[0].rt, at.rt);
      assert.equal(after[0].status, 200, 'Netatmo did rotate');
      assert.equal(after[1].rt, at.rt, 'the retry sent the same stored refresh token');
      assert.equal(after[1].error, 'invalid_grant');
      const st = await status();
      assert.equal(st.status, 'reauthorize');
      assert.match(st.error.message, /may have succeeded on Netatmo's side but its answer was lost; re-authorize/);
      const line = red.logs.slice(at.mark).find((l) => /\[error\] \[netatmo-account/.test(l));
      assert.match(line, /may have succeeded/);
      await h.waitFor(() => h.caught(red, at.mark).some((c) => c.code === 'REAUTHORIZE' && /may have succeeded/.test(c.message)), {
        timeoutMs: 3000,
        what: 'the honest message in Catch',
      });
      figures.honest++;
    });
  }

  it('no secret in any log line, status line or admin answer', () => {
    const text = [red.output(), ...answers].join('\n');
    const found = findSecrets(text, sim.allSecrets());
    console.log(`      [secrets] ${text.split('\n').length} lines searched for ${sim.allSecrets().length} secrets: ${found.length} found`);
    assert.deepEqual(found, []);
    assert.ok(
      /\[info\] \[netatmo-account:home\] refresh: sending refresh token [0-9a-f]{4}…/.test(red.output()),
      'NA_DEBUG shows the refresh flow, shortened',
    );
    assert.ok(/\[debug\]/.test(red.output()), 'Node-RED logs at debug level');
  });
});
