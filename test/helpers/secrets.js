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

/**
 * How `secret` shows in `text`: 'whole', 'encoded', 'part' or undefined when it does not.
 * `known`: texts that are not secret (a client id): a part of the secret that is also a part of
 * one of them is no leak (the test secret 'test-client-secret' shares 'test-client-' with the id).
 */
function leakOf(text, secret, known = []) {
  if (!secret || secret.length < 6) return undefined;
  if (text.includes(secret)) return 'whole';
  const [, ...encoded] = forms(secret);
  if (encoded.some((f) => f !== secret && text.includes(f))) return 'encoded';
  for (const f of forms(secret)) {
    for (let i = 0; i + SLICE <= f.length; i++) {
      const part = f.slice(i, i + SLICE);
      if (text.includes(part) && !known.some((k) => String(k).includes(part))) return 'part';
    }
  }
  return undefined;
}

/** Every secret of `secrets` found in `text`, as "abcd… (how)"; [] when none. See leakOf for `known`. */
function findSecrets(text, secrets, known = []) {
  const found = [];
  const s = String(text);
  for (const secret of new Set(secrets)) {
    const how = leakOf(s, secret, known);
    if (how) found.push(`${secret.slice(0, 4)}… (${how})`);
  }
  return found;
}

module.exports = { findSecrets, leakOf, SLICE };
