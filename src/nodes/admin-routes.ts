import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { ErrorCode, NetatmoError, asNetatmoError } from '../core/errors';
import { AccountState, Logger, TokenManager } from '../core/manager';
import { DEFAULT_API_BASE } from '../core/oauth';
import { DEFAULT_SCOPE, SCOPE_GROUPS } from '../core/scopes';
import type { TokenStore } from '../core/store';
import { checkAccountId, checkCode, checkRedirectUri, checkRefreshToken, parsePastedRedirect } from '../core/validate';
import { PendingLogin, authorizeStates } from './authorize-state';
import { Say, exchangeHint, sendPage } from './callback-page';
import { localize, localizeState, requestLanguage } from './i18n';
import { LoginConfig, SavedLogin, resolveLogin, sameClient } from './login-config';
import { bindBrowser, sameBrowser, sameOriginWrites } from './request-guard';
import { AccountNode, clientFor, nodeRedSettings } from './runtime';

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
  };
}

export function sendError(res: Response, err: unknown): void {
  const e = asNetatmoError(err);
  res.status(HTTP_STATUS[e.code] ?? 502).json({ error: { code: e.code, message: e.message, oauthError: e.oauthError ?? null } });
}

// ------------------------------------------------------------------ what the editor pastes

export type Pasted =
  { kind: 'url'; code: string; state?: string } | { kind: 'code'; code: string } | { kind: 'refresh_token'; refreshToken: string };

/**
 * Tells apart what a user pasted: the address the browser was sent back to (or its
 * query), a bare authorization code, or a refresh token (token generator, `<hex>|<hex>`).
 */
