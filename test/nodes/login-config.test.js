'use strict';
/** resolveLogin: the dialog's fields over the deployed account, and where the saved secret may go. */
const assert = require('node:assert/strict');
const { resolveLogin, sameClient, SAVED_PASSWORD } = require('../../dist/nodes/login-config');

const DEFAULT_BASE = 'https://api.netatmo.com';
const saved = {
  clientId: 'saved-client',
  clientSecret: 'saved-secret-123',
  scope: 'read_station read_thermostat',
  redirectUri: 'http://localhost/',
  apiBase: 'http://127.0.0.1:9/',
};

describe('login config: what a login from the editor uses', () => {
  it('the saved secret only goes to the saved client id and API base; a typed one may go anywhere (table)', () => {
    const rows = [
      // [body, saved?, expected clientId/secret/apiBase or the error code]
      [{}, saved, { clientId: 'saved-client', clientSecret: 'saved-secret-123', apiBase: 'http://127.0.0.1:9' }],
      [{ clientSecret: SAVED_PASSWORD }, saved, { clientId: 'saved-client', clientSecret: 'saved-secret-123' }],
      [{ clientId: 'saved-client', clientSecret: SAVED_PASSWORD }, saved, { clientSecret: 'saved-secret-123' }],
      [{ clientId: 'other-client' }, saved, 'CONFIG'],
      [{ clientId: 'other-client', clientSecret: SAVED_PASSWORD }, saved, 'CONFIG'],
      [{ apiBase: 'http://evil.example' }, saved, 'CONFIG'],
      [{ apiBase: 'http://127.0.0.1:9///' }, saved, { clientSecret: 'saved-secret-123', apiBase: 'http://127.0.0.1:9' }],
      [{ clientId: 'other-client', clientSecret: 'typed-secret-1' }, saved, { clientId: 'other-client', clientSecret: 'typed-secret-1' }],
      [{ apiBase: 'http://evil.example', clientSecret: 'typed-secret-1' }, saved, { apiBase: 'http://evil.example' }],
      [{ clientId: 'new-client', clientSecret: 'typed-secret-1' }, undefined, { clientId: 'new-client', apiBase: DEFAULT_BASE }],
      [{ clientId: 'new-client' }, undefined, 'CONFIG'],
      [{ clientSecret: 'typed-secret-1' }, undefined, 'CONFIG'],
      [{}, { ...saved, clientSecret: undefined }, 'CONFIG'],
      [{ clientId: 'bad id!', clientSecret: 'typed-secret-1' }, undefined, 'INVALID_INPUT'],
      [{ clientId: 'new-client', clientSecret: 'x'.repeat(257) }, undefined, 'INVALID_INPUT'],
      [{ apiBase: 'ftp://x', clientSecret: 'typed-secret-1' }, saved, 'INVALID_INPUT'],
    ];
    for (const [body, account, expected] of rows) {
      const what = `${JSON.stringify(body)} over ${account ? 'a deployed account' : 'nothing'}`;
      if (typeof expected === 'string') {
        assert.throws(
          () => resolveLogin(body, account, DEFAULT_BASE),
          (e) => e.code === expected,
          what,
        );
      } else {
        const got = resolveLogin(body, account, DEFAULT_BASE);
        for (const [k, v] of Object.entries(expected)) assert.equal(got[k], v, `${what}: ${k}`);
      }
    }
  });

  it('a field present in the dialog wins, even empty; a missing one comes from the account, then the defaults', () => {
    assert.equal(resolveLogin({}, saved, DEFAULT_BASE).scope, 'read_station read_thermostat');
    assert.equal(resolveLogin({ scope: 'read_camera, read_camera' }, saved, DEFAULT_BASE).scope, 'read_camera');
    assert.equal(resolveLogin({ scope: '' }, saved, DEFAULT_BASE).scope, 'read_station');
    assert.equal(resolveLogin({}, saved, DEFAULT_BASE).redirectUri, 'http://localhost/');
    assert.equal(resolveLogin({ redirectUri: '' }, saved, DEFAULT_BASE).redirectUri, undefined);
    assert.equal(resolveLogin({ redirectUri: ' http://x:1880/cb/ ' }, saved, DEFAULT_BASE).redirectUri, 'http://x:1880/cb/');
    assert.throws(
      () => resolveLogin({ scope: 'read station!' }, saved, DEFAULT_BASE),
      (e) => e.code === 'INVALID_INPUT',
    );
    assert.throws(
      () => resolveLogin({ redirectUri: 'javascript:alert(1)' }, saved, DEFAULT_BASE),
      (e) => e.code === 'INVALID_INPUT',
    );
    const fresh = resolveLogin({ clientId: 'new-client', clientSecret: 'typed-secret-1' }, undefined, DEFAULT_BASE);
    assert.equal(fresh.scope, 'read_station');
    assert.equal(fresh.redirectUri, undefined);
  });

  it('sameClient: the deployed account runs this login only with the same id, secret and server', () => {
    const cfg = { clientId: 'saved-client', clientSecret: 'saved-secret-123', apiBase: 'http://127.0.0.1:9' };
    assert.equal(sameClient(saved, cfg), true);
    assert.equal(sameClient(saved, { ...cfg, clientSecret: 'other-secret-1' }), false);
    assert.equal(sameClient(saved, { ...cfg, clientId: 'x-client' }), false);
    assert.equal(sameClient(saved, { ...cfg, apiBase: 'http://127.0.0.1:10' }), false);
  });
});
