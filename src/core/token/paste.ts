import { NetatmoError } from '../shared/errors';
import { MAX_URI_LENGTH, checkCode, checkRefreshToken } from '../shared/validate';

/**
 * What a user pastes to log in, told apart by its shape: the address the browser reached after
 * consenting, a bare code, or a refresh token of the token generator. One rule for the editor's
 * dialog (admin routes) and the CLI, so that both read a paste the same way.
 */

export type Pasted =
  { kind: 'url'; code: string; state?: string } | { kind: 'code'; code: string } | { kind: 'refresh_token'; refreshToken: string };

export interface PastedRedirect {
  code: string;
  state?: string;
}

/** Netatmo's refresh tokens look like `<24 hex>|<32 hex>`; accept any letters and digits around one `|`. */
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9]{8,256}\|[A-Za-z0-9]{8,256}$/;

const invalid = (message: string, reason: string, params?: Record<string, string | number>): NetatmoError =>
  new NetatmoError('INVALID_INPUT', message, { reason, params });

/** A pasted text longer than any address Netatmo sends back. */
const tooLongPaste = (): NetatmoError =>
  invalid(`The pasted text is longer than ${MAX_URI_LENGTH} characters: paste only the address.`, 'paste-too-long', {
    max: MAX_URI_LENGTH,
  });

/** What a pasted text looks like: an address (`?`, `&`, `=` or `://`), a refresh token (a `|`), a code (letters and digits). */
export function pastedShape(text: string): Pasted['kind'] | undefined {
  const v = text.replace(/\s/g, '');
  if (/[?&=]|:\/\//.test(v)) return 'url';
  if (v.includes('|')) return 'refresh_token';
  if (/^[A-Za-z0-9]+$/.test(v)) return 'code';
  return undefined;
}

/**
 * Takes what a user pasted from the browser's address bar after consenting: the whole URL
 * (`http://localhost/?state=..&code=..`), the URL without its scheme, just its query (with or
 * without the `?`), or a bare code. Spaces and line breaks a copy may add are dropped.
 */
export function parsePastedRedirect(text: unknown): PastedRedirect {
  if (typeof text !== 'string' || text.trim() === '') throw invalid('Nothing was pasted.', 'nothing-pasted');
  // Refused before any pass over it: spaces and line breaks (removed below) never make a paste 16 times longer.
  if (text.length > 16 * MAX_URI_LENGTH) throw tooLongPaste();
  const v = text.replace(/\s/g, '');
  if (v.length > MAX_URI_LENGTH) throw tooLongPaste();
  if (!/[?&=]/.test(v)) return { code: checkCode(v) };
  // Whatever stands before the query (scheme, host, port, path) does not matter: the query does.
  const query = v.slice(v.indexOf('?') + 1).split('#')[0]; // no '?': indexOf is -1, the whole text
  const params = new URLSearchParams(query);
  const error = params.get('error');
  if (error === 'access_denied')
    throw new NetatmoError('INVALID_INPUT', 'The Netatmo login was refused (access_denied): authorize again and click "Accept".', {
      oauthError: error,
      reason: 'paste-denied',
    });
  if (error)
    throw new NetatmoError('INVALID_INPUT', `Netatmo sent back an error instead of a code: ${error.slice(0, 60)}`, {
      oauthError: error,
      reason: 'paste-error',
      params: { error: error.slice(0, 60) },
    });
  const code = params.get('code');
  if (!code)
    throw invalid('The pasted URL has no "code=" in it: paste the address the browser was sent to after you accepted.', 'paste-no-code');
  return { code: checkCode(code), state: params.get('state') ?? undefined };
}

/**
 * Tells apart what a user pasted, by its shape:
 * - an address (it holds `?`, `&`, `=` or `://`): the whole URL, without its scheme, or its query alone;
 * - a refresh token (letters and digits around one `|`, as the token generator gives);
 * - a code (letters and digits only).
 */
export function classifyPasted(text: unknown): Pasted {
  if (typeof text !== 'string' || text.trim() === '') throw invalid('Nothing was pasted.', 'nothing-pasted');
  if (text.length > 16 * MAX_URI_LENGTH) throw tooLongPaste(); // before any pass over it
  const v = text.replace(/\s/g, '');
  switch (pastedShape(v)) {
    case 'url':
      return { kind: 'url', ...parsePastedRedirect(v) };
    case 'refresh_token':
      if (!REFRESH_TOKEN_SHAPE.test(v))
        throw invalid('A refresh token is letters and digits, "|", letters and digits (24 and 32 hex digits).', 'refresh-token-shape');
      return { kind: 'refresh_token', refreshToken: checkRefreshToken(v) };
    case 'code':
      return { kind: 'code', code: checkCode(v) };
    default:
      throw invalid(
        'Not recognised: paste the whole address the browser was sent to (…?state=…&code=…), the code alone, or a refresh token (…|…).',
        'paste-unrecognised',
      );
  }
}
