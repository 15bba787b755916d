'use strict';
/**
 * A small reverse proxy on 127.0.0.1 that serves Node-RED under a path prefix, for the browser
 * tests: HTTP requests and the editor's WebSocket, prefix stripped, X-Forwarded-* headers added.
 *
 *   const proxy = await startProxy({ target: red.url, prefix: '/nodered/' });
 *   proxy.url        // 'http://127.0.0.1:<port>/nodered/'
 *   await proxy.close();
 *
 * Options:
 *   target        where Node-RED listens ('http://127.0.0.1:<port>'); requests keep their path after the prefix
 *   prefix        the path prefix the browser sees ('/nodered/')
 *   tls           { key, cert }: terminate TLS (https to the browser, http to Node-RED, X-Forwarded-Proto https)
 *   sessionCookie a cookie name: Home Assistant's ingress stand-in. Every request under the prefix needs that
 *                 cookie or gets 401; `GET /login` sets it `Path=/api/hassio_ingress/; SameSite=Strict; HttpOnly`,
 *                 as Home Assistant's frontend does with `ingress_session`.
 * Counters: proxy.stats.unauthorized (401 answers), proxy.seen (paths asked, without query).
 */
const crypto = require('node:crypto');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');

function cookiesOf(req) {
  const out = {};
  for (const part of String(req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function startProxy({ target, prefix, tls, sessionCookie }) {
  const to = new URL(target);
  const session = crypto.randomBytes(16).toString('hex');
  const stats = { unauthorized: 0 };
  const seen = [];
  const scheme = tls ? 'https' : 'http';

  /** The request's path for Node-RED, or undefined when it is not ours (wrong prefix, no session). */
  function admit(req, refuse) {
    const url = new URL(req.url, 'http://proxy');
    seen.push(url.pathname);
    if (!url.pathname.startsWith(prefix)) return refuse(404, 'not under the prefix');
    if (sessionCookie && cookiesOf(req)[sessionCookie] !== session) {
      stats.unauthorized++;
      return refuse(401, '401: Unauthorized');
    }
    return '/' + url.pathname.slice(prefix.length) + url.search;
  }
  function forwardedHeaders(req) {
    return {
      ...req.headers,
      'x-forwarded-for': req.socket.remoteAddress,
      'x-forwarded-host': req.headers.host,
      'x-forwarded-proto': scheme,
      'x-forwarded-prefix': prefix.replace(/\/$/, ''),
      ...(sessionCookie ? { 'x-ingress-path': prefix.replace(/\/$/, '') } : {}),
    };
  }

  const onRequest = (req, res) => {
    if (sessionCookie && req.url === '/login') {
      res.writeHead(200, {
        'Set-Cookie': `${sessionCookie}=${session}; Path=/api/hassio_ingress/; SameSite=Strict; HttpOnly`,
        'Content-Type': 'text/plain',
      });
      res.end('logged in');
      return;
    }
    const path = admit(req, (status, text) => {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(text);
    });
    if (!path) return;
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path, headers: forwardedHeaders(req) },
      (answer) => {
        const headers = { ...answer.headers };
        // Node-RED's redirects are relative to its root: put them back under the prefix.
        if (typeof headers.location === 'string' && headers.location.startsWith('/')) headers.location = prefix + headers.location.slice(1);
        res.writeHead(answer.statusCode, headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  };

  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest) : http.createServer(onRequest);
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // The editor's WebSocket (comms): the same checks, then bytes both ways.
  server.on('upgrade', (req, socket, head) => {
    const path = admit(req, (status, text) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n\r\n`);
    });
    if (!path) return;
    const upstream = net.connect(Number(to.port), to.hostname, () => {
      const headers = forwardedHeaders(req);
      const lines = [`${req.method} ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''];
      upstream.write(lines.join('\r\n'));
      if (head && head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const origin = `${scheme}://127.0.0.1:${server.address().port}`;
      resolve({
        origin,
        url: origin + prefix,
        loginUrl: `${origin}/login`,
        stats,
        seen,
        close() {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

module.exports = { startProxy };
