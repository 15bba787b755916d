'use strict';
/**
 * The manager's refusals (src/core/token/refusals.ts), exact: each code, reason (the key of its
 * translation), params and English text, and the log line of a failure that waits for the user.
 */
const assert = require('node:assert/strict');
const { NetatmoError } = require('../../../dist/core/shared/errors');
const r = require('../../../dist/core/token/refusals');

/** The observable fields of an error, for one deepEqual. */
const fields = (e) => ({
  cls: e.constructor.name,
  code: e.code,
  message: e.message,
  reason: e.reason,
  params: e.params,
  oauthError: e.oauthError,
  status: e.status,
});

describe('core: the manager refusals (refusals.ts)', () => {
  it('reauthMessage: client, lost, grant', () => {
    const client = new NetatmoError('INVALID_CLIENT', 'x', { oauthError: 'invalid_client' });
    const grant = new NetatmoError('INVALID_GRANT', 'x', { oauthError: 'invalid_grant' });
    const clientText =
      'Netatmo refused the client id or secret (invalid_client): check them against your app at dev.netatmo.com, deploy, and authorize again';
    assert.deepEqual(r.reauthMessage(client, false), { reason: 'client', message: clientText });
    assert.deepEqual(r.reauthMessage(client, true), { reason: 'client', message: clientText });
    assert.deepEqual(r.reauthMessage(grant, true), {
      reason: 'lost',
      message:
        "Netatmo refused the stored refresh token (invalid_grant). The last refresh may have succeeded on Netatmo's side but its answer was lost; re-authorize the account",
    });
    assert.deepEqual(r.reauthMessage(grant, false), {
      reason: 'grant',
      message: 'Netatmo refused the stored refresh token (invalid_grant): the login is no longer valid; re-authorize the account',
    });
  });

  it('reauthorize and ThrottledReauthorization carry the stored refusal', () => {
    const invalid = { code: 'invalid_grant', message: 'Refused: re-authorize', at: 5, reason: 'lost' };
    const e = new NetatmoError('INVALID_GRANT', 'x', { oauthError: 'invalid_grant', status: 400 });
    assert.deepEqual(fields(r.reauthorize(invalid, e)), {
      cls: 'NetatmoError',
      code: 'REAUTHORIZE',
      message: 'Refused: re-authorize',
      reason: 'lost',
      params: undefined,
      oauthError: 'invalid_grant',
      status: 400,
    });
    const t = new r.ThrottledReauthorization({ code: 'invalid_client', message: 'No client', at: 1 });
    assert.ok(t instanceof NetatmoError);
    assert.deepEqual(fields(t), {
      cls: 'ThrottledReauthorization',
      code: 'REAUTHORIZE',
      message: 'No client',
      reason: 'client',
      params: undefined,
      oauthError: 'invalid_client',
      status: undefined,
    });
    assert.equal(new r.ThrottledReauthorization({ code: 'invalid_grant', message: 'm', at: 1, reason: 'lost' }).reason, 'lost');
  });

  it('notAuthorizedYet, fileDisappeared, noClient, refusedAgain', () => {
    assert.deepEqual(fields(r.notAuthorizedYet()), {
      cls: 'NetatmoError',
      code: 'NOT_AUTHORIZED',
      message: 'Not authorized yet: open the account in the editor and click Authorize',
      reason: undefined,
      params: undefined,
      oauthError: undefined,
      status: undefined,
    });
    assert.deepEqual(fields(r.fileDisappeared('/d/acc1.json')), {
      cls: 'NetatmoError',
      code: 'NOT_AUTHORIZED',
      message:
        'The token file /d/acc1.json has disappeared (removed outside Node-RED?): open the account in the editor and click Authorize',
      reason: 'disappeared',
      params: { file: '/d/acc1.json' },
      oauthError: undefined,
      status: undefined,
    });
    assert.deepEqual(fields(r.noClient()), {
      cls: 'NetatmoError',
      code: 'CONFIG',
      message: 'The account has no client id or secret',
      reason: undefined,
      params: undefined,
      oauthError: undefined,
      status: undefined,
    });
    assert.deepEqual(fields(r.refusedAgain()), {
      cls: 'NetatmoError',
      code: 'API_ERROR',
      message: 'Netatmo refused the freshly refreshed access token too: the account tries again later',
      reason: 'token-refused-again',
      params: undefined,
      oauthError: undefined,
      status: undefined,
    });
  });

  it('keptUnsaved: the store failure, the file, and its detail (or its code)', () => {
    const withDetail = new NetatmoError('STORE', 'Cannot write', { params: { detail: 'EACCES' } });
    assert.deepEqual(fields(r.keptUnsaved(withDetail, '/d/f.json')), {
      cls: 'NetatmoError',
      code: 'STORE',
      message: 'Cannot write; the new tokens are kept in memory and stored as soon as the file can be written',
      reason: 'unsaved',
      params: { file: '/d/f.json', detail: 'EACCES' },
      oauthError: undefined,
      status: undefined,
    });
    const bare = new NetatmoError('TIMEOUT', 'Lock');
    assert.deepEqual(r.keptUnsaved(bare, 'f').params, { file: 'f', detail: 'TIMEOUT' });
    const otherParams = new NetatmoError('STORE', 'm', { params: { file: 'x' } });
    assert.deepEqual(r.keptUnsaved(otherParams, 'f').params, { file: 'f', detail: 'STORE' });
  });

  it('failureLine: a re-authorization says where to click; anything else is its message', () => {
    assert.equal(
      r.failureLine(new NetatmoError('REAUTHORIZE', 'Refused')),
      'Refused. Open the Netatmo account in the Node-RED editor and click Authorize.',
    );
    assert.equal(r.failureLine(new NetatmoError('CONFIG', 'No client')), 'No client');
  });
});
