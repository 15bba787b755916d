import type { Node, NodeAPI, NodeStatus } from 'node-red';
import { type AccountState, displayOf } from '../core/token/account-state';
import type { Logger } from '../core/shared/logger';
import { TokenManager } from '../core/token/manager';
import type { TokenStore } from '../core/token/store';
import { DEFAULT_API_BASE, OAuthClient } from '../core/token/oauth';
import { debugEnabled } from '../core/shared/redact';
import { DEFAULT_SCOPE, parseScope } from '../core/token/scopes';
import { NetatmoSettings, durationsMs } from '../core/shared/settings';
import { NetatmoError, asNetatmoError, scrubError } from '../core/shared/errors';
import { registerAdminRoutes } from './admin-routes';
import { Translate, localize, translatorOf } from './i18n';
import { AccountConfig, AccountNode, clientFor, nodeRedSettings, showAgainOnStart, storeFor } from './runtime';
import { editorLogins } from './editor-logins';
import { startWebhook } from './webhook-registration';

export type { AccountNode } from './runtime';

export default function (RED: NodeAPI): void {
  const ctx: AccountModuleContext = {
    RED,
    tr: translatorOf(RED),
    settings: nodeRedSettings(RED),
    store: storeFor(RED),
    verbose: debugEnabled(),
  };
  const { tr, store } = ctx;

  function AccountNodeCtor(this: AccountNode, config: AccountConfig): void {
    RED.nodes.createNode(this, config);
    startAccountNode(ctx, this, config);
  }

  RED.nodes.registerType('netatmo-account', AccountNodeCtor as unknown as Parameters<typeof RED.nodes.registerType>[1], {
    credentials: { clientId: { type: 'text' }, clientSecret: { type: 'password' } },
  });
  registerAdminRoutes(RED, store);

  // A login stored from the dialog for an account that a deploy shows does not exist (the dialog was
  // cancelled) is removed at that deploy, or when the dialog's close comes after it; one whose dialog
  // is still open waits for the next deploy.
  const removeOrphan = (id: string): void => {
    store
      .withLock(id, () => store.remove(id))
      .then(() => RED.log.info(tr('netatmo-account.log.orphan-removed', { id })))
      .catch((err: Error) => RED.log.warn(tr('netatmo-account.log.orphan-failed', { id, message: err.message })));
  };
  editorLogins.onOrphan = removeOrphan;
  if (onDeploy) RED.events.removeListener('flows:started', onDeploy);
  onDeploy = (event: { config?: { flows?: Array<{ id?: unknown }> } }): void => {
    const ids = new Set((event?.config?.flows ?? []).map((n) => n.id));
    for (const id of editorLogins.orphans((accountId) => ids.has(accountId))) removeOrphan(id);
  };
  RED.events.on('flows:started', onDeploy);
}

/** The deploy listener of the loaded module (a reload replaces it instead of adding one). */
let onDeploy: ((event: { config?: { flows?: Array<{ id?: unknown }> } }) => void) | undefined;

/** What every account node of the loaded module shares. */
interface AccountModuleContext {
  RED: NodeAPI;
  tr: Translate;
  settings: NetatmoSettings;
  store: TokenStore;
  verbose: boolean;
}

