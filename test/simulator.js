'use strict';
/**
 * Fake Netatmo OAuth2 + API server, for tests and for offline `npm start`.
 *
 * A real HTTP server on 127.0.0.1 (port chosen by the OS by default) that
 * imitates what matters of api.netatmo.com:
 *   GET  /oauth2/authorize          consent page (Accept / Refuse links)
 *   GET  /oauth2/authorize/decide   the user's choice; 302 back to redirect_uri
 *   POST /oauth2/token              authorization_code and refresh_token grants,
 *                                   refresh token rotation without grace period
 *   GET|POST /api/...               any API call, checks the access token
 * plus fault injection, an injectable clock and counters for assertions.
 *
 * Standalone: node test/simulator.js [--port N] [--client ID:SECRET]... [--ttl S]
 *                                    [--code-ttl S] [--any-client] [--quiet]
 * No dependencies besides Node built-ins.
 */
const http = require('node:http');
const crypto = require('node:crypto');
const querystring = require('node:querystring');

const HOST = '127.0.0.1';
const FORM_TYPE = 'application/x-www-form-urlencoded';
const DEFAULT_SCOPE = ['read_station'];
const DEFAULT_CLIENT = { id: 'sim-client-id', secret: 'sim-client-secret' };

// ---------------------------------------------------------------- helpers

const randomHex = (bytes) => crypto.randomBytes(bytes).toString('hex');
const newToken = () => `${randomHex(12)}|${randomHex(16)}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parseScope(scope) {
  const list = Array.isArray(scope) ? scope : String(scope || '').split(/[\s,]+/);
  const clean = list.map((s) => String(s).trim()).filter(Boolean);
  return clean.length ? clean : [...DEFAULT_SCOPE];
}

/** Drops undefined/null/'' values so they do not end up as `key=` in a query. */
function compact(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== null && v !== ''));
}

/** Appends query params to a URI that may or may not already have a query. */
function appendQuery(uri, params) {
  const sep = !uri.includes('?') ? '?' : /[?&]$/.test(uri) ? '' : '&';
  return uri + sep + querystring.stringify(params);
}

const HTML_ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);

function bearerToken(header) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header || '');
  return match ? match[1] : undefined;
}

/** Form fields of a urlencoded body; any other content type yields no fields. */
function parseForm(headers, body) {
  const type = String(headers['content-type'] || '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  return type === FORM_TYPE ? Object.fromEntries(new URLSearchParams(body)) : {};
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------- replies

const json = (status, body, headers = {}) => ({
  status,
  headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});
const html = (status, body) => ({ status, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body });
const redirect = (location) => ({ status: 302, headers: { Location: location }, body: '' });
const oauthError = (error, description) => json(400, description ? { error, error_description: description } : { error });
const invalidGrantType = () => oauthError('invalid_request', 'Invalid or Missing grant-type parameter');
const apiError = (code, message) => json(403, { error: { code, message } });

function page(title, content) {
  return (
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1>${content}</body></html>`
  );
}
const errorPage = (error, description) => html(400, page(error, `<p id="error">${escapeHtml(error)}: ${escapeHtml(description)}</p>`));

/** Faults answered without looking at the request (no state change). */
const FAULT_REPLIES = {
  http500: () => json(500, { error: { code: 500, message: 'Internal Server Error' } }),
  http503: () => html(503, '<html><body><h1>503 Service Unavailable</h1></body></html>'),
  http504: () => html(504, '<html><body><h1>504 Gateway Time-out</h1></body></html>'),
  http429: (fault) =>
    json(
      429,
      { error: { code: 26, message: 'User usage reached' } },
      fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {},
    ),
  notjson: () => html(200, '<html>oops</html>'),
  invalid_grant: () => oauthError('invalid_grant'),
  invalid_client: () => oauthError('invalid_client'),
};
/** reset/hang: no answer, no state change. truncated/lost: real processing, broken answer. */
const FAULT_KINDS = [...Object.keys(FAULT_REPLIES), 'reset', 'hang', 'truncated', 'lost'];

