'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/**
 * Every text a user reads comes from nodes/locales/<lang>/; en-US is the reference. For every
 * catalogue and help file in en-US (today's and those added later), French and German must have
 * a twin: the same keys with the same __placeholders__ and markup, the same help structure, and
 * no text left in English by mistake. A translation equal to the English text is an error unless
 * ALLOWED below says why.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const LOCALES = path.join(TEST_ROOT, '..', 'nodes', 'locales');
const REFERENCE = 'en-US';
/** Every language folder is checked; French and German must be there. */
const LANGS = fs
  .readdirSync(LOCALES)
  .filter((d) => d !== REFERENCE && fs.statSync(path.join(LOCALES, d)).isDirectory())
  .sort();

/**
 * Texts that are the same in English and in the translation, on purpose: `<lang>/<file>` -> key -> why.
 * A text made only of placeholders and punctuation needs no entry.
 */
const WHY = {
  term: 'a technical term the community keeps in English (what users search for, what dev.netatmo.com shows)',
  word: 'the same word in this language',
};
const ALLOWED = {
  'fr/netatmo-account.json': {
    'netatmo-account.label.clientId': WHY.term,
    'netatmo-account.label.clientSecret': WHY.term,
    'netatmo-account.label.scope': WHY.term,
    'netatmo-account.label.redirectUri': WHY.term,
    'netatmo-account.label.callback': WHY.term,
    'netatmo-account.editor.time.minutes': 'unit abbreviations, the same in French',
    'netatmo-account.editor.time.hours': 'unit abbreviations, the same in French',
  },
  'de/netatmo-account.json': {
    'netatmo-account.label.name': WHY.word,
    'netatmo-account.label.scope': WHY.term,
    'netatmo-account.label.redirectUri': WHY.term,
    'netatmo-account.label.callback': WHY.term,
    'netatmo-account.editor.status.scopes': WHY.term,
    'netatmo-account.errors.INVALID_INPUT-scopes': WHY.term,
  },
  'de/netatmo-event.json': {
    'netatmo-event.label.name': WHY.word,
  },
  'fr/netatmo-api.json': {
    'netatmo-api.label.endpoint': WHY.term,
  },
  'de/netatmo-api.json': {
    'netatmo-api.label.name': WHY.word,
    'netatmo-api.editor.optional': WHY.word,
  },
  // In help files the key is the paragraph's text.
  'de/netatmo-token.json': {
    'netatmo-token.label.name': WHY.word,
  },
};

const referenceFiles = (ext) =>
  fs
    .readdirSync(path.join(LOCALES, REFERENCE))
    .filter((f) => f.endsWith(ext))
    .sort();

/** { 'a.b.c': 'text' } from nested objects. */
function flatten(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

const placeholders = (s) => [...String(s).matchAll(/__([A-Za-z0-9_]+)__/g)].map((m) => m[1]).sort();
/** Tags with their attributes, except the words a translation changes (title, placeholder...). */
const tags = (s) =>
  [...String(s).matchAll(/<\/?([a-z][a-z0-9]*)([^>]*)>/gi)].map((m) => `<${m[0][1] === '/' ? '/' : ''}${m[1]}${href(m[2])}>`);
const href = (attrs) => (attrs.match(/\shref="[^"]*"/) || [''])[0];
/** Nothing to translate: only placeholders, digits, punctuation and spaces. */
const nothingToTranslate = (s) => !/\p{L}/u.test(String(s).replace(/__[A-Za-z0-9_]+__/g, ''));

function readJson(lang, file) {
  const p = path.join(LOCALES, lang, file);
  if (!fs.existsSync(p)) return undefined;
  return flatten(JSON.parse(fs.readFileSync(p, 'utf8')));
}

/** The help file as a list of its elements and their texts, to compare structure and wording. */
function helpOutline(html) {
  const elements = [...html.matchAll(/<(script|h3|p|dl|dt|dd|ol|ul|li)\b([^>]*)>/gi)].map(
    (m) => `${m[1].toLowerCase()}${(m[2].match(/data-help-name="[^"]*"|class="[^"]*"/g) || []).join(' ')}`,
  );
  const codes = [...html.matchAll(/<code>([\s\S]*?)<\/code>/gi)].map((m) => m[1]).sort();
  const links = [...html.matchAll(/href="([^"]*)"/gi)].map((m) => m[1]).sort();
  // The text of each paragraph, list item and definition, to find one left in English.
  const texts = [...html.matchAll(/<(p|dd|li)\b[^>]*>([\s\S]*?)<\/\1>/gi)]
    .map((m) =>
      m[2]
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((t) => t.length > 0 && !nothingToTranslate(t));
  return { elements, codes, links, texts };
}

describe('Locales: French and German for every English text', function () {
  it('has French and German', function () {
    assert.ok(LANGS.includes('fr') && LANGS.includes('de'), `languages found: ${LANGS.join(', ')}`);
  });

  it('has the en-US catalogues and help files to compare with', function () {
    assert.ok(referenceFiles('.json').length >= 2, 'no catalogues in nodes/locales/en-US');
    assert.ok(referenceFiles('.html').length >= 2, 'no help files in nodes/locales/en-US');
  });

  for (const file of referenceFiles('.json')) {
    const english = readJson(REFERENCE, file);
    for (const lang of LANGS) {
      describe(`${lang}/${file}`, function () {
        const translated = readJson(lang, file);
        const allowed = ALLOWED[`${lang}/${file}`] || {};

        it('exists', function () {
          assert.ok(translated, `nodes/locales/${lang}/${file} is missing: copy it from en-US and translate it`);
        });

        it('has every key of en-US, and none that en-US does not have', function () {
          if (!translated) this.skip();
          const missing = Object.keys(english).filter((k) => !(k in translated));
          const extra = Object.keys(translated).filter((k) => !(k in english));
          assert.deepEqual(missing, [], `keys to translate in ${lang}/${file}:\n  ${missing.join('\n  ')}`);
          assert.deepEqual(extra, [], `keys in ${lang}/${file} that en-US no longer has:\n  ${extra.join('\n  ')}`);
        });

        it('keeps the placeholders and the markup of each text', function () {
          if (!translated) this.skip();
          const wrong = Object.keys(english)
            .filter((k) => k in translated)
            .filter((k) =>
              typeof translated[k] !== 'string' || typeof english[k] !== 'string'
                ? typeof translated[k] !== typeof english[k]
                : placeholders(translated[k]).join() !== placeholders(english[k]).join() ||
                  tags(translated[k]).join() !== tags(english[k]).join(),
            )
            .map((k) => `${k}: ${JSON.stringify(translated[k])} (en-US: ${JSON.stringify(english[k])})`);
          assert.deepEqual(wrong, [], `placeholders or markup differ in ${lang}/${file}:\n  ${wrong.join('\n  ')}`);
        });

        it('leaves no text in English unless the allow-list says why', function () {
          if (!translated) this.skip();
          const same = Object.keys(english).filter(
            (k) => translated[k] === english[k] && !nothingToTranslate(english[k]) && !(k in allowed),
          );
          assert.deepEqual(
            same,
            [],
            `texts still in English in ${lang}/${file} (translate them, or justify them in ALLOWED):\n  ${same.join('\n  ')}`,
          );
          // The allow-list stays honest: an entry whose text was translated since, or whose key is gone, goes.
          const stale = Object.keys(allowed).filter((k) => !(k in english) || translated[k] !== english[k]);
          assert.deepEqual(stale, [], `ALLOWED entries for ${lang}/${file} that no longer apply:\n  ${stale.join('\n  ')}`);
        });
      });
    }
  }

  for (const file of referenceFiles('.html')) {
    const english = helpOutline(fs.readFileSync(path.join(LOCALES, REFERENCE, file), 'utf8'));
    for (const lang of LANGS) {
      describe(`${lang}/${file}`, function () {
        const p = path.join(LOCALES, lang, file);
        const translated = fs.existsSync(p) ? helpOutline(fs.readFileSync(p, 'utf8')) : undefined;

        it('exists', function () {
          assert.ok(translated, `nodes/locales/${lang}/${file} is missing: copy it from en-US and translate it`);
        });

        it('has the same sections, lists, code and links as en-US', function () {
          if (!translated) this.skip();
          assert.deepEqual(translated.elements, english.elements, 'the elements (script, h3, p, dl/dt/dd, ol/li) differ');
          assert.deepEqual(translated.codes, english.codes, 'the <code> pieces differ (they are technical and stay as they are)');
          assert.deepEqual(translated.links, english.links, 'the links differ');
        });

        it('leaves no paragraph in English', function () {
          if (!translated) this.skip();
          const allowed = ALLOWED[`${lang}/${file}`] || {};
          const same = translated.texts.filter((t) => english.texts.includes(t) && !(t in allowed));
          assert.deepEqual(same, [], `paragraphs still in English in ${lang}/${file}:\n  ${same.join('\n  ')}`);
          const stale = Object.keys(allowed).filter((t) => !english.texts.includes(t) || !translated.texts.includes(t));
          assert.deepEqual(stale, [], `ALLOWED entries for ${lang}/${file} that no longer apply:\n  ${stale.join('\n  ')}`);
        });
      });
    }
  }
});
