'use strict';
/**
 * The paste classifier (src/core/token/paste.ts), shared by the editor's paste box (admin routes)
 * and the CLI: what a pasted text is taken for (its shape), what is kept of it, and the reason of
 * each refusal (the key of its translation).
 */
const assert = require('node:assert/strict');
const { classifyPasted, parsePastedRedirect, pastedShape } = require('../../../dist/core/token/paste');

const { refuses, refusalsAre } = require('../../helpers/refusals');

describe('core: the pasted redirect (parsePastedRedirect)', () => {
  it('parsePastedRedirect: a URL, a bare query, a bare code; state kept', () => {
    assert.deepEqual(parsePastedRedirect(' http://localhost/?state=s1&code=abcd1234 '), { code: 'abcd1234', state: 's1' });
    assert.deepEqual(parsePastedRedirect('state=s2&code=abcd1234'), { code: 'abcd1234', state: 's2' });
    assert.deepEqual(parsePastedRedirect('?code=abcd1234'), { code: 'abcd1234', state: undefined });
    assert.deepEqual(parsePastedRedirect('abcd1234'), { code: 'abcd1234' });
    assert.deepEqual(parsePastedRedirect('code=abcd1234'), { code: 'abcd1234', state: undefined });
    for (const bad of [undefined, 3, '', '  ']) refuses(() => parsePastedRedirect(bad), /^Nothing was pasted\.$/);
    // Only the query counts: a broken host, a missing scheme, spaces and line breaks from a copy do not matter.
    assert.deepEqual(parsePastedRedirect('http://[bad/?code=abcd1234'), { code: 'abcd1234', state: undefined });
    assert.deepEqual(parsePastedRedirect('localhost:1880/cb?state=s3&code=ab cd\n1234#frag'), { code: 'abcd1234', state: 's3' });
    const denied = refuses(
      () => parsePastedRedirect('http://localhost/?error=access_denied&state=s'),
      /^The Netatmo login was refused \(access_denied\): authorize again and click "Accept"\.$/,
    );
    assert.equal(denied.oauthError, 'access_denied');
    const other = refuses(
      () => parsePastedRedirect(`http://localhost/?error=${'e'.repeat(100)}`),
      new RegExp(`^Netatmo sent back an error instead of a code: ${'e'.repeat(60)}$`),
    );
    assert.equal(other.oauthError, 'e'.repeat(100));
    refuses(
      () => parsePastedRedirect('http://localhost/?state=abc'),
      /^The pasted URL has no "code=" in it: paste the address the browser was sent to after you accepted\.$/,
    );
    refuses(() => parsePastedRedirect('http://localhost/?code=ab'), /^The authorization code must be letters and digits only/);
  });

  it('bounds: a pasted text of at most 2048 characters (after trimming)', () => {
    const pasted = `http://localhost/?code=abcd1234&x=${'p'.repeat(2048 - 34)}`;
    assert.equal(pasted.length, 2048);
    assert.deepEqual(parsePastedRedirect(`  ${pasted}  `), { code: 'abcd1234', state: undefined });
    refuses(() => parsePastedRedirect(`${pasted}p`), /^The pasted text is longer than 2048 characters: paste only the address\.$/);
  });

  it('names each refusal, with its parameters', () => {
    const rows = [
      [() => parsePastedRedirect(''), 'nothing-pasted'],
      [() => parsePastedRedirect(`?code=${'c'.repeat(2048)}`), 'paste-too-long', { max: 2048 }],
      [() => parsePastedRedirect('?error=access_denied'), 'paste-denied'],
      [() => parsePastedRedirect(`?error=${'e'.repeat(70)}`), 'paste-error', { error: 'e'.repeat(60) }],
      [() => parsePastedRedirect('?state=x'), 'paste-no-code'],
    ];
    refusalsAre(rows);
  });
});

