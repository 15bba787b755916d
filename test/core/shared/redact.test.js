'use strict';
/**
 * The redactor of the core and the tests' own secret grep: both find a token whole, URL-encoded
 * (`|` as `%7C`) and in part (12 characters in a row), so a leak in any of these forms fails.
 */
const assert = require('node:assert/strict');
const { Redactor, redact, debugEnabled, REDACT_PART, REDACT_MAX_SECRETS } = require('../../../dist/core/shared/redact');
const { findSecrets, leakOf } = require('../../helpers/secrets');

// Shaped as Netatmo's tokens: hex, a bar, hex.
const TOKEN = '5c8a9e0f1b2c3d4e5f607182|0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const OTHER = '6d9bafe0c1d2e3f405162738|1f2e3d4c5b6a79880716253443526170';

describe('core: Redactor', () => {
  const redactor = () => {
    const r = new Redactor();
    r.add(TOKEN, OTHER);
    return r;
  };

  it('redact keeps 4 characters; nothing is (none)', () => {
    assert.equal(redact(TOKEN), '5c8a…');
    assert.equal(redact(undefined), '(none)');
    assert.equal(redact(null), '(none)');
    assert.equal(redact(''), '(none)');
  });

  it('scrubs a known secret whole, everywhere in a line, and leaves other text as it was', () => {
    const r = redactor();
    assert.equal(r.scrub(`a ${TOKEN} b ${TOKEN}`), 'a 5c8a… b 5c8a…');
    assert.equal(r.scrub(`${OTHER}`), '6d9b…');
    assert.equal(r.scrub('nothing secret here, 0123456789abcdef'), 'nothing secret here, 0123456789abcdef');
    assert.equal(r.scrub(''), '');
  });

  it('scrubs a secret URL-encoded, upper or lower case', () => {
    const r = redactor();
    const upper = encodeURIComponent(TOKEN);
    assert.ok(upper.includes('%7C'));
    assert.equal(r.scrub(`refresh_token=${upper}&x=1`), 'refresh_token=5c8a…&x=1');
    assert.equal(r.scrub(`refresh_token=${upper.replace('%7C', '%7c')}&x=1`), 'refresh_token=5c8a…&x=1');
  });

  it(`scrubs any ${REDACT_PART} characters in a row of a secret, and keeps ${REDACT_PART - 1}`, () => {
    const r = redactor();
    const middle = TOKEN.slice(10, 10 + REDACT_PART);
    assert.equal(r.scrub(`x ${middle} y`), `x ${middle.slice(0, 4)}… y`);
    const longer = TOKEN.slice(3, 40);
    assert.equal(r.scrub(`[${longer}]`), `[${longer.slice(0, 4)}…]`);
    assert.equal(r.scrub(longer), `${longer.slice(0, 4)}…`, 'a part at both ends of the text');
    const short = TOKEN.slice(10, 10 + REDACT_PART - 1);
    assert.equal(r.scrub(`x ${short} y`), `x ${short} y`);
    // Two parts of two secrets in one line, and the encoded form cut in two.
    const a = TOKEN.slice(0, 20);
    const b = OTHER.slice(30);
    assert.equal(r.scrub(`x ${a} and ${b}.`), `x ${a.slice(0, 4)}… and ${b.slice(0, 4)}….`);
    const enc = encodeURIComponent(TOKEN).slice(15, 40);
    assert.equal(r.scrub(`q=${enc}`), `q=${enc.slice(0, 4)}…`);
    // Two parts side by side make one run.
    assert.equal(r.scrub(`${TOKEN.slice(0, 12)}${OTHER.slice(0, 12)}!`), `${TOKEN.slice(0, 4)}…!`);
  });

  it('ignores empty and short values; a secret of 6 to 11 characters is scrubbed whole only', () => {
    const r = new Redactor();
    r.add(undefined, null, '', 'short', '123456', 'abcdefghijk');
    assert.equal(r.scrub('short 12345 stays'), 'short 12345 stays');
    assert.equal(r.scrub('x123456x abcdefghijk abcdefghij'), 'x1234…x abcd… abcdefghij');
  });

  it(`remembers the last ${REDACT_MAX_SECRETS} secrets (a long-running process does not grow without end)`, () => {
    const r = new Redactor();
    const first = `first-${TOKEN}`;
    r.add(first);
    r.add(first); // again: no second place
    const many = Array.from({ length: REDACT_MAX_SECRETS - 1 }, (_, i) => `${String(i).padStart(4, '0')}-${OTHER}`);
    r.add(...many);
    assert.equal(r.scrub(first), 'firs…', 'still among the last ones');
    r.add(`last-${OTHER}`);
    // The first one is forgotten: only the parts it shares with newer secrets are still scrubbed.
    assert.equal(r.scrub(`first-${TOKEN.slice(0, 12)}`), `first-${TOKEN.slice(0, 12)}`);
    assert.equal(r.scrub(`last-${OTHER}`), 'last…');
    assert.equal(r.scrub(many[0]), '0000…');
  });

  it('debugEnabled reads NA_DEBUG as the seed script does', () => {
    for (const on of ['1', 'true', 'TRUE', ' yes ', 'on']) assert.equal(debugEnabled(on), true, on);
    for (const off of [undefined, '', '0', 'false', 'no', 'off', 'yes please', 'turn on'])
      assert.equal(debugEnabled(off), false, String(off));
  });
});

