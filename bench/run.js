#!/usr/bin/env node
'use strict';
/**
 * Benchmarks of the package's nodes in a real, embedded Node-RED 4 runtime, against the Netatmo
 * simulator (test/simulator/simulator.js, on 127.0.0.1; nothing talks to api.netatmo.com); the
 * events cases drive a Node-RED process over HTTP instead (bench/events/_webhook.js).
 *
 *   npm run bench                   every case          (npm run build first: prebench does it)
 *   npm run bench -- stampede       one case (its file name, or story/name: token/stampede)
 *   npm run bench -- api --quick    one story; --quick: same cases, smaller counts
 *
 * A case is a file `bench/<story>/<name>.js` (files starting with "_" are the story's shared
 * set-up) exporting { order, run, rows, summary }: `run()` measures in a runtime of its own and
 * resolves to its figures; `rows(figures)` are its lines of the table; `summary(figures)` its keys
 * in the last JSON line. Adding a case is adding a file. Each case runs in a child process of its
 * own (Node-RED starts once per process; forced GCs need --expose-gc). The runner prints a table,
 * then as its LAST line one JSON object with the key figures. A target that is missed is reported
 * (MISS), never thrown.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { failedRows, printTable } = require('./lib/report');
const { redModule } = require('../test/helpers/nodered');

const NOT_STORIES = new Set(['lib', 'nodes']);

/** Every case: [{ id: 'story/name', file }], in the order of their `order`. */
function listCases() {
  const cases = [];
  for (const story of fs.readdirSync(__dirname, { withFileTypes: true })) {
    if (!story.isDirectory() || NOT_STORIES.has(story.name)) continue;
    for (const f of fs.readdirSync(path.join(__dirname, story.name))) {
      if (!f.endsWith('.js') || f.startsWith('_')) continue;
      const file = path.join(__dirname, story.name, f);
      cases.push({ id: `${story.name}/${f.slice(0, -3)}`, file, order: require(file).order ?? 1e9 });
    }
  }
  return cases.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/** In the child: runs one case and prints its figures as the last line. */
async function runOne(file) {
  if (typeof global.gc !== 'function') throw new Error('bench: a case needs node --expose-gc');
  const figures = await require(file).run();
  console.log(JSON.stringify(figures));
}

function inChild(c, quick) {
  const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--case', c.file, ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    timeout: 300_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = String(r.stdout || '')
    .trim()
    .split('\n');
  // What the case's runtime logged (Node-RED's warnings) stays visible, as before the split.
  if (lines.length > 1) process.stdout.write(`${lines.slice(0, -1).join('\n')}\n`);
  if (r.stderr) process.stderr.write(r.stderr);
  try {
    return JSON.parse(lines.pop());
  } catch {
    const out = String(r.stderr || r.stdout || '');
    const why = out.split('\n').find((l) => /Error\b/.test(l)) ?? out.slice(-300);
    return { error: `exit ${r.status ?? r.signal}: ${why.trim()}` };
  }
}

/** Merges the cases' summaries; an object value (api: {...}) is merged one level down. */
function mergeSummary(into, part) {
  for (const [k, v] of Object.entries(part)) into[k] = v && typeof v === 'object' && !Array.isArray(v) ? { ...into[k], ...v } : v;
}

function main(argv) {
  const quick = argv.includes('--quick');
  const wanted = argv.filter((a) => !a.startsWith('--'));
  const all = listCases();
  const cases = wanted.length
    ? all.filter((c) => wanted.some((w) => c.id === w || c.id.endsWith(`/${w}`) || c.id.startsWith(`${w}/`)))
    : all;
  if (!cases.length) {
    console.error(`bench: no case named ${wanted.join(', ')}; the cases: ${all.map((c) => c.id).join(', ')}`);
    return 2;
  }
  const t0 = Date.now();
  const rows = [];
  const summary = {};
  const errors = [];
  let errorCount = 0;
  for (const c of cases) {
    process.stderr.write(`bench: ${c.id}\n`);
    const figures = inChild(c, quick);
    const mod = require(c.file);
    if (figures.error) rows.push(...failedRows(`${mod.order} ${c.id}`, figures));
    else rows.push(...mod.rows(figures));
    mergeSummary(summary, figures.error ? { [c.id]: figures } : mod.summary(figures));
    // The api cases count their own (their rows say so); the token cases' errors are summed here.
    if (!c.id.startsWith('api/') && typeof figures.errors === 'number') {
      errorCount += figures.errors;
      errors.push(...(figures.first_errors ?? []));
    }
  }
  rows.push(['', 'messages that ended in an error (token cases)', errorCount, '', '']);
  const RED = require(redModule());
  printTable(rows, {
    nodeRed: typeof RED.version === 'function' ? RED.version() : RED.version,
    quick,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
  });
  if (errors.length) console.log(`errors (first 3): ${errors.slice(0, 3).join(' | ')}`);
  console.log(JSON.stringify(summary));
  return 0;
}

const at = process.argv.indexOf('--case');
if (at > 0) {
  runOne(process.argv[at + 1]).then(
    // Node-RED may keep a handle or two; the figures are printed, so leave now.
    () => setTimeout(() => process.exit(0), 500).unref(),
    (err) => {
      console.error(err && err.stack ? err.stack : err);
      process.exit(1);
    },
  );
} else {
  process.exitCode = main(process.argv.slice(2));
}