/** The account node: its settings read, its token manager and user registry built, started, and its close. */
function startAccountNode(ctx: AccountModuleContext, node: AccountNode, config: AccountConfig): void {
  const { RED, tr, settings, verbose } = ctx;
  node.scope = parseScopeOr(config.scope, (message) => node.error(tr('netatmo-account.log.bad-scope', { message, scope: DEFAULT_SCOPE })));
  node.redirectUri = (config.redirectUri || '').trim();
  node.apiBase = (config.apiBase || settings.apiBase || DEFAULT_API_BASE).trim();

  node.manager = new TokenManager({
    accountId: node.id,
    store: ctx.store,
    client: clientOf(ctx, node),
    logger: loggerOf(node, verbose),
    ...managerTimings(settings),
  });
  if (verbose) node.log(tr('netatmo-account.log.debug-on'));

  node.localize = (err: unknown): NetatmoError => {
    // As the core does with its own errors: every text of it, the cause included (msg.error.cause, msg.netatmo.error).
    const scrub = (t: string): string => node.manager.redact(t);
    return scrubError(localize(tr, scrubError(asNetatmoError(err), scrub)), scrub);
  };
  node.statusOf = (state: AccountState): NodeStatus => {
    const { fill, shape, key } = displayOf(state);
    const params = { time: clockTime(state.expires_at), code: state.error?.code ?? '' };
    return { fill, shape, text: tr(`netatmo-account.status.${key}`, params) };
  };
  const users = userRegistry(node);

  const started = node.manager.start();
  // Every user shows the account's state again once status nodes listen (see showAgainOnStart), as
  // loaded from the store: not the "not authorized" of the moment before it was read.
  showAgainOnStart(RED, node, () => void started.then(() => users.push(node.manager.state)));
  const webhook = startWebhook(RED, node, config.webhookUrl);

  node.on('close', (removed: boolean, done: () => void) => {
    users.close();
    // A deleted account takes its login with it; a restart or an edit keeps it. Either way a refresh
    // under way is stored before `done`: Node-RED may exit right after closing the nodes.
    // The webhook is dropped (a deleted account) while the login still exists.
    // The start (the folder's check, the stored login read) is let finish first: nothing of ours
    // writes in the folder after `done`.
    const dropped = webhook.close(removed);
    const startedDone = started.catch(() => undefined);
    if (removed)
      Promise.all([dropped, startedDone])
        .then(() => node.manager.forget())
        .then(done, done);
    else Promise.all([dropped, startedDone.then(() => node.manager.stop())]).then(() => done(), done);
  });
}

/** The core's logger as the node's log (debug lines as info lines when NETATMO_DEBUG is on). */
function loggerOf(node: AccountNode, verbose: boolean): Logger {
  return {
    debug: (m) => (verbose ? node.log(m) : node.debug(m)),
    info: (m) => node.log(m),
    warn: (m) => node.warn(m),
    error: (m) => node.error(m),
  };
}

/** The OAuth client of the node's credentials; none (reported) when they are missing or bad. */
function clientOf({ RED, tr }: AccountModuleContext, node: AccountNode): OAuthClient | undefined {
  if (node.credentials?.clientId || node.credentials?.clientSecret) {
    try {
      return clientFor(RED, node.credentials, node.apiBase);
    } catch (err) {
      node.error(tr('netatmo-account.log.bad-credentials', { message: localize(tr, err).message }));
      return undefined;
    }
  }
  node.warn(tr('netatmo-account.log.no-credentials'));
  return undefined;
}

/**
 * The nodes using the account (node.register / node.deregister), each shown every new state of the
 * manager; `close` stops that.
 */
function userRegistry(node: AccountNode): { push(state: AccountState): void; close(): void } {
  const users = new Map<string, (state: AccountState) => void>();
  const push = (state: AccountState): void => {
    for (const show of users.values()) show(state);
  };
  node.manager.on('state', push);

  node.register = (user: Node, onState?: (state: AccountState) => void): void => {
    const show = onState ?? ((state: AccountState) => user.status(node.statusOf(state)));
    users.set(user.id, show);
    show(node.manager.state);
  };
  node.deregister = (user: Node): void => {
    users.delete(user.id);
  };
  return {
    push,
    close: () => {
      node.manager.removeListener('state', push);
      users.clear();
    },
  };
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

/** The manager's timings of settings.js, in ms. */
function managerTimings(settings: NetatmoSettings): {
  marginMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  reauthThrottleMs?: number;
} {
  const { marginMs, retryBaseMs, retryMaxMs, reauthThrottleMs } = durationsMs(settings);
  return { marginMs, retryBaseMs, retryMaxMs, reauthThrottleMs };
}
