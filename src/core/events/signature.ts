import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Netatmo signs each webhook delivery: header `X-Netatmo-Secret` = hex HMAC-SHA256 of the body's raw
 * bytes, keyed by the app's client secret. Checked over the bytes as they came: Netatmo writes `\/` and
 * `\uXXXX` escapes, so the same JSON serialised again gives other bytes and another signature.
 */

/** The signature Netatmo would send for `raw` (the simulator, tests and the README's curl use it too). */
export function signBody(clientSecret: string, raw: Buffer | string): string {
  return createHmac('sha256', clientSecret).update(raw).digest('hex');
}

export type SignatureCheck = 'ok' | 'missing' | 'wrong';

/** A hex SHA-256 digest: 64 hex digits (either case). */
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

/**
 * Compares in constant time over the 32 bytes of the digest: how much of a guess matches never shows in
 * the time taken. A header of another shape is wrong at once (its length tells nothing of the secret).
 */
export function checkSignature(clientSecret: string, raw: Buffer, header: unknown): SignatureCheck {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.trim() === '') return 'missing';
  const given = value.trim();
  if (!HEX_DIGEST.test(given)) return 'wrong';
  const expected = createHmac('sha256', clientSecret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex')) ? 'ok' : 'wrong';
}
