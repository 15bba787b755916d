/**
 * The English texts of the manager's refusals (the nodes translate them by `reason`; the CLI and the
 * log lines show them as they are). No secret is ever put into one.
 */
import { NetatmoError } from '../shared/errors';
import { reauthReason } from './account-state';
import type { StoredAccount } from './store';

type Invalid = NonNullable<StoredAccount['invalid']>;

/** A throttled re-authorization: repeats the state the account already shows, so it is not logged again. */
export class ThrottledReauthorization extends NetatmoError {
  constructor(invalid: Invalid) {
    super('REAUTHORIZE', invalid.message, { oauthError: invalid.code, reason: reauthReason(invalid) });
  }
}

/** Why Netatmo refused the refresh (`lost`: the last refresh may have rotated the token without telling us). */
export function reauthMessage(e: NetatmoError, lost: boolean): { message: string; reason: string } {
  if (e.code === 'INVALID_CLIENT') {
    return {
      reason: 'client',
      message:
        'Netatmo refused the client id or secret (invalid_client): check them against your app at dev.netatmo.com, deploy, and authorize again',
    };
  }
  if (lost) {
    return {
      reason: 'lost',
      message:
        "Netatmo refused the stored refresh token (invalid_grant). The last refresh may have succeeded on Netatmo's side but its answer was lost; re-authorize the account",
    };
  }
  return {
    reason: 'grant',
    message: 'Netatmo refused the stored refresh token (invalid_grant): the login is no longer valid; re-authorize the account',
  };
}

export function reauthorize(invalid: Invalid, e: NetatmoError): NetatmoError {
  return new NetatmoError('REAUTHORIZE', invalid.message, { oauthError: e.oauthError, status: e.status, reason: invalid.reason });
}

export function notAuthorizedYet(): NetatmoError {
  return new NetatmoError('NOT_AUTHORIZED', 'Not authorized yet: open the account in the editor and click Authorize');
}

export function fileDisappeared(file: string): NetatmoError {
  return new NetatmoError(
    'NOT_AUTHORIZED',
    `The token file ${file} has disappeared (removed outside Node-RED?): open the account in the editor and click Authorize`,
    { reason: 'disappeared', params: { file } },
  );
}

export function noClient(): NetatmoError {
  return new NetatmoError('CONFIG', 'The account has no client id or secret');
}

export function refusedAgain(): NetatmoError {
  return new NetatmoError('API_ERROR', 'Netatmo refused the freshly refreshed access token too: the account tries again later', {
    reason: 'token-refused-again',
  });
}

/** A new pair that Netatmo gave could not be stored: it is kept in memory meanwhile. */
export function keptUnsaved(e: NetatmoError, file: string): NetatmoError {
  return new NetatmoError('STORE', `${e.message}; the new tokens are kept in memory and stored as soon as the file can be written`, {
    reason: 'unsaved',
    params: { file, detail: e.params?.detail ?? e.code },
  });
}

/** The log line of a failure that waits for the user. */
export function failureLine(e: NetatmoError): string {
  return e.code === 'REAUTHORIZE' ? `${e.message}. Open the Netatmo account in the Node-RED editor and click Authorize.` : e.message;
}
