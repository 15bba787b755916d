import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import type { AccountState, TokenManager } from '../core/manager';
import { OAuthClient } from '../core/oauth';
import { TokenStore } from '../core/store';
import { checkClientId, checkClientSecret } from '../core/validate';

/**
 * What the account node and the admin routes both build from Node-RED's runtime: settings, the
 * store, an account's OAuth client. Kept here so that neither imports the other's module.
 */

export interface AccountConfig extends NodeDef {
  scope?: string;
  redirectUri?: string;
  apiBase?: string;
}

export interface AccountCredentials {
  clientId?: string;
  clientSecret?: string;
}

/** Advanced knobs from Node-RED's settings.js: `netatmoTokens: { ... }`. */
export interface NetatmoSettings {
  apiBase?: string;
  marginSeconds?: number;
  timeoutSeconds?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  reauthThrottleSeconds?: number;
  lockStaleMs?: number;
}

/** What a token node needs from its account. */
export interface AccountNode extends Node<AccountCredentials> {
  manager: TokenManager;
  scope: string;
  redirectUri: string;
  apiBase: string;
  register(user: Node): void;
  deregister(user: Node): void;
  statusOf(state: AccountState): NodeStatus;
}

/** The token folder, the store and the logger are built from Node-RED's settings, once per runtime. */
export function storeFor(RED: NodeAPI): TokenStore {
  const settings = nodeRedSettings(RED);
  const userDir = (RED.settings as { userDir?: string }).userDir || process.cwd();
  // Asked at each read and write: Node-RED generates its secret only when it first loads the flows' credentials.
  return new TokenStore({
    dir: path.join(userDir, 'netatmo-tokens'),
    secret: () => credentialSecrets(RED),
    lockStaleMs: settings.lockStaleMs,
  });
}

/**
 * `netatmoTokens` of settings.js, every duration in seconds: `marginSeconds`, `timeoutSeconds`,
 * `reauthThrottleSeconds`, `retryBaseSeconds`, `retryMaxSeconds`, `lockStaleSeconds`. The older keys in
 * milliseconds (`retryBaseMs`, `retryMaxMs`, `lockStaleMs`) are still read; the seconds key wins. A value
 * that is not a finite number >= 0 is ignored (the default applies). Returned in the units the code uses.
 */
export function nodeRedSettings(RED: NodeAPI): NetatmoSettings {
  const raw = (RED.settings as { netatmoTokens?: unknown }).netatmoTokens;
  const s = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const num = (key: string): number | undefined => {
    const v = s[key];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const ms = (secondsKey: string, msKey: string): number | undefined => {
    const secs = num(secondsKey);
    return secs !== undefined ? secs * 1000 : num(msKey);
  };
  return {
    apiBase: typeof s.apiBase === 'string' ? s.apiBase : undefined,
    marginSeconds: num('marginSeconds'),
    timeoutSeconds: num('timeoutSeconds'),
    reauthThrottleSeconds: num('reauthThrottleSeconds'),
    retryBaseMs: ms('retryBaseSeconds', 'retryBaseMs'),
    retryMaxMs: ms('retryMaxSeconds', 'retryMaxMs'),
    lockStaleMs: ms('lockStaleSeconds', 'lockStaleMs'),
  };
}

/**
 * Node-RED's credential secrets, first the one that encrypts: `credentialSecret` of settings.js, else
 * the one Node-RED generated in .config.runtime.json. The generated one stays usable for decrypting
 * files written before the user set their own (`credentialSecret: false`: written in clear text).
 */
function credentialSecrets(RED: NodeAPI): Array<string | undefined> {
  const get = (key: string): unknown => {
    try {
      return (RED.settings as { get(k: string): unknown }).get(key);
    } catch {
      return undefined;
    }
  };
  const user = get('credentialSecret');
  const generatedValue = get('_credentialSecret');
  const generated = typeof generatedValue === 'string' && generatedValue ? generatedValue : undefined;
  if (user === false) return [undefined, generated];
  if (typeof user === 'string' && user) return [user, generated];
  return [generated];
}

/** Builds the OAuth client of an account, or explains why it cannot. */
export function clientFor(RED: NodeAPI, creds: AccountCredentials, apiBase: string): OAuthClient {
  const timeout = nodeRedSettings(RED).timeoutSeconds;
  return new OAuthClient({
    clientId: checkClientId(creds.clientId),
    clientSecret: checkClientSecret(creds.clientSecret),
    apiBase,
    timeoutMs: timeout ? timeout * 1000 : undefined,
  });
}
