import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { ErrorCode, NetatmoError, asNetatmoError } from '../core/shared/errors';
import { type AccountState, displayOf, storedState } from '../core/token/account-state';
import type { Logger } from '../core/shared/logger';
import { TokenManager } from '../core/token/manager';
import { DEFAULT_API_BASE } from '../core/token/oauth';
import { DEFAULT_SCOPE, SCOPE_GROUPS } from '../core/token/scopes';
import type { TokenStore } from '../core/token/store';
import { Pasted, classifyPasted, parsePastedRedirect, pastedShape } from '../core/token/paste';
import { checkAccountId, checkCode, checkRedirectUri, checkRefreshToken } from '../core/shared/validate';
import { PendingLogin, authorizeStates } from './authorize-state';
import { Say, exchangeHint, sendPage } from './callback-page';
import { localize, localizeState, requestLanguage, translatorOf } from './i18n';
import { LoginConfig, SavedLogin, resolveLogin, sameClient } from './login-config';
import { bindBrowser, sameBrowser, sameOriginWrites } from './request-guard';
import { AccountNode, clientFor, nodeRedSettings } from './runtime';
import { editorLogins } from './editor-logins';
import { webhookBody } from './webhook-endpoint';

export const ROUTE_BASE = '/netatmo-tokens';

/** A deployed account's login settings, for resolveLogin. */
const savedLogin = (account: AccountNode): SavedLogin => ({
  clientId: account.credentials?.clientId,
  clientSecret: account.credentials?.clientSecret,
  scope: account.scope,
  redirectUri: account.redirectUri,
  apiBase: account.apiBase,
});

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_INPUT: 400,
  INVALID_GRANT: 400,
  INVALID_CLIENT: 400,
  OAUTH_ERROR: 400,
  CONFIG: 400,
  NOT_AUTHORIZED: 409,
  REAUTHORIZE: 409,
  RATE_LIMITED: 429,
  STORE: 500,
  STORE_CORRUPT: 500,
};

/** The JSON the editor sees: state, never a secret. */
export function statusBody(state: AccountState, deployed = true): Record<string, unknown> {
  return {
    deployed,
    authorized: state.authorized,
    status: state.status,
    expires_at: state.expires_at ?? null,
    scope: state.scope ?? [],
    last_refresh: state.last_refresh ?? null,
    retry_at: state.retry_at ?? null,
    error: state.error ?? null,
    display: displayOf(state),
  };
}

export function sendError(res: Response, err: unknown, extra: Record<string, unknown> = {}): void {
  const e = asNetatmoError(err);
  res.status(HTTP_STATUS[e.code] ?? 502).json({ error: { code: e.code, message: e.message, oauthError: e.oauthError ?? null }, ...extra });
}

// ------------------------------------------------------------------ what the editor pastes

/** The states we hand out: 32 random bytes, base64url. */
const OUR_STATE = /^[A-Za-z0-9_-]{43}$/;

/** What a paste route was sent: `{text}` told apart by the core's rule, or one named field. */
function pastedFrom(body: Record<string, unknown>): Pasted {
  if (body.text !== undefined) return classifyPasted(body.text);
  if (body.refresh_token !== undefined) return { kind: 'refresh_token', refreshToken: checkRefreshToken(body.refresh_token) };
  if (body.url !== undefined) return { kind: 'url', ...parsePastedRedirect(body.url) };
  return { kind: 'code', code: checkCode(body.code) };
}

