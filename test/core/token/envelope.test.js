'use strict';
/** The token file's format (src/core/envelope.ts), as plain functions: no file, no clock. */
const assert = require('node:assert/strict');
const { WrongSecretError, decode, deriveKey, encode, keyId, keysFor } = require('../../../dist/core/token/envelope');

const ACCOUNT = { tokens: { access_token: 'a|1', refresh_token: 'r|1', expires_at: 2, obtained_at: 1, scope: ['read_station'] } };

describe('core: envelope', () => {
  it('keysFor: the first secret encrypts, every non-empty one decrypts; none or "" first: clear text', () => {
    const k = keysFor(['one', undefined, '', 'two']);
    assert.ok(k.write.equals(deriveKey('one')));
    assert.deepEqual(k.read, [deriveKey('one'), deriveKey('two')]);
    assert.equal(keysFor([]).write, undefined);
    assert.equal(keysFor(['', 'two']).write, undefined);
    assert.deepEqual(keysFor(['', 'two']).read, [deriveKey('two')]);
  });

  it('clear text round trip: readable JSON, outdated only once a key exists', () => {
    const text = encode(ACCOUNT, keysFor([]));
    assert.deepEqual(JSON.parse(text), { version: 1, account: ACCOUNT });
    assert.deepEqual(decode(text, keysFor([])), { account: ACCOUNT, outdated: false });
    assert.deepEqual(decode(text, keysFor(['now-set'])), { account: ACCOUNT, outdated: true });
  });

  it('encrypted round trip: no token in the text, a fresh IV each time, readable with any listed secret', () => {
    const keys = keysFor(['s1']);
    const a = encode(ACCOUNT, keys);
    const b = encode(ACCOUNT, keys);
    assert.notEqual(a, b, 'a new IV for every write');
    assert.ok(!a.includes('r|1') && !a.includes('read_station'));
    assert.equal(JSON.parse(a).encrypted, 'aes-256-gcm');
    assert.deepEqual(decode(a, keys), { account: ACCOUNT, outdated: false });
    // Written with the older secret, read with the new first one: readable, and outdated.
    assert.deepEqual(decode(a, keysFor(['s2', 's1'])), { account: ACCOUNT, outdated: true });
  });

  it('says why a text cannot be decoded, never with a secret in the message', () => {
    const enc = encode(ACCOUNT, keysFor(['s1']));
    const tampered = JSON.stringify({ ...JSON.parse(enc), data: Buffer.from('x').toString('base64') });
    const { kid, ...older } = JSON.parse(enc); // as versions before the key id wrote it
    assert.equal(kid, keyId(deriveKey('s1')));
    for (const [text, keys, why, wrongSecret] of [
      ['{not json', keysFor([]), /not JSON/, false],
      ['{"version":2}', keysFor([]), /unknown format/, false],
      [enc, keysFor([]), /encrypted, but Node-RED has no credential secret/, true],
      [enc, keysFor(['wrong']), /encrypted with another credential secret/, true],
      [JSON.stringify(older), keysFor(['wrong']), /cannot decrypt: encrypted with another credential secret/, true],
      [tampered, keysFor(['s1']), /cannot decrypt: the data does not match its tag/, false],
    ]) {
      assert.throws(
        () => decode(text, keys),
        (err) =>
          why.test(err.message) &&
          err instanceof WrongSecretError === wrongSecret &&
          !err.message.includes('s1') &&
          !err.message.includes('wrong'),
      );
    }
    assert.deepEqual(decode(JSON.stringify(older), keysFor(['s1'])), { account: ACCOUNT, outdated: false });
  });

  it('the key id names the key that wrote the file: a wrong secret is told from damage', () => {
    const enc = JSON.parse(encode(ACCOUNT, keysFor(['s1'])));
    assert.equal(typeof enc.kid, 'string');
    assert.notEqual(keyId(deriveKey('s2')), enc.kid);
    assert.ok(!JSON.stringify(enc).includes(deriveKey('s1').toString('base64')), 'the key itself is not in the file');
    // Damaged data under the right key id is damage, under another one a wrong secret.
    const damaged = JSON.stringify({ ...enc, tag: Buffer.alloc(16).toString('base64') });
    assert.throws(
      () => decode(damaged, keysFor(['s2', 's1'])),
      (err) => !(err instanceof WrongSecretError),
    );
    assert.throws(() => decode(damaged, keysFor(['s2'])), WrongSecretError);
  });
});
