'use strict';
const TEST_ROOT = require('node:path').join(__dirname, '..'); // test/
/**
 * Release checks: the packed tarball installed into a fresh Node-RED userDir and started as a
 * real process, and the Node-RED scorecard's checks (node-red-dev validate needs the catalogue,
 * which these machines cannot reach) over package.json and the tarball.
 */
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed } = require('../helpers/nodered');

const ROOT = path.resolve(TEST_ROOT, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const semver = require(require.resolve('semver', { paths: [path.dirname(require.resolve('node-red/package.json'))] }));
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed package', function () {
  this.timeout(120000);
  let work;
  let tarball;
  let files;

  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netatmo-pack-'));
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], ROOT));
    tarball = path.join(work, packed.filename);
    files = packed.files.map((f) => f.path).sort();
    console.log(`      tarball ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${files.length} files`);
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it('ships only what Node-RED needs: no tests, sources, maps or secrets', () => {
    for (const f of files) {
      assert.match(
        f,
        /^(dist\/(core|nodes|cli)\/([\w-]+\/)*[\w-]+\.js|nodes\/.+\.(js|html|json|svg)|resources\/[\w-]+\.(js|css)|examples\/.+\.json|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/,
        f,
      );
    }
    for (const must of [
      'nodes/netatmo-account.js',
      'nodes/netatmo-token.html',
      'dist/nodes/netatmo-token.js',
      'dist/nodes/netatmo-api.js',
      'dist/core/api/history.js',
      'examples/netatmo-weather-history-dashboard.json',
      'nodes/netatmo-api.html',
      'resources/netatmo-account.js', // the dialog's script and styles, served at resources/<package>/
      'resources/netatmo-account.css',
      'resources/netatmo-token.js',
      'nodes/icons/netatmo-token.svg', // copied from icons/ by the build
      'nodes/icons/netatmo-api.svg',
      'LICENSE',
    ]) {
      assert.ok(files.includes(must), `missing ${must}`);
    }
  });

  describe('installed from the tarball into a fresh userDir', () => {
    let red;
    before(async () => {
      const userDir = path.join(work, 'userdir');
      fs.mkdirSync(userDir);
      fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'nr-userdir', version: '0.0.1', private: true }));
      npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], userDir);
      red = await startNodeRed({ userDir, installed: true, keepUserDir: true });
      await red.waitForLog(/Started flows|Starting flows/);
    });
    after(() => red && red.stop());

    it('runs the Node-RED line under test', async () => {
      const settings = await (await fetch(`${red.adminUrl}settings`)).json();
      const expected = require(`${process.env.NODE_RED_MODULE || 'node-red'}/package.json`).version;
      console.log(`      Node-RED ${settings.version} on Node.js ${process.version}`);
      assert.equal(settings.version.replace(/-git$/, ''), expected);
    });

    it('registers the node types', async () => {
      const res = await fetch(`${red.adminUrl}nodes`, { headers: { Accept: 'application/json' } });
      const sets = await res.json();
      const ours = sets.filter((s) => s.module === pkg.name);
      assert.deepEqual(ours.flatMap((s) => s.types).sort(), ['netatmo-account', 'netatmo-api', 'netatmo-event', 'netatmo-token']);
      for (const s of ours) assert.equal(s.enabled, true, `${s.id} enabled`);
      for (const s of ours) assert.equal(s.err, undefined, `${s.id} loaded without error`);
    });

    it('serves the editor HTML of the nodes', async () => {
      const html = await (await fetch(`${red.adminUrl}nodes`, { headers: { Accept: 'text/html' } })).text();
      assert.match(html, /data-template-name="netatmo-account"/);
      assert.match(html, /data-template-name="netatmo-token"/);
      assert.match(html, /data-help-name="netatmo-token"/);
      assert.match(html, /data-template-name="netatmo-api"/);
      assert.match(html, /data-help-name="netatmo-api"/);
    });

    it("serves the dialogs' scripts and styles from the package's resources folder, where the HTML loads them", async () => {
      const html = await (await fetch(`${red.adminUrl}nodes`, { headers: { Accept: 'text/html' } })).text();
      const wanted = [...html.matchAll(/(?:src|href)="(resources\/[^"]+)"/g)]
        .map((m) => m[1])
        .filter((u) => u.startsWith(`resources/${pkg.name}/`));
      assert.ok(wanted.includes(`resources/${pkg.name}/netatmo-account.js`), wanted.join(' '));
      assert.ok(wanted.includes(`resources/${pkg.name}/netatmo-account.css`), wanted.join(' '));
      for (const url of wanted) {
        const res = await fetch(`${red.adminUrl}${url}`);
        assert.equal(res.status, 200, url);
        assert.ok((await res.text()).length > 100, url);
      }
    });

    it('lists every example flow under Import > Examples', async () => {
      const res = await fetch(`${red.adminUrl}library/examples/flows/${pkg.name}/`);
      assert.equal(res.status, 200);
      const listing = await res.json();
      for (const name of fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'))) {
        assert.ok(JSON.stringify(listing).includes(name.replace(/\.json$/, '')), `${name}: ${JSON.stringify(listing)}`);
      }
    });

    it('serves an icon of its own for each node', async () => {
      const served = [];
      const icons = ['netatmo-token.svg', 'netatmo-api.svg', 'netatmo-event.svg'];
      for (const icon of icons) {
        const res = await fetch(`${red.adminUrl}icons/${pkg.name}/${icon}`);
        assert.equal(res.status, 200);
        // Node-RED answers a default icon for unknown names: compare with ours.
        served.push(await res.text());
        assert.equal(served.at(-1), fs.readFileSync(path.join(ROOT, 'icons', icon), 'utf8'), icon);
      }
      assert.equal(new Set(served).size, icons.length, 'the token, api and event nodes have different icons');
    });

    it('logs no warning or error about the module', () => {
      const bad = red.logs.filter((l) => /\[(warn|error)\]/.test(l) && /netatmo/i.test(l));
      assert.deepEqual(bad, []);
    });
  });
});