function send(res, reply) {
  if (!res.socket || res.socket.destroyed) return; // client went away meanwhile
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

// ---------------------------------------------------------------- simulator

class NetatmoSimulator {
  constructor(options = {}) {
    this.ttlSeconds = options.ttlSeconds ?? 10800;
    this.codeTtlSeconds = options.codeTtlSeconds ?? 600;
    this.now = options.now || Date.now;
    this.log = Boolean(options.log);
    this.acceptAnyClient = Boolean(options.acceptAnyClient);
    this.delayMs = 0;
    this.clients = new Map();
    this.codes = new Map(); // code -> { clientId, redirectUri, scope, expiresAt }
    this.grantsByRefresh = new Map(); // current refresh token -> grant { clientId, scope, refreshToken }
    this.accessTokens = new Map(); // access token -> { expiresAt }
    this.issued = new Set();
    this.faults = [];
    this.sockets = new Set();
    this.stats = {};
    this.resetStats();
    for (const [id, secret] of Object.entries(options.clients || {})) this.addClient(id, secret);
  }

  // ----- public API

  addClient(id, secret) {
    this.clients.set(id, secret);
    this.issued.add(secret);
  }

  setTtl(seconds) {
    this.ttlSeconds = seconds;
  }

  issueCode({ clientId, redirectUri, scope } = {}) {
    const code = this.remember(randomHex(16));
    const expiresAt = this.now() + this.codeTtlSeconds * 1000;
    this.codes.set(code, { clientId, redirectUri, scope: parseScope(scope), expiresAt });
    return code;
  }

  issueTokens({ clientId, scope } = {}) {
    return this.rotate({ clientId, scope: parseScope(scope), refreshToken: undefined });
  }

  /** issueTokens, shaped as the TokenSet our store keeps: obtained at `now`, expiry in ms since epoch. */
  issueTokenSet({ clientId, scope, now = this.now() } = {}) {
    const r = this.issueTokens({ clientId, scope });
    return {
      access_token: r.access_token,
      refresh_token: r.refresh_token,
      scope: r.scope,
      obtained_at: now,
      expires_at: now + r.expires_in * 1000,
    };
  }

  injectFault(kind, { count = 1, path = '/oauth2/token', retryAfter } = {}) {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind: ${kind}`);
    if (count > 0) this.faults.push({ kind, remaining: count, path, retryAfter });
  }

  clearFaults() {
    this.faults = [];
  }

  resetStats() {
    Object.assign(this.stats, {
      tokenRequests: 0,
      authCodeRequests: 0,
      refreshRequests: 0,
      apiRequests: 0,
      authorizePages: 0,
      faultsServed: 0,
    });
    this.lastTokenRequest = undefined;
    this.tokenRequestLog = [];
  }

  isValidRefreshToken(refreshToken) {
    return this.grantsByRefresh.has(refreshToken);
  }

  currentRefreshTokens() {
    return [...this.grantsByRefresh.keys()];
  }

  issuedSecrets() {
    return [...this.issued];
  }

  async listen(port = 0) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => send(res, json(500, { error: { code: 500, message: String(err.message) } })));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, HOST, resolve);
    });
    this.port = this.server.address().port;
    this.url = `http://${HOST}:${this.port}`;
    return this;
  }

  close() {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  // ----- request handling

  async handle(req, res) {
    const url = new URL(req.url, this.url);
    if (this.log) console.log(`[netatmo-sim] ${req.method} ${url.pathname}`);
    const body = await readBody(req);
    const ctx = { method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers };
    ctx.form = parseForm(req.headers, body);
    this.count(ctx);
    const fault = this.takeFault(ctx.path);
    if (ctx.path === '/oauth2/token' && this.delayMs > 0) await sleep(this.delayMs);

    const kind = fault && fault.kind;
    if (kind === 'hang') return; // the socket is destroyed by close()
    if (kind === 'reset') return req.socket.destroy();
    if (FAULT_REPLIES[kind]) return send(res, FAULT_REPLIES[kind](fault));

    const reply = this.route(ctx); // the real thing: codes are consumed, tokens rotate
    if (kind === 'lost') return req.socket.destroy();
    if (kind === 'truncated') reply.body = reply.body.slice(0, Math.floor(reply.body.length / 2));
    send(res, reply);
  }

  count({ method, path, form }) {
    if (path === '/oauth2/token' && method === 'POST') {
      this.stats.tokenRequests++;
      if (form.grant_type === 'authorization_code') this.stats.authCodeRequests++;
      if (form.grant_type === 'refresh_token') this.stats.refreshRequests++;
      this.lastTokenRequest = { ...form };
      this.tokenRequestLog.push({ grant_type: form.grant_type, at: this.now() });
    } else if (path.startsWith('/api/')) {
      this.stats.apiRequests++;
    } else if (path === '/oauth2/authorize') {
      this.stats.authorizePages++;
    }
  }

  takeFault(path) {
    const fault = this.faults.find((f) => path.startsWith(f.path));
    if (!fault) return undefined;
    if (--fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    this.stats.faultsServed++;
    return fault;
  }

  route(ctx) {
    const { method, path } = ctx;
    if (path === '/oauth2/token') return method === 'POST' ? this.token(ctx.form) : invalidGrantType();
    if (path === '/oauth2/authorize' && method === 'GET') return this.authorizePage(ctx.query);
    if (path === '/oauth2/authorize/decide' && method === 'GET') return this.decide(ctx.query);
    if (path.startsWith('/api/')) return this.api(ctx);
    return json(404, { error: { code: 404, message: 'Not found' } });
  }

  // ----- /oauth2/authorize

  authorizeParams(query) {
    const params = compact({
      client_id: query.get('client_id'),
      redirect_uri: query.get('redirect_uri'),
      scope: query.get('scope'),
      state: query.get('state'),
    });
    if (!this.isKnownClient(params.client_id)) return { problem: errorPage('invalid_client', 'Unknown application') };
    if (!params.redirect_uri) return { problem: errorPage('invalid_request', 'Missing redirect_uri') };
    return { params };
  }

  authorizePage(query) {
    const { params, problem } = this.authorizeParams(query);
    if (problem) return problem;
    const link = (decision) => escapeHtml(`/oauth2/authorize/decide?${querystring.stringify({ ...params, decision })}`);
    const scopes = parseScope(params.scope)
      .map((s) => `<li>${escapeHtml(s)}</li>`)
      .join('');
    return html(
      200,
      page(
        'Netatmo simulator - authorization',
        `<p>The application <strong id="client-id">${escapeHtml(params.client_id)}</strong> requests access to:</p>` +
          `<ul id="scopes">${scopes}</ul>` +
          `<p><a id="accept" href="${link('accept')}">Accept</a> <a id="refuse" href="${link('refuse')}">Refuse</a></p>`,
      ),
    );
  }

  decide(query) {
    const { params, problem } = this.authorizeParams(query);
    if (problem) return problem;
    const outcome =
      query.get('decision') === 'accept'
        ? { code: this.issueCode({ clientId: params.client_id, redirectUri: params.redirect_uri, scope: params.scope }) }
        : { error: 'access_denied' };
    return redirect(appendQuery(params.redirect_uri, { ...compact({ state: params.state }), ...outcome }));
  }

  // ----- /oauth2/token

  token(form) {
    if (form.grant_type === 'authorization_code') return this.exchangeCode(form);
    if (form.grant_type === 'refresh_token') return this.refresh(form);
    return invalidGrantType();
  }

  exchangeCode({ client_id, client_secret, code, redirect_uri }) {
    const entry = this.codes.get(code);
    this.codes.delete(code); // single use, even if the call fails
    if (!this.checkClient(client_id, client_secret)) return oauthError('invalid_client');
    const valid = entry && entry.expiresAt > this.now() && entry.clientId === client_id && entry.redirectUri === redirect_uri;
    if (!valid) return oauthError('invalid_grant');
    return json(200, this.rotate({ clientId: client_id, scope: entry.scope, refreshToken: undefined }));
  }

  refresh({ client_id, client_secret, refresh_token }) {
    if (!this.checkClient(client_id, client_secret)) return oauthError('invalid_client');
    const grant = this.grantsByRefresh.get(refresh_token);
    if (!grant || grant.clientId !== client_id) return oauthError('invalid_grant');
    return json(200, this.rotate(grant));
  }

  /** New access + refresh token for a grant; its previous refresh token dies at once. */
  rotate(grant) {
    this.grantsByRefresh.delete(grant.refreshToken);
    grant.refreshToken = this.remember(newToken());
    this.grantsByRefresh.set(grant.refreshToken, grant);
    const accessToken = this.remember(newToken());
    this.accessTokens.set(accessToken, { expiresAt: this.now() + this.ttlSeconds * 1000 });
    const ttl = this.ttlSeconds;
    return { access_token: accessToken, refresh_token: grant.refreshToken, scope: [...grant.scope], expires_in: ttl, expire_in: ttl };
  }

  isKnownClient(id) {
    return Boolean(id) && (this.acceptAnyClient || this.clients.has(id));
  }

  checkClient(id, secret) {
    if (this.acceptAnyClient && id && secret) this.addClient(id, secret);
    return Boolean(id && secret) && this.clients.get(id) === secret;
  }

  remember(secret) {
    this.issued.add(secret);
    return secret;
  }

  // ----- /api/...

  api({ headers, query, form }) {
    const token = bearerToken(headers.authorization) || query.get('access_token') || form.access_token;
    if (!token) return apiError(1, 'Access token is missing');
    const entry = this.accessTokens.get(token);
    if (!entry) return apiError(2, 'Invalid access token');
    if (entry.expiresAt <= this.now()) return apiError(3, 'Access token expired');
    return json(200, { body: { homes: [] }, status: 'ok', time_server: Math.floor(this.now() / 1000) });
  }
}

async function startSimulator(options = {}) {
  return new NetatmoSimulator(options).listen(options.port || 0);
}

// ---------------------------------------------------------------- standalone

function parseArgs(argv) {
  const options = { clients: {}, log: true, port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value after ${argv[i]}`);
      return argv[++i];
    };
    const number = () => {
      const value = Number(next());
      if (!Number.isInteger(value) || value < 0) throw new Error(`${argv[i - 1]} expects a non-negative integer`);
      return value;
    };
    switch (argv[i]) {
      case '--port':
        options.port = number();
        break;
      case '--ttl':
        options.ttlSeconds = number();
        break;
      case '--code-ttl':
        options.codeTtlSeconds = number();
        break;
      case '--any-client':
        options.acceptAnyClient = true;
        break;
      case '--quiet':
        options.log = false;
        break;
      case '--client': {
        const value = next();
        const colon = value.indexOf(':');
        if (colon <= 0 || colon === value.length - 1) throw new Error('--client expects ID:SECRET');
        options.clients[value.slice(0, colon)] = value.slice(colon + 1);
        break;
      }
      default:
        throw new Error(`unknown argument: ${argv[i]}`);
    }
  }
  if (!Object.keys(options.clients).length) options.clients[DEFAULT_CLIENT.id] = DEFAULT_CLIENT.secret;
  return options;
}

async function main(argv) {
  let options;
  try {
    options = parseArgs(argv);
  } catch (err) {
    console.error(
      `${err.message}\nusage: node test/simulator.js [--port N] [--client ID:SECRET]... [--ttl S] [--code-ttl S] [--any-client] [--quiet]`,
    );
    process.exit(2);
  }
  const sim = await startSimulator(options);
  console.log(`Netatmo simulator listening on ${sim.url}`);
  const stop = () => sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { startSimulator, NetatmoSimulator, FAULT_KINDS, DEFAULT_CLIENT };
