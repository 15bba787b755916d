import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import type { NetatmoError } from '../core/shared/errors';
import type { AccountState } from '../core/token/account-state';
import type { TokenManager } from '../core/token/manager';
import { OAuthClient } from '../core/token/oauth';
import { ApiClient } from '../core/api/client';
import { RateBudget, RateWindow, netatmoUserKey } from '../core/api/rate-budget';
import { NetatmoSettings, credentialSecrets, durationsMs, readNetatmoSettings, tokenFolder } from '../core/shared/settings';
import { TokenStore } from '../core/token/store';
import { checkClientId, checkClientSecret } from '../core/shared/validate';

/**
 * What the account node and the admin routes both build from Node-RED's runtime: settings, the
 * store, an account's OAuth client. Kept here so that neither imports the other's module.
 */

export interface AccountConfig extends NodeDef {
  scope?: string;
  redirectUri?: string;
  apiBase?: string;
  /** The public address Netatmo posts webhook events to (registered with addwebhook); empty: none. */
  webhookUrl?: string;
}

export interface AccountCredentials {
  clientId?: string;
  clientSecret?: string;
}

export type { NetatmoSettings } from '../core/shared/settings';

/** What a token node needs from its account. */
export interface AccountNode extends Node<AccountCredentials> {
  manager: TokenManager;
  scope: string;
  redirectUri: string;
  apiBase: string;
  /** `onState` replaces the default (the account's status on the user node): an api node shows its last call. */
  register(user: Node, onState?: (state: AccountState) => void): void;
  deregister(user: Node): void;
  statusOf(state: AccountState): NodeStatus;
  /** An error as a user of this account reads it (msg.error, log), in Node-RED's language. */
  localize(err: unknown): NetatmoError;
}

/**
 * One rate budget per Netatmo user (Netatmo counts per user), shared by every caller of every account
 * logged in as that user (api nodes, the webhook registration), kept across redeploys. Keyed by a hash of
 * the user's id (see netatmoUserKey), or by the account when a token does not name its user.
 */
const budgets = new Map<string, RateBudget>();
/** A new runtime (the api node's module loaded again) starts with fresh budgets. */
export function clearBudgets(): void {
  budgets.clear();
}
export function budgetOf(accountId: string, limits: readonly RateWindow[]): (accessToken: string) => RateBudget {
  return (accessToken) => {
    const user = netatmoUserKey(accessToken);
    const key = user ? `user:${user}` : `account:${accountId}`;
    let b = budgets.get(key);
    if (!b) budgets.set(key, (b = new RateBudget({ limits })));
    return b;
  };
}

/**
 * The token folder (settings.js `netatmoTokens.dir`, NETATMO_TOKENS_DIR, else `<userDir>/netatmo-tokens`)
 * and the store are built from Node-RED's settings, once per runtime.
 */
export function storeFor(RED: NodeAPI): TokenStore {
  const settings = nodeRedSettings(RED);
  const userDir = (RED.settings as { userDir?: string }).userDir || process.cwd();
  // Asked at each read and write: Node-RED generates its secret only when it first loads the flows' credentials.
  return new TokenStore({
    dir: tokenFolder(userDir, settings.dir),
    secret: () => storeSecrets(RED),
    lockStaleMs: settings.lockStaleMs,
  });
}

/** `netatmoTokens` of settings.js (see readNetatmoSettings). */
export function nodeRedSettings(RED: NodeAPI): NetatmoSettings {
  return readNetatmoSettings((RED.settings as { netatmoTokens?: unknown }).netatmoTokens);
}

/** Node-RED's credential secrets, the encrypting one first (see credentialSecrets in core/settings). */
function storeSecrets(RED: NodeAPI): Array<string | undefined> {
  const get = (key: string): unknown => {
    try {
      return (RED.settings as { get(k: string): unknown }).get(key);
    } catch {
      return undefined;
    }
  };
  return credentialSecrets(get('credentialSecret'), get('_credentialSecret')).secrets;
}

/** Seconds a message may wait for a token, a retry or the rate budget (a node's `maxWait`): default 30, at most an hour. */
export function maxWaitMs(value: unknown): number {
  if (value === undefined || value === null || value === '') return 30_000;
  const s = Number(value);
  return Number.isFinite(s) && s >= 0 ? Math.min(s, 3600) * 1000 : 30_000;
}

/** Builds the OAuth client of an account, or explains why it cannot. */
export function clientFor(RED: NodeAPI, creds: AccountCredentials, apiBase: string): OAuthClient {
  return new OAuthClient({
    clientId: checkClientId(creds.clientId),
    clientSecret: checkClientSecret(creds.clientSecret),
    apiBase,
    timeoutMs: durationsMs(nodeRedSettings(RED)).timeoutMs,
  });
}

/** The API client of an account (the api node, the id pickers, the webhook registration): settings.js's timings. */
export function apiClientFor(RED: NodeAPI, account: AccountNode): ApiClient {
  const { timeoutMs, retryBaseMs } = durationsMs(nodeRedSettings(RED));
  return new ApiClient({ apiBase: account.apiBase, timeoutMs, retryBaseMs });
}

/**
 * Shows a node's status again once the flows have started: Node-RED hands statuses to status nodes only
 * after it has created every node, so one set in a constructor (no account, not authorized) would never
 * reach a status node (the re-authorization example's alert at start-up). Removed when the node closes.
 */
export function showAgainOnStart(RED: NodeAPI, node: Node, show: () => void): void {
  const onStarted = (): void => show();
  RED.events.on('flows:started', onStarted);
  node.on('close', (_removed: boolean, done: () => void) => {
    RED.events.removeListener('flows:started', onStarted);
    done();
  });
}