const bodyOf = (req: Request): Record<string, unknown> =>
  (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;

/** A code is exchanged for the redirect URI it was given for: none typed, none to send. */
function needRedirect(uri: string | undefined): string {
  if (!uri)
    throw new NetatmoError('INVALID_INPUT', 'The redirect URI is missing: use the one registered in your app at dev.netatmo.com.', {
      reason: 'redirect-missing-app',
    });
  return uri;
}

// ------------------------------------------------------------------ routes

export function registerAdminRoutes(RED: NodeAPI, store: TokenStore): void {
  const kit = routeKit(RED, store);
  RED.httpAdmin.get(`${ROUTE_BASE}/scopes`, kit.read, (_req: Request, res: Response) => {
    res.json({ default: DEFAULT_SCOPE, groups: SCOPE_GROUPS });
  });

  statusRoute(kit);
  dialogRoutes(kit);
  callbackRoute(kit);
  pasteRoute(kit);
}

type RouteKit = ReturnType<typeof routeKit>;

/** What the routes share: the translator, the guards, the deployed accounts and the handler wrapper. */
function routeKit(RED: NodeAPI, store: TokenStore) {
  const tr = translatorOf(RED);
  const read = RED.auth.needsPermission('netatmo-account.read');
  // Writes need the permission (with adminAuth) and must come from the editor's own site (always).
  const write = [RED.auth.needsPermission('netatmo-account.write'), sameOriginWrites(() => nodeRedSettings(RED).trustedProxies ?? [])];
  const states = authorizeStates;
  /** The callback pages' and the dialog's texts, in the language of the browser that asked. */
  const sayTo = (req: Request): Say => {
    const lng = requestLanguage(req);
    return (key, params) => tr(`netatmo-account.callback.${key}`, lng ? { ...params, lng } : params);
  };

  const deployedAccount = (id: string): AccountNode | undefined => {
    const node = RED.nodes.getNode(checkAccountId(id)) as AccountNode | null;
    return node && node.type === 'netatmo-account' ? node : undefined;
  };

  /** The dialog's fields over the deployed account's (see resolveLogin). */
  const loginConfig = (body: Record<string, unknown>, account: AccountNode | undefined): LoginConfig =>
    resolveLogin(body, account && savedLogin(account), nodeRedSettings(RED).apiBase || DEFAULT_API_BASE);

  /**
   * One account route: no caching, the id checked, then the handler; a failure is localized for the
   * browser that asked and answered by sendError (`extra` adds what a route tells beside the error).
   */
  const accountRoute =
    (
      handle: (id: string, req: Request, res: Response) => unknown,
      extra?: (req: Request, res: Response, e: NetatmoError) => Record<string, unknown>,
    ) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        res.set('Cache-Control', 'no-store');
        await handle(checkAccountId(String(req.params.id)), req, res);
      } catch (err) {
        const e = localize(tr, err, requestLanguage(req));
        sendError(res, e, extra?.(req, res, e));
      }
    };

  return { RED, store, tr, read, write, states, sayTo, deployedAccount, loginConfig, accountRoute };
}

function accountLogger(RED: NodeAPI, id: string): Logger {
  const prefix = `[netatmo-account:${id}] `;
  return {
    debug: (m) => RED.log.debug(prefix + m),
    info: (m) => RED.log.info(prefix + m),
    warn: (m) => RED.log.warn(prefix + m),
    error: (m) => RED.log.error(prefix + m),
  };
}

/**
 * Stores a new login for an account. The deployed account does it itself when it has the
 * same client, so its state changes at once; otherwise (not deployed yet, or new credentials
 * not deployed yet) a manager over the same store writes the file the account reads on its
 * next start, after the deploy.
 */
async function installLogin(
  kit: RouteKit,
  id: string,
  cfg: Omit<LoginConfig, 'scope' | 'redirectUri'>,
  obtain: (m: TokenManager) => Promise<unknown>,
): Promise<{ state: AccountState; deployed: boolean; sameClient: boolean }> {
  const { RED, store } = kit;
  const account = kit.deployedAccount(id);
  if (!account) editorLogins.storedUndeployed(id); // removed at a deploy that shows no such account
  if (account && sameClient(savedLogin(account), cfg)) {
    await obtain(account.manager);
    return { state: account.manager.state, deployed: true, sameClient: true };
  }
  const manager = new TokenManager({
    accountId: id,
    store,
    client: clientFor(RED, cfg, cfg.apiBase),
    autoRefresh: false,
    logger: accountLogger(RED, id),
  });
  await obtain(manager);
  // A deployed account with other credentials keeps its client until the deploy the page asks for:
  // it must not refresh this login with the old client.
  return { state: manager.state, deployed: !!account, sameClient: false };
}

/**
 * The login a pasted address of our Authorize button finishes. Only the browser that clicked Authorize may
 * finish it (its cookie), as on the callback: else a page could start a login, consent with its own Netatmo
 * account and paste the result here.
 */
