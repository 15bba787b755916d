import { NetatmoError } from './errors';

/** Checks of what users type or paste. Each failure is an INVALID_INPUT error with a clear message. */

function invalid(message: string): NetatmoError {
  return new NetatmoError('INVALID_INPUT', message);
}

export function checkClientId(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid('The client id is missing: copy it from your app at dev.netatmo.com.');
  const v = value.trim();
  if (!/^[A-Za-z0-9._-]{4,128}$/.test(v)) throw invalid('The client id has unexpected characters: copy it again from dev.netatmo.com.');
  return v;
}

export function checkClientSecret(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid('The client secret is missing: copy it from your app at dev.netatmo.com.');
  const v = value.trim();
  if (!/^[\x21-\x7e]{4,256}$/.test(v)) throw invalid('The client secret has unexpected characters: copy it again from dev.netatmo.com.');
  return v;
}

export function checkRedirectUri(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('The redirect URI is missing.');
  const v = value.trim();
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw invalid('The redirect URI is not a URL (it should look like http://localhost/).');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('The redirect URI must start with http:// or https://.');
  return v;
}

/** A code as Netatmo hands it out: letters and digits only. */
export function checkCode(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('The authorization code is empty.');
  const v = value.trim();
  if (!/^[A-Za-z0-9]{8,256}$/.test(v))
    throw invalid('The authorization code must be letters and digits only (copy the part after "code=").');
  return v;
}

export function checkRefreshToken(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('The refresh token is empty.');
  const v = value.trim();
  if (!/^[\x21-\x7e]{8,512}$/.test(v))
    throw invalid('The refresh token has unexpected characters (it looks like 24 hex digits, "|", 32 hex digits).');
  return v;
}

export interface PastedRedirect {
  code: string;
  state?: string;
}

/**
 * Takes what a user pasted from the browser's address bar after consenting:
 * the whole URL (`http://localhost/?state=..&code=..`), just its query, or a bare code.
 */
export function parsePastedRedirect(text: unknown): PastedRedirect {
  if (typeof text !== 'string' || text.trim() === '') throw invalid('Nothing was pasted.');
  const v = text.trim();
  if (!/[?&=]/.test(v)) return { code: checkCode(v) };
  let params: URLSearchParams;
  try {
    params = v.includes('?') ? new URL(v, 'http://localhost/').searchParams : new URLSearchParams(v);
  } catch {
    throw invalid('The pasted text is not a URL.');
  }
  const error = params.get('error');
  if (error === 'access_denied')
    throw new NetatmoError('INVALID_INPUT', 'The Netatmo login was refused (access_denied): authorize again and click "Accept".', {
      oauthError: error,
    });
  if (error)
    throw new NetatmoError('INVALID_INPUT', `Netatmo sent back an error instead of a code: ${error.slice(0, 60)}`, { oauthError: error });
  const code = params.get('code');
  if (!code) throw invalid('The pasted URL has no "code=" in it: paste the address the browser was sent to after you accepted.');
  return { code: checkCode(code), state: params.get('state') ?? undefined };
}

/** Node-RED ids and CLI account names become file names: keep them to a safe alphabet. */
export function checkAccountId(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value)) throw invalid('The account id is not valid.');
  return value;
}