describe('Node-RED scorecard checks (as node-red-dev validate would)', () => {
  const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));

  it('P01 has a licence', () => {
    assert.equal(pkg.license, 'Apache-2.0');
    assert.ok(fs.existsSync(path.join(ROOT, 'LICENSE')));
  });
  it('P03 has a repository and a bugs URL', () => {
    assert.match(pkg.repository.url, /^git\+https:\/\//);
    assert.match(pkg.bugs.url, /^https:\/\//);
  });
  it('P05 has the node-red keyword', () => assert.ok(pkg.keywords.includes('node-red')));
  it('P06 node-red.version admits the current (5.x) and maintenance (4.x) lines', () => {
    assert.ok(semver.satisfies('4.1.15', pkg['node-red'].version));
    assert.ok(semver.satisfies('5.0.7', pkg['node-red'].version));
  });
  it("P07 engines.node admits Node-RED 5's minimum (22.9) and the 4.x line's (18)", () => {
    assert.ok(semver.satisfies('22.9.0', pkg.engines.node));
    assert.ok(semver.satisfies('18.20.0', pkg.engines.node));
  });
  it('N01 node type names are unique and not core types', () => {
    const types = Object.keys(pkg['node-red'].nodes);
    assert.equal(new Set(types).size, types.length);
    const core = ['inject', 'debug', 'function', 'change', 'http request', 'mqtt-broker'];
    for (const t of types) assert.ok(!core.includes(t) && /^netatmo-/.test(t), t);
  });
  it('N02 the examples use every non-config node', () => {
    const used = new Set(examples.flatMap((f) => JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8')).map((n) => n.type)));
    assert.ok(used.has('netatmo-token'));
    assert.ok(used.has('netatmo-api'));
    assert.ok(used.has('netatmo-event'));
  });
  it('D01 at most 6 runtime dependencies', () => assert.ok(Object.keys(pkg.dependencies).length <= 6));
  it('D03 no runtime dependency outdated by a major version', function () {
    let latest;
    for (const [name, range] of Object.entries(pkg.dependencies)) {
      try {
        latest = npm(['view', name, 'version']).trim();
      } catch {
        this.skip(); // the registry is not reachable from here
      }
      assert.ok(
        semver.satisfies(latest, range) || semver.major(latest) === semver.minVersion(range).major,
        `${name} ${range} vs ${latest}`,
      );
    }
  });
});
