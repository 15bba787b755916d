'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/**
 * The README's first screen (issue 23): what a newcomer reads before scrolling says what the package
 * does, names every node, shows the shortest way to a first reading and offers the offline demo; the
 * list of example flows is the examples/ folder, no more, no less.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(TEST_ROOT, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const pkg = require('../../package.json');
/** About one screen of a rendered README on a laptop. */
const FIRST_SCREEN = README.split('\n').slice(0, 45).join('\n');

function section(title) {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

describe("the README's first screen", () => {
  it('names every node the package registers', () => {
    for (const type of Object.keys(pkg['node-red'].nodes)) assert.ok(FIRST_SCREEN.includes(`\`${type}\``), type);
  });

  it('says what it does: tokens, API calls with a rate budget, events', () => {
    assert.match(FIRST_SCREEN, /Tokens that look after themselves/);
    assert.match(FIRST_SCREEN, /rate budget/);
    assert.match(FIRST_SCREEN, /Events/);
  });

  it('shows the shortest way to a first reading and offers the offline demo', () => {
    assert.match(FIRST_SCREEN, /inject → Netatmo API → debug/);
    assert.match(FIRST_SCREEN, /getstationsdata/);
    assert.match(FIRST_SCREEN, /npm start/);
    assert.match(FIRST_SCREEN, /accepts any\s+client id/);
  });

  it('lists every example flow, and only those', () => {
    const listed = [...section('Example flows').matchAll(/^- \*([\w-]+)\*/gm)].map((m) => m[1]).sort();
    const present = fs
      .readdirSync(path.join(ROOT, 'examples'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''))
      .sort();
    assert.deepEqual(listed, present);
  });

  it("package.json's description speaks of the tokens and of the API calls", () => {
    assert.match(pkg.description, /token/i);
    assert.match(pkg.description, /API calls/);
    for (const k of ['node-red', 'netatmo', 'api', 'weather station', 'thermostat']) assert.ok(pkg.keywords.includes(k), k);
  });
});