describe("tests' secret grep (helpers/secrets.js)", () => {
  it('finds a secret whole, URL-encoded and in part, and nothing in clean text', () => {
    assert.equal(leakOf(`x ${TOKEN} y`, TOKEN), 'whole');
    assert.equal(leakOf(`x=${encodeURIComponent(TOKEN)}`, TOKEN), 'encoded');
    assert.equal(leakOf(`x=${encodeURIComponent(TOKEN).toLowerCase()}`, TOKEN), 'encoded');
    assert.equal(leakOf(`x ${TOKEN.slice(5, 17)} y`, TOKEN), 'part');
    assert.equal(leakOf(`x ${encodeURIComponent(TOKEN).slice(20, 32)} y`, TOKEN), 'part');
    assert.equal(leakOf(`x ${TOKEN.slice(5, 16)} y`, TOKEN), undefined);
    assert.equal(leakOf(`x ${redact(TOKEN)} y`, TOKEN), undefined);
    // A part shared with a text known not to be secret (a client id) is no leak; the rest still is.
    assert.equal(leakOf('id test-client-id', 'test-client-secret-0123', ['test-client-id']), undefined);
    assert.equal(leakOf('x ient-secret-0', 'test-client-secret-0123', ['test-client-id']), 'part');
    assert.deepEqual(findSecrets(`a ${TOKEN.slice(0, 20)} b ${encodeURIComponent(OTHER)}`, [TOKEN, OTHER, TOKEN, 'short']), [
      '5c8a… (part)',
      '6d9b… (encoded)',
    ]);
    assert.deepEqual(findSecrets(redactor().scrub(`a ${TOKEN.slice(0, 20)} b ${encodeURIComponent(OTHER)}`), [TOKEN, OTHER]), []);
  });

  function redactor() {
    const r = new Redactor();
    r.add(TOKEN, OTHER);
    return r;
  }
});

describe('core: Redactor, exactly', () => {
  it('a part at the very start of a line and another further on: two runs, each scrubbed', () => {
    const r = new Redactor();
    r.add(TOKEN, OTHER);
    const a = TOKEN.slice(0, REDACT_PART);
    const b = OTHER.slice(5, 5 + REDACT_PART);
    assert.equal(r.scrub(`${a} gap ${b}`), `${a.slice(0, 4)}… gap ${b.slice(0, 4)}…`);
    assert.equal(r.scrub(`${a} gap ${b} end`), `${a.slice(0, 4)}… gap ${b.slice(0, 4)}… end`);
    const last = TOKEN.slice(-REDACT_PART);
    assert.equal(r.scrub(`[${last}]`), `[${last.slice(0, 4)}…]`, "the secret's last slice is known too");
  });
});
