'use strict';
/**
 * The token file's format (src/core/envelope.ts), pinned: files written by earlier releases must stay
 * readable, so the key derivation, the key id and the layout are compared with fixed values.
 */
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { WrongSecretError, decode, deriveKey, encode, keyId, keysFor } = require('../../../dist/core/token/envelope');

const ACCOUNT = { tokens: { access_token: 'a|1', refresh_token: 'r|1', expires_at: 2, obtained_at: 1, scope: ['read_station'] } };
const S1_KEY = 'e8bc163c82eee18733288c7d4ac636db3a6deb013ef2d37b68322be20edc45cc'; // SHA-256 of "s1"

/** An envelope as an earlier release wrote it, encrypted by hand with node:crypto. */
function sealed(account, key, extra = {}) {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([c.update(JSON.stringify(account), 'utf8'), c.final()]);
  return JSON.stringify({
    version: 1,
    encrypted: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: c.getAuthTag().toString('base64'),
    data: data.toString('base64'),
    ...extra,
  });
}

describe('core: envelope, pinned', () => {
  it('the key is SHA-256 of the secret; its id an HMAC of a fixed text, 11 characters', () => {
    assert.equal(deriveKey('s1').toString('hex'), S1_KEY);
    assert.equal(keyId(deriveKey('s1')), 'C2crCzoxRnM');
    assert.equal(keyId(Buffer.from(S1_KEY, 'hex')), 'C2crCzoxRnM');
  });

  it('keysFor derives with the function given, for the first secret and each non-empty one', () => {
    const asked = [];
    const k = keysFor(['one', undefined, '', 'two'], (s) => {
      asked.push(s);
      return Buffer.from(s);
    });
    assert.deepEqual(asked, ['one', 'one', 'two']);
    assert.deepEqual([k.write.toString(), k.read.map(String)], ['one', ['one', 'two']]);
    assert.deepEqual(keysFor([undefined, 'two']), { write: undefined, read: [deriveKey('two')] });
  });

  it('clear text: exactly {version: 1, account}, indented by 2', () => {
    assert.equal(encode({ a: 1 }, keysFor([])), '{\n  "version": 1,\n  "account": {\n    "a": 1\n  }\n}');
  });

  it('encrypted: exactly version, cipher, iv of 12 bytes, tag of 16, data and key id, on one line', () => {
    const text = encode(ACCOUNT, keysFor(['s1']));
    assert.ok(!text.includes('\n'));
    const env = JSON.parse(text);
    assert.deepEqual(Object.keys(env), ['version', 'encrypted', 'iv', 'tag', 'data', 'kid']);
    assert.deepEqual([env.version, env.encrypted, env.kid], [1, 'aes-256-gcm', 'C2crCzoxRnM']);
    assert.equal(Buffer.from(env.iv, 'base64').length, 12);
    assert.equal(Buffer.from(env.tag, 'base64').length, 16);
    const d = crypto.createDecipheriv('aes-256-gcm', Buffer.from(S1_KEY, 'hex'), Buffer.from(env.iv, 'base64'));
    d.setAuthTag(Buffer.from(env.tag, 'base64'));
    const plain = Buffer.concat([d.update(Buffer.from(env.data, 'base64')), d.final()]).toString('utf8');
    assert.equal(plain, JSON.stringify(ACCOUNT));
  });

  it("reads what earlier releases wrote: with or without key id, with any listed secret; outdated unless the first one's", () => {
    const key = deriveKey('s1');
    for (const text of [sealed(ACCOUNT, key), sealed(ACCOUNT, key, { kid: 'C2crCzoxRnM' })]) {
      assert.deepEqual(decode(text, keysFor(['s1'])), { account: ACCOUNT, outdated: false });
      assert.deepEqual(decode(text, keysFor(['s0', 's1'])), { account: ACCOUNT, outdated: true });
      assert.deepEqual(decode(text, keysFor(['', 's1'])), { account: ACCOUNT, outdated: true }, 'no write key: clear text now');
    }
    assert.deepEqual(decode('{"version":1,"account":{"a":1}}', keysFor([])), { account: { a: 1 }, outdated: false });
    assert.deepEqual(decode('{"version":1}', keysFor([])), { account: undefined, outdated: false });
  });

  it('refusals: exact messages and classes', () => {
    const key = deriveKey('s1');
    const good = JSON.parse(sealed(ACCOUNT, key, { kid: 'C2crCzoxRnM' }));
    const cases = [
      ['{not json', keysFor(['s1']), Error, 'not JSON'],
      ['null', keysFor(['s1']), Error, 'unknown format'],
      ['{"version":"1"}', keysFor(['s1']), Error, 'unknown format'],
      [JSON.stringify(good), keysFor([]), WrongSecretError, 'encrypted, but Node-RED has no credential secret'],
      [JSON.stringify(good), keysFor(['s2']), WrongSecretError, 'encrypted with another credential secret'],
      [JSON.stringify({ ...good, kid: 7 }), keysFor(['s2']), WrongSecretError, 'cannot decrypt: encrypted with another credential secret'],
      [JSON.stringify({ ...good, iv: undefined }), keysFor(['s1']), Error, 'cannot decrypt: the data does not match its tag'],
      [JSON.stringify({ ...good, tag: undefined }), keysFor(['s1']), Error, 'cannot decrypt: the data does not match its tag'],
      [JSON.stringify({ ...good, data: undefined }), keysFor(['s1']), Error, 'cannot decrypt: the data does not match its tag'],
      [sealed('not an object', key).replace('}', ',"kid":"C2crCzoxRnM"}'), keysFor(['s1']), null, null],
    ];
    for (const [text, keys, cls, message] of cases) {
      if (cls === null) {
        assert.deepEqual(decode(text, keys), { account: 'not an object', outdated: false });
        continue;
      }
      assert.throws(
        () => decode(text, keys),
        (err) => {
          assert.equal(err.message, message);
          assert.equal(err instanceof WrongSecretError, cls === WrongSecretError, message);
          assert.equal(err.name, cls === WrongSecretError ? 'WrongSecretError' : 'Error');
          return true;
        },
      );
    }
  });

  it('data that decrypts but is not JSON is damage, not a wrong secret', () => {
    const key = deriveKey('s1');
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([c.update('{cut', 'utf8'), c.final()]);
    const base = {
      version: 1,
      encrypted: 'aes-256-gcm',
      iv: iv.toString('base64'),
      tag: c.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    assert.throws(() => decode(JSON.stringify({ ...base, kid: 'C2crCzoxRnM' }), keysFor(['s1'])), {
      message: 'cannot decrypt: the data does not match its tag',
    });
    assert.throws(() => decode(JSON.stringify(base), keysFor(['s1'])), WrongSecretError);
  });
});