export function classifyPasted(text: unknown): Pasted {
  if (typeof text !== 'string' || text.trim() === '')
    throw new NetatmoError('INVALID_INPUT', 'Nothing was pasted.', { reason: 'nothing-pasted' });
  const v = text.trim();
  if (v.includes('|') && !/[?&=]/.test(v)) return { kind: 'refresh_token', refreshToken: checkRefreshToken(v) };
  if (/[?&=]|:\/\//.test(v)) return { kind: 'url', ...parsePastedRedirect(v) };
  if (/^[A-Za-z0-9]+$/.test(v)) return { kind: 'code', code: checkCode(v) }; // refresh tokens hold a '|'
  return { kind: 'refresh_token', refreshToken: checkRefreshToken(v) };
}

// ------------------------------------------------------------------ routes

export function registerAdminRoutes(RED: NodeAPI, store: TokenStore): void {
  const read = RED.auth.needsPermission('netatmo-account.read');
  // Writes need the permission (with adminAuth) and must come from the editor's own site (always).
  const write = [RED.auth.needsPermission('netatmo-account.write'), sameOriginWrites];
  const states = authorizeStates;
  /** The callback pages' and the dialog's texts, in the language of the browser that asked. */
  const sayTo = (req: Request): Say => {
    const lng = requestLanguage(req);
    return (key, params) => RED._(`netatmo-account.callback.${key}`, lng ? { ...params, lng } : params);
  };
  const fail = (req: Request, res: Response, err: unknown): void => sendError(res, localize(RED._, err, requestLanguage(req)));

  const deployedAccount = (id: string): AccountNode | undefined => {
    const node = RED.nodes.getNode(checkAccountId(id)) as AccountNode | null;
    return node && node.type === 'netatmo-account' ? node : undefined;
  };

  /** The dialog's fields over the deployed account's (see resolveLogin). */
  const loginConfig = (body: Record<string, unknown>, account: AccountNode | undefined): LoginConfig =>
    resolveLogin(body, account && savedLogin(account), nodeRedSettings(RED).apiBase || DEFAULT_API_BASE);

  const logger = (id: string): Logger => {
    const prefix = `[netatmo-account:${id}] `;
    return {
      debug: (m) => RED.log.debug(prefix + m),
      info: (m) => RED.log.info(prefix + m),
      warn: (m) => RED.log.warn(prefix + m),
      error: (m) => RED.log.error(prefix + m),
    };
  };

  /**
   * Stores a new login for an account. The deployed account does it itself when it has the
   * same client, so its state changes at once; otherwise (not deployed yet, or new credentials
   * not deployed yet) a manager over the same store writes the file the account reads on its
   * next start, after the deploy.
   */
  const install = async (
    id: string,
    cfg: Omit<LoginConfig, 'scope' | 'redirectUri'>,
    obtain: (m: TokenManager) => Promise<unknown>,
  ): Promise<{ state: AccountState; deployed: boolean; sameClient: boolean }> => {
    const account = deployedAccount(id);
    if (account && sameClient(savedLogin(account), cfg)) {
      await obtain(account.manager);
      return { state: account.manager.state, deployed: true, sameClient: true };
    }
    const manager = new TokenManager({
      accountId: id,
      store,
      client: clientFor(RED, cfg, cfg.apiBase),
      autoRefresh: false,
      logger: logger(id),
    });
    await obtain(manager);
    // A deployed account with other credentials keeps its client until the deploy the page asks for:
    // it must not refresh this login with the old client.
    return { state: manager.state, deployed: !!account, sameClient: false };
  };

  RED.httpAdmin.get(`${ROUTE_BASE}/scopes`, read, (_req: Request, res: Response) => {
    res.json({ default: DEFAULT_SCOPE, groups: SCOPE_GROUPS });
  });

  RED.httpAdmin.get(`${ROUTE_BASE}/:id/status`, read, async (req: Request, res: Response) => {
    try {
      res.set('Cache-Control', 'no-store');
      const account = deployedAccount(String(req.params.id));
      if (account) {
        res.json(statusBody(localizeState(RED._, account.manager.state, requestLanguage(req))));
        return;
      }
      // Not deployed yet: tell what the store holds for it (tokens obtained before the first deploy).
      const stored = await store.peek(String(req.params.id)); // a GET never moves a file aside
      const state: AccountState = stored
        ? {
            status: stored.invalid ? 'reauthorize' : 'ok',
            authorized: !stored.invalid,
            expires_at: stored.tokens.expires_at,
            scope: stored.tokens.scope,
            last_refresh: stored.tokens.obtained_at,
          }
        : { status: 'unauthorized', authorized: false };
      res.json(statusBody(state, false));
    } catch (err) {
      fail(req, res, err);
    }
  });

  /**
   * Starts a login: `{clientId, clientSecret?, scope, redirectUri, apiBase?}` as typed in the dialog.
   * Answers the Netatmo address to open; the secret stays here, with the state, in memory.
   */
  RED.httpAdmin.post(`${ROUTE_BASE}/:id/authorize`, write, (req: Request, res: Response) => {
    try {
      res.set('Cache-Control', 'no-store');
      const id = checkAccountId(String(req.params.id));
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const cfg = loginConfig(body, deployedAccount(id));
      if (!cfg.redirectUri)
        throw new NetatmoError('INVALID_INPUT', 'The redirect URI is missing: use the one registered in your app at dev.netatmo.com.', {
          reason: 'redirect-missing-app',
        });
      const client = clientFor(RED, cfg, cfg.apiBase);
      const state = states.create({ accountId: id, ...cfg, redirectUri: cfg.redirectUri, browser: bindBrowser(req, res) });
      res.json({
        url: client.authorizeUrl({ redirectUri: cfg.redirectUri, scope: cfg.scope, state }),
        redirectUri: cfg.redirectUri,
        scope: cfg.scope,
      });
    } catch (err) {
      fail(req, res, err);
    }
  });

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
    if (!taken.ok) {
      sendPage(res, 400, false, say('title-refused'), [say(`state-${taken.problem}`), say('again')], say('lang'));
      return;
    }
    const login: PendingLogin = taken.login;
    const error = typeof q.error === 'string' ? q.error.slice(0, 100) : undefined;
    if (error === 'access_denied') {
      sendPage(res, 400, false, say('title-denied'), [say('denied'), say('again')], say('lang'));
      return;
    }
    if (error !== undefined) {
      const description = typeof q.error_description === 'string' ? `: ${q.error_description.slice(0, 200)}` : '';
      sendPage(res, 400, false, say('title-failed'), [say('oauth-error', { error: error + description }), say('again')], say('lang'));
      return;
    }
    let code: string;
    try {
      code = checkCode(q.code);
    } catch (err) {
      const message = localize(RED._, err, lng).message;
      sendPage(res, 400, false, say('title-failed'), [say('no-code', { message }), say('again')], say('lang'));
      return;
    }
    try {
      const done = await install(login.accountId, login, (m) => m.authorizeWithCode(code, login.redirectUri, login.scope));
      const scopes = done.state.scope?.join(' ') || login.scope;
      const next = !done.deployed ? 'next-deploy' : done.sameClient ? 'next-now' : 'next-unsaved';
      sendPage(res, 200, true, say('title-ok'), [say('ok-scopes', { scopes }), say(next), say('close')], say('lang'));
    } catch (err) {
      const e = localize(RED._, err, lng);
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

  /**
   * Paste path, for when the browser cannot reach the callback: `{text}` (anything below, told apart
   * here), `{url}` (the address the browser was sent back to), `{code}` or `{refresh_token}`, plus the
   * dialog's fields as for authorize, so that it also works before the first deploy.
   */
  RED.httpAdmin.post(`${ROUTE_BASE}/:id/code`, write, async (req: Request, res: Response) => {
    try {
      res.set('Cache-Control', 'no-store');
      const say = sayTo(req);
      const id = checkAccountId(String(req.params.id));
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      let pasted: Pasted;
      if (body.text !== undefined) pasted = classifyPasted(body.text);
      else if (body.refresh_token !== undefined) pasted = { kind: 'refresh_token', refreshToken: checkRefreshToken(body.refresh_token) };
      else if (body.url !== undefined) pasted = { kind: 'url', ...parsePastedRedirect(body.url) };
      else pasted = { kind: 'code', code: checkCode(body.code) };

      // A pasted address from our own Authorize button carries its state: finish that login.
      let pending: PendingLogin | undefined;
      if (pasted.kind === 'url' && pasted.state) {
        const taken = states.take(pasted.state, id);
        if (taken.ok) pending = taken.login;
        else if (taken.problem !== 'unknown')
          throw new NetatmoError('INVALID_INPUT', `${say(`state-${taken.problem}`)} ${say('click-again')}`);
      }
      const cfg: LoginConfig = pending ?? loginConfig(body, deployedAccount(id));
      let done;
      if (pasted.kind === 'refresh_token') {
        const rt = pasted.refreshToken;
        done = await install(id, cfg, (m) => m.authorizeWithRefreshToken(rt));
      } else {
        const redirect = cfg.redirectUri ?? (typeof body.redirect_uri === 'string' ? body.redirect_uri : undefined);
        if (!redirect)
          throw new NetatmoError('INVALID_INPUT', 'The redirect URI is missing: use the one registered in your app at dev.netatmo.com.', {
            reason: 'redirect-missing-app',
          });
        const code = pasted.code;
        const uri = checkRedirectUri(redirect);
        done = await install(id, cfg, (m) => m.authorizeWithCode(code, uri, cfg.scope));
      }
      res.json({ ...statusBody(localizeState(RED._, done.state, requestLanguage(req)), done.deployed), kind: pasted.kind });
    } catch (err) {
      fail(req, res, err);
    }
  });
}
