import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * Admin write routes must refuse what another web site can make the user's browser send. Without
 * `adminAuth` (the Home Assistant add-on, most home installs) Node-RED's admin API takes form
 * bodies and, on Node-RED 4, answers every origin: a hidden form or a cross-origin fetch on any page
 * the user visits would otherwise reach these routes.
 */

type Headers = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();

/** `host[:port]` as a browser writes it in `Origin`, default ports left out. */
function hostOf(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a write request may come from another site, or undefined when it may not. A browser says where
 * a request comes from in `Sec-Fetch-Site` (pages cannot set it; Chromium sends none to a plain-http
 * address on the home network); otherwise `Origin` is compared with the host the browser addressed:
 * `Host`, or `X-Forwarded-Host` only when `trustForwarded` (the request came from a proxy the user
 * named in `netatmoTokens.trustedProxies`): any page can set that header on a cross-origin fetch.
 * A request with neither (curl, scripts) is no browser's: the admin token, when `adminAuth` is on, is its check.
 */
export function crossSiteReason(contentType: string | undefined, headers: Headers, trustForwarded = false): string | undefined {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) return 'the request is not JSON';
  const site = first(headers['sec-fetch-site']);
  if (site !== undefined)
    return site === 'same-origin' || site === 'none' ? undefined : `it comes from another site (${site.slice(0, 20)})`;
  const origin = first(headers.origin);
  if (origin === undefined) return undefined;
  const from = hostOf(origin);
  const hosts = [trustForwarded ? first(headers['x-forwarded-host']) : undefined, first(headers.host)]
    .filter((h): h is string => !!h)
    .map((h) => h.toLowerCase());
  if (from && hosts.some((h) => h === from || stripDefaultPort(h, origin) === from)) return undefined;
  return 'it comes from another site (Origin)';
}

function stripDefaultPort(host: string, origin: string): string {
  const port = origin.startsWith('https:') ? ':443' : ':80';
  return host.endsWith(port) ? host.slice(0, -port.length) : host;
}

/** `::ffff:10.0.0.2` (IPv4 on an IPv6 socket) as `10.0.0.2`; the forms users write in settings. */
export const plainAddress = (a: string | undefined): string =>
  (a ?? '')
    .trim()
    .toLowerCase()
    .replace(/^::ffff:(?=\d+\.)/, '');

/**
 * Express middleware: 403, nothing changed, for a write another site may have sent. `trustedProxies`:
 * the addresses whose `X-Forwarded-Host` is believed (netatmoTokens.trustedProxies).
 */
export const sameOriginWrites =
  (trustedProxies: () => readonly string[]) =>
  (req: Request, res: Response, next: NextFunction): void => {
    const trusted = trustedProxies().includes(plainAddress(req.socket.remoteAddress));
    const why = crossSiteReason(req.get('content-type'), req.headers, trusted);
    if (!why) {
      next();
      return;
    }
    refuse(res, why);
  };

function refuse(res: Response, why: string): void {
  res
    .status(403)
    .set('Cache-Control', 'no-store')
    .json({
      error: {
        code: 'CROSS_SITE',
        message: `Refused: ${why}. Netatmo logins are changed from the Node-RED editor only.`,
        oauthError: null,
      },
    });
}

// ------------------------------------------------------------------ the browser that asked for a login

/**
 * Authorize sets this cookie (random, HttpOnly, SameSite=Lax) in the browser that clicked it; the
 * callback then only finishes a login for that browser. A state read by another page (or created by a
 * cross-site request, whose cookie the browser refuses to keep) is useless elsewhere.
 */
export const BROWSER_COOKIE = 'netatmo_tokens_browser';
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The hash kept with a pending login; never the cookie itself. */
export const browserHash = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** The cookie this browser already has, else a new one set on the answer. Returns its hash. */
export function bindBrowser(req: Request, res: Response): string {
  let value = cookieValue(req.get('cookie'), BROWSER_COOKIE);
  if (!value || !COOKIE_VALUE.test(value)) value = randomBytes(32).toString('base64url');
  // Path=/ : under a proxy or ingress prefix only the browser knows the path the callback has.
  res.append('Set-Cookie', `${BROWSER_COOKIE}=${value}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax${req.secure ? '; Secure' : ''}`);
  return browserHash(value);
}

/** Is this request from the browser a login was bound to? */
export function sameBrowser(req: Request, hash: string | undefined): boolean {
  if (hash === undefined) return true;
  const value = cookieValue(req.get('cookie'), BROWSER_COOKIE);
  return value !== undefined && COOKIE_VALUE.test(value) && browserHash(value) === hash;
}