describe('what the paste box takes (issue 12, issue 16 item 5)', () => {
  const STATE = 'S'.repeat(43);
  const CODE = 'abcdef0123456789abcdef0123456789';
  it('an address as people copy it: whole, without scheme, query alone with or without "?", with spaces from a wrapped line', () => {
    for (const text of [
      `http://localhost/?state=${STATE}&code=${CODE}`,
      `https://192.168.1.10:1880/netatmo-tokens/callback/?code=${CODE}&state=${STATE}#_`,
      `localhost/?state=${STATE}&code=${CODE}`,
      `localhost:1880/?state=${STATE}&code=${CODE}`,
      `?state=${STATE}&code=${CODE}`,
      `state=${STATE}&code=${CODE}`,
      ` http://localhost/?state=${STATE}\n&code=${CODE} `,
    ])
      assert.deepEqual(classifyPasted(text), { kind: 'url', code: CODE, state: STATE }, text);
  });
  it('a code alone, and a refresh token of the token generator', () => {
    assert.deepEqual(classifyPasted(` ${CODE} `), { kind: 'code', code: CODE });
    const rt = `${'a1'.repeat(12)}|${'b2'.repeat(16)}`;
    assert.deepEqual(classifyPasted(rt), { kind: 'refresh_token', refreshToken: rt });
  });
  it('says what the text was taken for (its shape) and why it was refused (a reason the catalogue translates)', () => {
    const refused = (text) => {
      try {
        classifyPasted(text);
      } catch (err) {
        assert.equal(err.code, 'INVALID_INPUT');
        return [pastedShape(text) ?? null, err.reason];
      }
      assert.fail(`accepted: ${text}`);
    };
    assert.deepEqual(refused(`http://localhost/?state=${STATE}&error=access_denied`), ['url', 'paste-denied']);
    assert.deepEqual(refused(`http://localhost/?state=${STATE}`), ['url', 'paste-no-code']);
    assert.deepEqual(refused('http://localhost:1880/callback/'), ['url', 'code-chars']);
    assert.deepEqual(refused('abc|def!'), ['refresh_token', 'refresh-token-shape']);
    assert.deepEqual(refused('abc'), ['code', 'code-chars']);
    assert.deepEqual(refused('not a thing!'), [null, 'paste-unrecognised']);
    assert.deepEqual(refused('   '), [null, 'nothing-pasted']);
  });
});

describe('core: the paste, exactly (paste.ts)', () => {
  it('pastedShape drops spaces and line breaks, and takes only letters and digits from end to end for a code', () => {
    assert.equal(pastedShape(' ab cd\n12 '), 'code');
    assert.equal(pastedShape('-abcd1234'), undefined);
    assert.equal(pastedShape('abcd1234-'), undefined);
    assert.equal(pastedShape('a|b'), 'refresh_token');
    assert.equal(pastedShape('x://y'), 'url');
  });

  it('a paste of spaces around a short code is read up to 16 times the longest address, refused beyond', () => {
    const padded = (n) => `${' '.repeat(n - 8)}abcd1234`;
    assert.equal(padded(16 * 2048).length, 16 * 2048);
    assert.deepEqual(parsePastedRedirect(padded(16 * 2048)), { code: 'abcd1234' });
    assert.deepEqual(classifyPasted(padded(16 * 2048)), { kind: 'code', code: 'abcd1234' });
    refusalsAre([
      [() => parsePastedRedirect(padded(16 * 2048 + 1)), 'paste-too-long', { max: 2048 }],
      [() => classifyPasted(padded(16 * 2048 + 1)), 'paste-too-long', { max: 2048 }],
    ]);
  });

  it("classifyPasted's refusals, with their texts", () => {
    for (const nothing of [undefined, 3, '', ' \n ']) refuses(() => classifyPasted(nothing), /^Nothing was pasted\.$/);
    for (const bad of ['x!abcdefgh|abcdefgh', 'abcdefgh|abcdefgh!x', 'abcdefgh|abcdefgh|abcdefgh']) {
      const e = refuses(
        () => classifyPasted(bad),
        /^A refresh token is letters and digits, "\|", letters and digits \(24 and 32 hex digits\)\.$/,
      );
      assert.equal(e.reason, 'refresh-token-shape', bad);
    }
    refuses(
      () => classifyPasted('not a thing!'),
      /^Not recognised: paste the whole address the browser was sent to \(…\?state=…&code=…\), the code alone, or a refresh token \(…\|…\)\.$/,
    );
  });

  it('what follows "#" in an address is not part of its query', () => {
    assert.deepEqual(parsePastedRedirect('http://localhost/?state=s1&code=abcd1234#state=s2'), { code: 'abcd1234', state: 's1' });
    assert.deepEqual(parsePastedRedirect('code=abcd1234#x'), { code: 'abcd1234', state: undefined });
  });
});
