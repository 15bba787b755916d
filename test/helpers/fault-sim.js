'use strict';
/**
 * The Netatmo simulator, started in the test process (it survives the kills of the processes under
 * test), with a record of what the fault suite needs to judge a run:
 *   - every refresh request: when it came, the refresh token sent, the answer (rotated or the error);
 *   - the chain of refresh tokens: which one each rotation replaced, and when;
 *   - every API call: which access token was used, when, and whether it was accepted.
 * Nothing in here prints a token.
 */
const { startSimulator } = require('../simulator/simulator');
const secrets = require('./secrets');

const CLIENT_ID = 'fault-client-id';
const CLIENT_SECRET = 'fault-client-secret-5b0e9c27f1';

async function startFaultSimulator(options = {}) {
  const sim = await startSimulator({ clients: { [CLIENT_ID]: CLIENT_SECRET }, ...options });
  const rec = {
    refreshes: [], // { at, rt, status, error?, newRt?, access? }
    rotations: new Map(), // old refresh token -> { at, next }
    previous: new Map(), // new refresh token -> old one
    apiCalls: [], // { at, access, status }
    issuedAt: new Map(), // access token -> time it was issued
    invalidGrants: 0,
  };
  sim.rec = rec;

  const baseRefresh = sim.refresh.bind(sim);
  sim.refresh = (form) => {
    const at = Date.now();
    const reply = baseRefresh(form);
    let body = {};
    try {
      body = JSON.parse(reply.body);
    } catch {
      // not JSON: recorded as such
    }
    const entry = { at, rt: form.refresh_token, status: reply.status };
    if (reply.status === 200) {
      entry.newRt = body.refresh_token;
      entry.access = body.access_token;
      rec.rotations.set(form.refresh_token, { at, next: body.refresh_token });
      rec.previous.set(body.refresh_token, form.refresh_token);
      rec.issuedAt.set(body.access_token, at);
    } else {
      entry.error = typeof body.error === 'string' ? body.error : `http${reply.status}`;
      if (entry.error === 'invalid_grant') rec.invalidGrants++;
    }
    rec.refreshes.push(entry);
    return reply;
  };

  // Faults answered before `route` (http500, reset, hang...) never reach `refresh`: count them apart.
  const baseTakeFault = sim.takeFault.bind(sim);
  rec.faults = [];
  sim.takeFault = (path) => {
    const fault = baseTakeFault(path);
    if (fault) rec.faults.push({ at: Date.now(), kind: fault.kind });
    if (fault && fault.kind === 'invalid_grant') rec.invalidGrants++;
    return fault;
  };

  const baseApi = sim.api.bind(sim);
  sim.api = (ctx) => {
    const reply = baseApi(ctx);
    const m = /^Bearer\s+(\S+)/i.exec(ctx.headers.authorization || '');
    rec.apiCalls.push({ at: Date.now(), access: m ? m[1] : undefined, status: reply.status });
    return reply;
  };

  // Token requests being handled (the simulator may still rotate after the client died).
  let busy = 0;
  const countingHandle = sim.handle.bind(sim);
  sim.handle = async (req, res) => {
    const token = req.url.startsWith('/oauth2/token');
    if (token) busy++;
    try {
      return await countingHandle(req, res);
    } finally {
      if (token) busy--;
    }
  };
  /** Resolves once no token request is being handled (at most `timeoutMs`). */
  sim.idle = async (timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (busy > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return busy === 0;
  };

  /** Issues a new login (as if the user had authorized) and returns it as a TokenSet. */
  sim.login = (scope = 'read_station', now = Date.now()) => {
    const t = sim.issueTokenSet({ clientId: CLIENT_ID, scope, now });
    rec.issuedAt.set(t.access_token, now);
    return t;
  };

  /**
   * The next token request is processed at once (a refresh token rotates) but its answer is sent
   * only `ms` later: after the client's timeout, the answer is lost although Netatmo did the work.
   */
  sim.answerLateNext = (ms) => {
    const baseHandle = sim.handle.bind(sim);
    sim.handle = async (req, res) => {
      if (req.url.startsWith('/oauth2/token')) {
        sim.handle = baseHandle;
        const writeHead = res.writeHead.bind(res);
        const end = res.end.bind(res);
        let head;
        res.writeHead = (...args) => {
          head = args;
          return res;
        };
        res.end = (...args) => {
          setTimeout(() => {
            if (!res.socket || res.socket.destroyed) return;
            writeHead(...head);
            end(...args);
          }, ms);
          return res;
        };
      }
      return baseHandle(req, res);
    };
  };

  /** Whether `rt` is the token that the last rotation of its chain replaced (its answer never stored). */
  sim.replacedBy = (rt) => rec.rotations.get(rt);

  /** The client secret and every code and token the simulator ever issued. */
  sim.allSecrets = () => [CLIENT_SECRET, ...sim.issuedSecrets()];
  return sim;
}

/** Finds a secret whole, URL-encoded or in part (12 characters in a row; see secrets.js); the client id is not secret. */
const findSecrets = (text, list, known = []) => secrets.findSecrets(text, list, [CLIENT_ID, ...known]);

module.exports = { startFaultSimulator, findSecrets, CLIENT_ID, CLIENT_SECRET };
