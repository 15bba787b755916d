import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import { AccountState, Logger, TokenManager } from '../core/manager';
import { DEFAULT_API_BASE, OAuthClient } from '../core/oauth';
import { debugEnabled } from '../core/redact';
import { DEFAULT_SCOPE, parseScope } from '../core/scopes';
import { TokenStore } from '../core/store';
import { checkClientId, checkClientSecret } from '../core/validate';
import { registerAdminRoutes } from './admin-routes';

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

export function nodeRedSettings(RED: NodeAPI): NetatmoSettings {
  const s = (RED.settings as { netatmoTokens?: NetatmoSettings }).netatmoTokens;
  return s && typeof s === 'object' ? s : {};
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

export default function (RED: NodeAPI): void {
  const settings = nodeRedSettings(RED);
  const store = storeFor(RED);
  const verbose = debugEnabled();

  function AccountNodeCtor(this: AccountNode, config: AccountConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const users = new Map<string, Node>();
    node.scope = parseScopeOr(config.scope, (message) =>
      node.error(RED._('netatmo-account.log.bad-scope', { message, scope: DEFAULT_SCOPE })),
    );
    node.redirectUri = (config.redirectUri || '').trim();
    node.apiBase = (config.apiBase || settings.apiBase || DEFAULT_API_BASE).trim();

    const logger: Logger = {
      debug: (m) => (verbose ? node.log(m) : node.debug(m)),
      info: (m) => node.log(m),
      warn: (m) => node.warn(m),
      error: (m) => node.error(m),
    };
    let client: OAuthClient | undefined;
    if (node.credentials?.clientId || node.credentials?.clientSecret) {
      try {
        client = clientFor(RED, node.credentials, node.apiBase);
      } catch (err) {
        node.error(RED._('netatmo-account.log.bad-credentials', { message: (err as Error).message }));
      }
    } else {
      node.warn(RED._('netatmo-account.log.no-credentials'));
    }
    node.manager = new TokenManager({
      accountId: node.id,
      store,
      client,
      logger,
      marginMs: settings.marginSeconds !== undefined ? settings.marginSeconds * 1000 : undefined,
      retryBaseMs: settings.retryBaseMs,
      retryMaxMs: settings.retryMaxMs,
      reauthThrottleMs: settings.reauthThrottleSeconds !== undefined ? settings.reauthThrottleSeconds * 1000 : undefined,
    });
    if (verbose) node.log(RED._('netatmo-account.log.debug-on'));

    node.statusOf = (state: AccountState): NodeStatus => {
      switch (state.status) {
        case 'ok':
          return { fill: 'green', shape: 'dot', text: RED._('netatmo-account.status.ok', { time: clockTime(state.expires_at) }) };
        case 'refreshing':
          return { fill: 'blue', shape: 'dot', text: RED._('netatmo-account.status.refreshing') };
        case 'retrying':
          return { fill: 'yellow', shape: 'ring', text: RED._('netatmo-account.status.retrying', { code: state.error?.code ?? '' }) };
        case 'reauthorize':
          return { fill: 'red', shape: 'ring', text: RED._('netatmo-account.status.reauthorize') };
        case 'error':
          return { fill: 'red', shape: 'dot', text: RED._('netatmo-account.status.error', { code: state.error?.code ?? '' }) };
        default:
          return { fill: 'grey', shape: 'ring', text: RED._('netatmo-account.status.unauthorized') };
      }
    };
    const pushStatus = (state: AccountState): void => {
      const status = node.statusOf(state);
      for (const user of users.values()) user.status(status);
    };
    node.manager.on('state', pushStatus);

    node.register = (user: Node): void => {
      users.set(user.id, user);
      user.status(node.statusOf(node.manager.state));
    };
    node.deregister = (user: Node): void => {
      users.delete(user.id);
    };

    void node.manager.start();

    node.on('close', (removed: boolean, done: () => void) => {
      node.manager.removeListener('state', pushStatus);
      users.clear();
      // A deleted account takes its login with it; a restart or an edit keeps it. Either way a refresh
      // under way is stored before `done`: Node-RED may exit right after closing the nodes.
      if (removed) node.manager.forget().then(done, done);
      else node.manager.stop().then(done, done);
    });
  }

  RED.nodes.registerType('netatmo-account', AccountNodeCtor as unknown as Parameters<typeof RED.nodes.registerType>[1], {
    credentials: { clientId: { type: 'text' }, clientSecret: { type: 'password' } },
  });
  registerAdminRoutes(RED, store);
}

/** A bad scope string is reported and replaced by the default, so the account still loads. */
function parseScopeOr(scope: string | undefined, report: (message: string) => void): string {
  try {
    return parseScope(scope).join(' ');
  } catch (err) {
    report((err as Error).message);
    return DEFAULT_SCOPE;
  }
}

function clockTime(ms: number | undefined): string {
  if (!ms) return '?';
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
