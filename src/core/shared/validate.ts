import { NetatmoError } from './errors';

/** Checks of what users type or paste. Each failure is an INVALID_INPUT error with a clear message. */

function invalid(message: string, reason: string, params?: Record<string, string | number>): NetatmoError {
  return new NetatmoError('INVALID_INPUT', message, { reason, params });
}

export function checkClientId(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid('The client id is missing: copy it from your app at dev.netatmo.com.', 'client-id-missing');
  const v = value.trim();
  if (!/^[A-Za-z0-9._-]{4,128}$/.test(v))
    throw invalid('The client id has unexpected characters: copy it again from dev.netatmo.com.', 'client-id-chars');
  return v;
}

export function checkClientSecret(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid('The client secret is missing: copy it from your app at dev.netatmo.com.', 'client-secret-missing');
  const v = value.trim();
  if (!/^[\x21-\x7e]{4,256}$/.test(v))
    throw invalid('The client secret has unexpected characters: copy it again from dev.netatmo.com.', 'client-secret-chars');
  return v;
}

/** Bounds on what a request may make us keep in memory (pending logins hold these). */
export const MAX_URI_LENGTH = 2048;
export const MAX_API_BASE_LENGTH = 512;

export function checkRedirectUri(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('The redirect URI is missing.', 'redirect-missing');
  const v = value.trim();
  if (v.length > MAX_URI_LENGTH)
    throw invalid(`The redirect URI is longer than ${MAX_URI_LENGTH} characters.`, 'redirect-too-long', { max: MAX_URI_LENGTH });
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw invalid('The redirect URI is not a URL (it should look like http://localhost/).', 'redirect-not-url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid('The redirect URI must start with http:// or https://.', 'redirect-scheme');
  return v;
}

/** A code as Netatmo hands it out: letters and digits only. */
export function checkCode(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('The authorization code is empty.', 'code-empty');
  const v = value.trim();
  if (!/^[A-Za-z0-9]{8,256}$/.test(v))
    throw invalid('The authorization code must be letters and digits only (copy the part after "code=").', 'code-chars');
  return v;
}

export function checkRefreshToken(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('The refresh token is empty.', 'refresh-token-empty');
  const v = value.trim();
  if (!/^[\x21-\x7e]{8,512}$/.test(v))
    throw invalid('The refresh token has unexpected characters (it looks like 24 hex digits, "|", 32 hex digits).', 'refresh-token-chars');
  return v;
}

/**
 * Node-RED ids and CLI account names become file names (`<id>.json`, with `<id>.json.tmp-…`,
 * `<id>.json.lock` and `<id>.json.<why>-…` beside it): a safe alphabet, and no `.json` inside, so
 * that no account's file name can start with another account's file name.
 */
export function checkAccountId(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value) || /\.json/i.test(value))
    throw invalid('The account id is not valid.', 'account-id');
  return value;
}

/** The API/OAuth server an account talks to: an http(s) URL, bounded, without trailing slashes. */
export function checkApiBase(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('The API base URL is empty.', 'api-base-empty');
  const v = value.trim();
  if (v.length > MAX_API_BASE_LENGTH)
    throw invalid(`The API base URL is longer than ${MAX_API_BASE_LENGTH} characters.`, 'api-base-too-long', {
      max: MAX_API_BASE_LENGTH,
    });
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw invalid('The API base URL is not a URL (leave it empty for https://api.netatmo.com).', 'api-base-not-url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid('The API base URL must start with http:// or https://.', 'api-base-scheme');
  return v.replace(/\/+$/, '');
}
