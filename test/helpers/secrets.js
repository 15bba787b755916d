'use strict';
/**
 * The tests' secret grep: finds a secret in a text whole, URL-encoded (`|` as `%7C`, as in a
 * query string or a form body) or in part (any 12 characters in a row of it, or of its encoded
 * form). Secrets shorter than 12 characters are only found whole.
 */

/** Characters in a row that make a leak: a token shows in part, not just whole. */
const SLICE = 12;

/** The forms a secret can take in a text: as is, and URL-encoded (upper and lower case hex). */
function forms(secret) {
  const encoded = encodeURIComponent(secret);
  return [...new Set([secret, encoded, encoded.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())])];
}

/** How `secret` shows in `text`: 'whole', 'encoded', 'part' or undefined when it does not. */
function leakOf(text, secret) {
  if (!secret || secret.length < 6) return undefined;
  if (text.includes(secret)) return 'whole';
  const [, ...encoded] = forms(secret);
  if (encoded.some((f) => f !== secret && text.includes(f))) return 'encoded';
  for (const f of forms(secret)) {
    for (let i = 0; i + SLICE <= f.length; i++) if (text.includes(f.slice(i, i + SLICE))) return 'part';
  }
  return undefined;
}

/** Every secret of `secrets` found in `text`, as "abcd… (how)"; [] when none. */
function findSecrets(text, secrets) {
  const found = [];
  const s = String(text);
  for (const secret of new Set(secrets)) {
    const how = leakOf(s, secret);
    if (how) found.push(`${secret.slice(0, 4)}… (${how})`);
  }
  return found;
}

module.exports = { findSecrets, leakOf, SLICE };
