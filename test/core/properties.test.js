'use strict';
/**
 * Property-based tests (fast-check) of every parser of outside text: message parameters and
 * endpoints, pasted text, callback queries, token and API answers, request headers, and the
 * translation step every localized text passes. Thousands of generated inputs each, biased towards
 * what attacks are made of (`$t(`, `{{`, `__proto__`, huge and nested values): each ends in a result
 * or a NetatmoError with a code, never another throw, and none takes more than 50 ms.
 */
const assert = require('node:assert/strict');
const fc = require('fast-check');
const i18next = require('i18next');
const { NetatmoError } = require('../../dist/core/shared/errors');
const { prepareCall, parseApiResponse } = require('../../dist/core/api/client');
const { parseTokenResponse } = require('../../dist/core/token/oauth');
const { checkCode } = require('../../dist/core/shared/validate');
const { classifyPasted, parsePastedRedirect } = require('../../dist/core/token/paste');
const { authorizeStates } = require('../../dist/nodes/authorize-state');
const { crossSiteReason } = require('../../dist/nodes/request-guard');
const { translatorOf } = require('../../dist/nodes/i18n');

const RUNS = Number(process.env.PROPERTY_RUNS) || 2000;
const LIMIT_MS = 50;

/** Pieces attacks are made of, mixed with any text. */
const PIECES = [
  '$t(',
  '$t($t(',
  ')',
  '(',
  '{{',
  '}}',
  '__',
  '__proto__',
  'constructor',
  'prototype',
  '"',
  "'",
  ',',
  '|',
  '%7C',
  '%',
  '?',
  '&',
  '=',
  '://',
  '#',
];
const WORDS = ['access_token', 'ACCESS_TOKEN', 'state=', 'code=', 'error=', 'home_id', 'homestatus', '/api/', 'http://', 'a'.repeat(64)];
/** Huge texts: up to `max` characters (HTTP headers cannot be longer than Node's 16 KB). */
const huge = (max) =>
  fc
    .tuple(fc.constantFrom('$t(', 'a', '{{', '(', '%7C'), fc.integer({ min: 1000, max }))
    .map(([s, n]) => s.repeat(Math.ceil(n / s.length)));
const pieces = (maxHuge) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(fc.oneof(fc.constantFrom(...PIECES, ...WORDS), fc.string({ maxLength: 12 })), { maxLength: 40 })
        .map((a) => a.join('')),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 300, unit: 'binary' }) },
    { weight: 1, arbitrary: huge(maxHuge) },
  );
const hostile = pieces(500_000);
/** Objects as JSON.parse makes them: `__proto__` an own key, nested values. */
const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc
    .dictionary(fc.oneof(hostile, fc.constantFrom('__proto__', 'constructor', 'Access_Token', 'home_id')), fc.jsonValue({ maxDepth: 4 }), {
      maxKeys: 8,
    })
    .map((o) => JSON.parse(JSON.stringify(o).replace(/"(constructor|proto)"/g, '"__proto__"'))),
);
const anything = fc.oneof(hostile, jsonish, fc.constantFrom(undefined, null, 0, NaN, true, [], {}));

/** ms `fn` took; a slow run is timed once more, so that a garbage collection on a loaded machine is not taken for a slow parser. */
function timed(fn) {
  for (let attempt = 0; ; attempt++) {
    const t0 = performance.now();
    fn();
    const ms = performance.now() - t0;
    if (ms <= LIMIT_MS || attempt === 1) return ms;
  }
}

/** Runs `fn`: a result, or a NetatmoError with a code; within LIMIT_MS. */
function settles(fn) {
  const ms = timed(() => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof NetatmoError) || typeof err.code !== 'string') throw new Error(`not a NetatmoError: ${err?.stack ?? err}`);
    }
  });
  if (ms > LIMIT_MS) throw new Error(`took ${ms.toFixed(1)} ms`);
}

const property = (arbs, fn) => fc.assert(fc.property(...arbs, fn), { numRuns: RUNS });
const response = (body, status = 200) => ({ status, headers: { 'content-type': 'application/json' }, body });
const bodies = fc.oneof(
  hostile,
  jsonish.map((v) => JSON.stringify(v) ?? ''),
  jsonish.map((v) => JSON.stringify({ body: v, status: 'ok', error: v })),
);

describe(`properties: every parser of outside text (${RUNS} inputs each)`, function () {
  this.timeout(300000);

  it('prepareCall (msg.endpoint, msg.payload, the fixed parameters)', () => {
    property(
      [
        fc.oneof(hostile, fc.constantFrom('homestatus', 'setstate', '/api/x', 'getmeasure')),
        fc.constantFrom('auto', 'GET', 'POST'),
        anything,
        anything,
      ],
      (e, m, a, b) => settles(() => prepareCall(e, m, a, b)),
    );
  });

  it('classifyPasted and parsePastedRedirect (the paste box)', () => {
    const urls = fc.tuple(hostile, hostile, hostile).map(([s, c, e]) => `http://localhost/?state=${s}&code=${c}&error=${e}`);
    property([fc.oneof(hostile, urls, anything)], (t) => {
      settles(() => classifyPasted(t));
      settles(() => parsePastedRedirect(t));
    });
  });

  it('the callback query: checkCode and the state lookup', () => {
    property([anything, anything], (code, state) => {
      settles(() => checkCode(code));
      settles(() => authorizeStates.peek(state));
    });
  });

  it('parseTokenResponse (the token endpoint answer, any status)', () => {
    property([bodies, fc.constantFrom(200, 400, 401, 429, 500, 302)], (body, status) =>
      settles(() => parseTokenResponse(response(body, status), Date.now())),
    );
  });

  it('parseApiResponse (an API answer, any status)', () => {
    const call = prepareCall('homesdata', 'auto');
    property([bodies, fc.constantFrom(200, 400, 403, 429, 500)], (body, status) =>
      settles(() => parseApiResponse(response(body, status), call, '0123456789abcdef01234567|0123456789abcdef0123456789abcdef')),
    );
  });

  it('crossSiteReason (request headers)', () => {
    const headers = fc.dictionary(
      fc.constantFrom('origin', 'host', 'x-forwarded-host', 'sec-fetch-site'),
      fc.oneof(hostile, fc.array(hostile, { maxLength: 3 })),
    );
    property([fc.oneof(hostile, fc.constant('application/json')), headers, fc.boolean()], (type, h, trusted) =>
      settles(() => crossSiteReason(type, h, trusted)),
    );
  });

  it("translatorOf with Node-RED's i18next set-up: any value is shown exactly as it came, in under 50 ms", async () => {
    const i18n = i18next.createInstance();
    await i18n.init({
      lng: 'en',
      showSupportNotice: false,
      resources: { en: { translation: { k: 'Unknown endpoint: __name__ (__other__)', n: 'x $t(k) __name__' } } },
      interpolation: { unescapeSuffix: 'HTML', escapeValue: false, prefix: '__', suffix: '__' },
    });
    const tr = translatorOf({ _: (key, options) => i18n.t(key, options) });
    property([hostile, hostile], (name, other) => {
      let text;
      const ms = timed(() => (text = tr('k', { name, other })));
      assert.equal(text, `Unknown endpoint: ${name} (${other})`);
      assert.ok(ms <= LIMIT_MS, `took ${ms.toFixed(1)} ms`);
    });
  });
});