function takeAttempt(kit: RouteKit, req: Request, id: string, state: string): PendingLogin | undefined {
  const { states } = kit;
  const say = kit.sayTo(req);
  const found = states.peek(state);
  if (found.ok && !sameBrowser(req, found.login.browser))
    throw new NetatmoError('INVALID_INPUT', `${say('paste-other-browser')} ${say('click-again')}`);
  const taken = states.take(state, id);
  if (taken.ok) return taken.login;
  // An unknown state in our format comes from another attempt (or from before a restart): refuse it,
  // as the callback does. A state we never make (a hand-made address) is left to the typed settings.
  if (taken.problem !== 'unknown' || OUR_STATE.test(state))
    throw new NetatmoError('INVALID_INPUT', `${say(`state-${taken.problem}`)} ${say('click-again')}`);
  return undefined;
}

/** GET status: the account's state for the dialog, deployed or only stored. */
function statusRoute(kit: RouteKit): void {
  const { RED, store, tr, read, deployedAccount, accountRoute } = kit;
  RED.httpAdmin.get(
    `${ROUTE_BASE}/:id/status`,
    read,
    accountRoute(async (id, req, res) => {
      const account = deployedAccount(id);
      // A GET changes nothing (a link or an image on any page can make one): the dialog says it is open with a POST, below.
      const attempt = editorLogins.attempt(id);
      if (account?.manager.state.authorized) {
        res.json({
          ...statusBody(localizeState(tr, account.manager.state, requestLanguage(req))),
          attempt,
          webhook: webhookBody(account.id),
        });
        return;
      }
      // Not deployed yet, or deployed without a login (an imported example, credentials added in the dialog
      // since): tell what the store holds for it, a login obtained in the dialog that the next deploy puts to use.
      const stored = await store.peek(id); // a GET never moves a file aside
      if (account && !(stored && !stored.invalid)) {
        res.json({
          ...statusBody(localizeState(tr, account.manager.state, requestLanguage(req))),
          attempt,
          webhook: webhookBody(account.id),
        });
        return;
      }
      res.json({ ...statusBody(storedState(stored), false), attempt, webhook: webhookBody(id) });
    }),
  );
}

/** POST dialog and authorize: the dialog is open, a login starts. */
function dialogRoutes(kit: RouteKit): void {
  const { RED, write, states, deployedAccount, loginConfig, accountRoute } = kit;
  /**
   * `{open: true}`, each time the dialog of an account polls: a login stored for it survives deploys that lack
   * the account. `{open: false}` when it closed: such a login goes at the next deploy that lacks it (Cancel).
   * A write: no other site may keep an undeployed login, nor hasten its removal.
   */
  RED.httpAdmin.post(
    `${ROUTE_BASE}/:id/dialog`,
    write,
    accountRoute((id, req, res) => {
      editorLogins.dialog(id, (req.body as { open?: unknown } | undefined)?.open === true);
      res.json({ ok: true });
    }),
  );

  /**
   * Starts a login: `{clientId, clientSecret?, scope, redirectUri, apiBase?}` as typed in the dialog.
   * Answers the Netatmo address to open; the secret stays here, with the state, in memory.
   */
  RED.httpAdmin.post(
    `${ROUTE_BASE}/:id/authorize`,
    write,
    accountRoute((id, req, res) => {
      const cfg = loginConfig(bodyOf(req), deployedAccount(id));
      const redirectUri = needRedirect(cfg.redirectUri);
      const client = clientFor(RED, cfg, cfg.apiBase);
      const state = states.create({ accountId: id, ...cfg, redirectUri, browser: bindBrowser(req, res) });
      editorLogins.started(id, state);
      res.json({ url: client.authorizeUrl({ redirectUri, scope: cfg.scope, state }), redirectUri, scope: cfg.scope });
    }),
  );
}

