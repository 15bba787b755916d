'use strict';
/**
 * The checks of what users type or paste (src/core/validate.ts): each accepted value as it is
 * kept, each refusal an INVALID_INPUT with the sentence that says what to do, limits exact.
 */
const assert = require('node:assert/strict');
const v = require('../../../dist/core/shared/validate');

const { refuses, refusalsAre } = require('../../helpers/refusals');

describe('core: validate, every check', () => {
  it('checkClientId: trimmed; 4 to 128 of letters, digits, . _ -', () => {
    assert.equal(v.checkClientId('  abcd  '), 'abcd');
    assert.equal(v.checkClientId('a.b_c-D9'), 'a.b_c-D9');
    assert.equal(v.checkClientId('x'.repeat(128)), 'x'.repeat(128));
    for (const bad of [undefined, null, 42, '', '   '])
      refuses(() => v.checkClientId(bad), /^The client id is missing: copy it from your app at dev\.netatmo\.com\.$/);
    for (const bad of ['abc', 'x'.repeat(129), 'abc def', 'abc|def', 'é-client'])
      refuses(() => v.checkClientId(bad), /^The client id has unexpected characters: copy it again from dev\.netatmo\.com\.$/);
  });

  it('checkClientSecret: trimmed; 4 to 256 printable ASCII characters', () => {
    assert.equal(v.checkClientSecret(' s3cr!t~ '), 's3cr!t~');
    assert.equal(v.checkClientSecret('y'.repeat(256)), 'y'.repeat(256));
    for (const bad of [undefined, {}, '', '  '])
      refuses(() => v.checkClientSecret(bad), /^The client secret is missing: copy it from your app at dev\.netatmo\.com\.$/);
    for (const bad of ['abc', 'y'.repeat(257), 'two words', 'tab\tbed', 'ünïcode'])
      refuses(() => v.checkClientSecret(bad), /^The client secret has unexpected characters: copy it again from dev\.netatmo\.com\.$/);
  });

  it('checkRedirectUri: an http(s) URL, trimmed', () => {
    assert.equal(v.checkRedirectUri(' http://localhost/ '), 'http://localhost/');
    assert.equal(v.checkRedirectUri('https://example.org:1880/netatmo/callback'), 'https://example.org:1880/netatmo/callback');
    for (const bad of [undefined, 7, '', ' ']) refuses(() => v.checkRedirectUri(bad), /^The redirect URI is missing\.$/);
    refuses(() => v.checkRedirectUri('not a url'), /^The redirect URI is not a URL \(it should look like http:\/\/localhost\/\)\.$/);
    for (const bad of ['ftp://example.com/', 'javascript:alert(1)', 'file:///etc/passwd'])
      refuses(() => v.checkRedirectUri(bad), /^The redirect URI must start with http:\/\/ or https:\/\/\.$/);
  });

  it('checkCode: trimmed; 8 to 256 letters and digits', () => {
    assert.equal(v.checkCode(' abcd1234 '), 'abcd1234');
    assert.equal(v.checkCode('c'.repeat(256)), 'c'.repeat(256));
    for (const bad of [undefined, 42, '', '  ']) refuses(() => v.checkCode(bad), /^The authorization code is empty\.$/);
    for (const bad of ['abc1234', 'c'.repeat(257), 'abcd-1234', 'abcd 1234'])
      refuses(() => v.checkCode(bad), /^The authorization code must be letters and digits only \(copy the part after "code="\)\.$/);
  });

  it('checkRefreshToken: trimmed; 8 to 512 printable ASCII characters', () => {
    const rt = '5c8a9e0f1b2c3d4e5f607182|0a1b2c3d4e5f60718293a4b5c6d7e8f9';
    assert.equal(v.checkRefreshToken(` ${rt}\n`), rt);
    assert.equal(v.checkRefreshToken('r'.repeat(8)), 'r'.repeat(8));
    assert.equal(v.checkRefreshToken('r'.repeat(512)), 'r'.repeat(512));
    for (const bad of [undefined, [], '', '   ']) refuses(() => v.checkRefreshToken(bad), /^The refresh token is empty\.$/);
    for (const bad of ['r'.repeat(7), 'r'.repeat(513), 'two words here', 'ünïcode-token'])
      refuses(
        () => v.checkRefreshToken(bad),
        /^The refresh token has unexpected characters \(it looks like 24 hex digits, "\|", 32 hex digits\)\.$/,
      );
  });

  it('checkAccountId: a file name of letters, digits, . _ -, not starting with a dot, at most 128', () => {
    for (const ok of ['a', 'acc1', 'A.b_c-9', 'x'.repeat(128), '9f3c2a1b.e4d5']) assert.equal(v.checkAccountId(ok), ok);
    for (const bad of [undefined, 12, '', '.hidden', '-x', '_x', 'a/b', 'a\\b', '../x', 'x'.repeat(129), 'a b'])
      refuses(() => v.checkAccountId(bad), /^The account id is not valid\.$/);
  });

  it('checkApiBase: an http(s) URL of at most 512 characters, trimmed, without trailing slashes', () => {
    assert.equal(v.checkApiBase(' http://127.0.0.1:8080/// '), 'http://127.0.0.1:8080');
    assert.equal(v.checkApiBase('https://api.netatmo.com'), 'https://api.netatmo.com');
    const long = `https://example.org/${'p'.repeat(512 - 20)}`;
    assert.equal(v.checkApiBase(long), long);
    for (const bad of [undefined, 5, '', '  ']) refuses(() => v.checkApiBase(bad), /^The API base URL is empty\.$/);
    refuses(() => v.checkApiBase(`${long}p`), /^The API base URL is longer than 512 characters\.$/);
    refuses(
      () => v.checkApiBase('api.netatmo.com'),
      /^The API base URL is not a URL \(leave it empty for https:\/\/api\.netatmo\.com\)\.$/,
    );
    for (const bad of ['ftp://example.org', 'file:///tmp/x'])
      refuses(() => v.checkApiBase(bad), /^The API base URL must start with http:\/\/ or https:\/\/\.$/);
  });

  it('bounds: a redirect URI of at most 2048 characters (after trimming)', () => {
    const uri = `http://localhost/${'u'.repeat(2048 - 17)}`;
    assert.equal(v.checkRedirectUri(` ${uri} `), uri);
    refuses(() => v.checkRedirectUri(`${uri}u`), /^The redirect URI is longer than 2048 characters\.$/);
  });
});

