import type { Response } from 'express';
import type { NetatmoError } from '../core/shared/errors';

/** The pages the browser tab shows when Netatmo sends it back to our callback. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]);

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
};

/** A small page; every piece of text is escaped here. `lang`: the language the texts are in. */
export function sendPage(res: Response, status: number, ok: boolean, title: string, paragraphs: string[], lang = 'en'): void {
  const body = paragraphs.map((p, i) => `<p${i === 0 ? ' id="message"' : ''}>${escapeHtml(p)}</p>`).join('\n');
  res
    .status(status)
    .set(PAGE_HEADERS)
    .send(
      `<!DOCTYPE html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
        `<title>${escapeHtml(title)}</title><style>body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5;color:#333}` +
        `h1{font-size:1.4em;color:${ok ? '#2e7d32' : '#c62828'}}</style></head>` +
        `<body class="${ok ? 'ok' : 'failed'}"><h1 id="title">${escapeHtml(title)}</h1>\n${body}\n</body></html>`,
    );
}

/** The callback pages' texts, from `locales/<lang>/netatmo-account.json` (`netatmo-account.callback.*`). */
export type Say = (key: string, params?: Record<string, string>) => string;

/** What to do when Netatmo refused to give tokens for a code. */
export function exchangeHint(say: Say, e: NetatmoError, login: { redirectUri: string }): string {
  const known = ['INVALID_GRANT', 'INVALID_CLIENT', 'NETWORK', 'RATE_LIMITED'];
  const code = e.code === 'TIMEOUT' ? 'NETWORK' : e.code;
  return say(known.includes(code) ? `hint-${code}` : 'hint-other', { redirectUri: login.redirectUri });
}
