/**
 * The token file's format, as pure functions: `{ version: 1, account }` in clear text, or
 * `{ version: 1, encrypted: 'aes-256-gcm', iv, tag, data }` with a key derived from Node-RED's
 * credential secret. No file, no state: the store reads and writes, this module encodes and decodes.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

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
  account?: unknown;
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
  const data = Buffer.concat([cipher.update(JSON.stringify(account), 'utf8'), cipher.final()]);
  const env: Envelope = {
    version: 1,
    encrypted: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return JSON.stringify(env);
}

/**
 * The account in a file's text; `outdated` when it is not written the way `encode` would write it
 * now (clear text while a key exists, or encrypted with another than `keys.write`).
 * Throws an Error saying why the text cannot be decoded (no secret or token in the message).
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
    if (keys.read.length === 0) throw new Error('encrypted, but Node-RED has no credential secret');
    account = undefined;
    for (const key of keys.read) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(env.iv ?? '', 'base64'));
        decipher.setAuthTag(Buffer.from(env.tag ?? '', 'base64'));
        const plain = Buffer.concat([decipher.update(Buffer.from(env.data ?? '', 'base64')), decipher.final()]);
        account = JSON.parse(plain.toString('utf8'));
        outdated = !keys.write?.equals(key);
        break;
      } catch {
        // try the next secret
      }
    }
    if (account === undefined) throw new Error('cannot decrypt: the credential secret changed');
  }
  return { account, outdated };
}
