/**
 * The token file's format, as pure functions: `{ version: 1, account }` in clear text, or
 * `{ version: 1, encrypted: 'aes-256-gcm', iv, tag, data }` with a key derived from Node-RED's
 * credential secret. No file, no state: the store reads and writes, this module encodes and decodes.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/** The keys of the moment: `write` encrypts (none: clear text), every one of `read` may decrypt. */
export interface Keys {
  write?: Buffer;
  read: Buffer[];
}

interface Envelope {
  version: 1;
  encrypted?: 'aes-256-gcm';
  iv?: string;
  tag?: string;
  data?: string;
  /** Which key encrypted (keyId): tells "another credential secret" from "damaged". Absent in older files. */
  kid?: string;
  account?: unknown;
}

/**
 * The file is encrypted with a key none of ours is: another `credentialSecret` (or none here). Not damage:
 * the store leaves such a file where it is, since on a shared folder it is the other replicas' login.
 */
export class WrongSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WrongSecretError';
  }
}

/**
 * A short public name of a key, stored beside the data. Says nothing of the key that the file does not
 * already give away (anyone with the file can test a guessed secret against the GCM tag).
 */
export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('netatmo-tokens key id').digest('base64').slice(0, 11);
}

/** The AES-256 key of a credential secret (as since the first release: SHA-256 of the text). */
export function deriveKey(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * The keys for a list of secrets: the first one encrypts, every non-empty one decrypts.
 * No secret, or an empty first one: written in clear text.
 */
export function keysFor(secrets: ReadonlyArray<string | undefined>, keyOf: (secret: string) => Buffer = deriveKey): Keys {
  const usable = (s: string | undefined): s is string => typeof s === 'string' && s !== '';
  return { write: usable(secrets[0]) ? keyOf(secrets[0]) : undefined, read: secrets.filter(usable).map(keyOf) };
}

/** The file's text for `account`: encrypted with `keys.write`, in clear text without it. */
export function encode(account: unknown, keys: Keys): string {
  const key = keys.write;
  if (!key) return JSON.stringify({ version: 1, account } satisfies Envelope, null, 2);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  // Stryker disable next-line StringLiteral: equivalent, Node reads a string as UTF-8 when no encoding is named
  const data = Buffer.concat([cipher.update(JSON.stringify(account), 'utf8'), cipher.final()]);
  const env: Envelope = {
    version: 1,
    encrypted: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
    kid: keyId(key),
  };
  return JSON.stringify(env);
}

/**
 * The account in a file's text; `outdated` when it is not written the way `encode` would write it
 * now (clear text while a key exists, or encrypted with another than `keys.write`).
 * Throws an Error saying why the text cannot be decoded (no secret or token in the message): a
 * WrongSecretError when no key of ours wrote it, a plain Error when it is damaged.
 */
export function decode(text: string, keys: Keys): { account: unknown; outdated: boolean } {
  let env: Envelope;
  try {
    env = JSON.parse(text) as Envelope;
  } catch {
    throw new Error('not JSON');
  }
  if (!env || env.version !== 1) throw new Error('unknown format');
  let account: unknown = env.account;
  let outdated = !!keys.write;
  if (env.encrypted) {
    if (keys.read.length === 0) throw new WrongSecretError('encrypted, but Node-RED has no credential secret');
    // With a key id, only the key that wrote the file is tried: failing with it means damage.
    const candidates = typeof env.kid === 'string' ? keys.read.filter((k) => keyId(k) === env.kid) : keys.read;
    if (candidates.length === 0) throw new WrongSecretError('encrypted with another credential secret');
    account = undefined;
    for (const key of candidates) {
      try {
        // A missing iv, tag or data ("undefined" as base64) fails here like any wrong one.
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(String(env.iv), 'base64'));
        decipher.setAuthTag(Buffer.from(String(env.tag), 'base64'));
        const plain = Buffer.concat([decipher.update(Buffer.from(String(env.data), 'base64')), decipher.final()]);
        account = JSON.parse(plain.toString('utf8'));
        outdated = !keys.write?.equals(key);
        break;
      } catch {
        // try the next secret
      }
    }
    // Without a key id (files of older versions) a failure is far more likely a changed secret than damage
    // that leaves valid JSON and base64: never set aside on a guess.
    if (account === undefined) {
      if (typeof env.kid === 'string') throw new Error('cannot decrypt: the data does not match its tag');
      throw new WrongSecretError('cannot decrypt: encrypted with another credential secret');
    }
  }
  return { account, outdated };
}