describe('core: validate, the reason of each refusal (the key of its translation)', () => {
  it('names each refusal, with its parameters', () => {
    const rows = [
      [() => v.checkClientId(''), 'client-id-missing'],
      [() => v.checkClientId('a b'), 'client-id-chars'],
      [() => v.checkClientSecret(''), 'client-secret-missing'],
      [() => v.checkClientSecret('a b'), 'client-secret-chars'],
      [() => v.checkRedirectUri(''), 'redirect-missing'],
      [() => v.checkRedirectUri(`http://x/${'u'.repeat(2048)}`), 'redirect-too-long', { max: 2048 }],
      [() => v.checkRedirectUri('no url'), 'redirect-not-url'],
      [() => v.checkRedirectUri('ftp://x/'), 'redirect-scheme'],
      [() => v.checkCode(''), 'code-empty'],
      [() => v.checkCode('a b'), 'code-chars'],
      [() => v.checkRefreshToken(''), 'refresh-token-empty'],
      [() => v.checkRefreshToken('a b c d e'), 'refresh-token-chars'],
      [() => v.checkAccountId('../x'), 'account-id'],
      [() => v.checkApiBase(''), 'api-base-empty'],
      [() => v.checkApiBase(`https://x/${'p'.repeat(512)}`), 'api-base-too-long', { max: 512 }],
      [() => v.checkApiBase('x'), 'api-base-not-url'],
      [() => v.checkApiBase('ftp://x'), 'api-base-scheme'],
    ];
    refusalsAre(rows);
  });
});