function callbackRoute(kit: RouteKit): void {
  const { RED, tr, states, sayTo } = kit;
  /**
   * Where Netatmo sends the browser back. No admin token comes with a redirect, so no
   * permission check: the single-use state is the protection.
   */
  RED.httpAdmin.get(`${ROUTE_BASE}/callback`, async (req: Request, res: Response) => {
    const say = sayTo(req);
    const lng = requestLanguage(req);
    const q = req.query as Record<string, unknown>;
    const found = states.peek(q.state);
    if (found.ok && !sameBrowser(req, found.login.browser)) {
      // Left pending: the dialog's paste box (same editor, same browser) can still finish it.
      sendPage(res, 403, false, say('title-refused'), [say('state-other-browser')], say('lang'));
      return;
    }
    const taken = states.take(q.state);
    // The dialog that started this login shows how it ended.
    const end = (outcome: 'authorized' | 'denied' | 'failed' | 'expired', e?: NetatmoError): void =>
      editorLogins.ended(q.state, outcome, e && { code: e.code, message: e.message });
    if (!taken.ok) {
      if (taken.problem === 'expired') end('expired');
      sendPage(res, 400, false, say('title-refused'), [say(`state-${taken.problem}`), say('again')], say('lang'));
      return;
    }
    const login: PendingLogin = taken.login;
    const error = typeof q.error === 'string' ? q.error.slice(0, 100) : undefined;
    if (error === 'access_denied') {
      end('denied');
      sendPage(res, 400, false, say('title-denied'), [say('denied'), say('again')], say('lang'));
      return;
    }
    if (error !== undefined) {
      const description = typeof q.error_description === 'string' ? `: ${q.error_description.slice(0, 200)}` : '';
      end('failed', new NetatmoError('OAUTH_ERROR', say('oauth-error', { error: error + description })));
      sendPage(res, 400, false, say('title-failed'), [say('oauth-error', { error: error + description }), say('again')], say('lang'));
      return;
    }
    let code: string;
    try {
      code = checkCode(q.code);
    } catch (err) {
      const message = localize(tr, err, lng).message;
      end('failed', new NetatmoError('INVALID_INPUT', say('no-code', { message })));
      sendPage(res, 400, false, say('title-failed'), [say('no-code', { message }), say('again')], say('lang'));
      return;
    }
    try {
      const done = await installLogin(kit, login.accountId, login, (m) => m.authorizeWithCode(code, login.redirectUri, login.scope));
      const scopes = done.state.scope?.join(' ') || login.scope;
      const next = !done.deployed ? 'next-deploy' : done.sameClient ? 'next-now' : 'next-unsaved';
      end('authorized');
      sendPage(res, 200, true, say('title-ok'), [say('ok-scopes', { scopes }), say(next), say('close')], say('lang'));
    } catch (err) {
      const e = localize(tr, err, lng);
      end('failed', e);
      sendPage(
        res,
        HTTP_STATUS[e.code] ?? 502,
        false,
        say('title-failed'),
        [say('failed', { message: e.message }), exchangeHint(say, e, login)],
        say('lang'),
      );
    }
  });
}

function pasteRoute(kit: RouteKit): void {
  const { RED, tr, write, deployedAccount, loginConfig, accountRoute } = kit;
  /**
   * Paste path, for when the browser cannot reach the callback: `{text}` (anything below, told apart
   * here), `{url}` (the address the browser was sent back to), `{code}` or `{refresh_token}`, plus the
   * dialog's fields as for authorize, so that it also works before the first deploy.
   */
  RED.httpAdmin.post(
    `${ROUTE_BASE}/:id/code`,
    write,
    accountRoute(
      async (id, req, res) => {
        const body = bodyOf(req);
        const pasted = pastedFrom(body);
        // A pasted address from our own Authorize button carries its state: finish that login.
        const pending = pasted.kind === 'url' && pasted.state ? takeAttempt(kit, req, id, pasted.state) : undefined;
        res.locals.attempt = pending && (pasted as { state: string }).state; // the state of a login of ours this paste finishes
        const cfg: LoginConfig = pending ?? loginConfig(body, deployedAccount(id));
        let done;
        if (pasted.kind === 'refresh_token') {
          const rt = pasted.refreshToken;
          done = await installLogin(kit, id, cfg, (m) => m.authorizeWithRefreshToken(rt));
        } else {
          const code = pasted.code;
          const uri = checkRedirectUri(
            needRedirect(cfg.redirectUri ?? (typeof body.redirect_uri === 'string' ? body.redirect_uri : undefined)),
          );
          done = await installLogin(kit, id, cfg, (m) => m.authorizeWithCode(code, uri, cfg.scope));
        }
        editorLogins.ended(res.locals.attempt as string | undefined, 'authorized');
        res.json({ ...statusBody(localizeState(tr, done.state, requestLanguage(req)), done.deployed), kind: pasted.kind });
      },
      (req, res, e) => {
        editorLogins.ended(res.locals.attempt as string | undefined, 'failed', e);
        // The dialog says what the pasted text was taken for (address, code, refresh token) before why it was refused.
        const text = (req.body as Record<string, unknown> | undefined)?.text;
        return { taken: typeof text === 'string' ? (pastedShape(text) ?? null) : null };
      },
    ),
  );
}
