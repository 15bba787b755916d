import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { ErrorCode, NetatmoError, asNetatmoError } from '../core/errors';
import type { AccountState } from '../core/manager';
import { DEFAULT_SCOPE, SCOPE_GROUPS } from '../core/scopes';
import type { TokenStore } from '../core/store';
import { checkAccountId, checkCode, checkRedirectUri, checkRefreshToken, parsePastedRedirect } from '../core/validate';
import type { AccountNode } from './netatmo-account';

export const ROUTE_BASE = '/netatmo-tokens';

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

export function registerAdminRoutes(RED: NodeAPI, store: TokenStore): void {
  const read = RED.auth.needsPermission('netatmo-account.read');
  const write = RED.auth.needsPermission('netatmo-account.write');

  const deployedAccount = (id: string): AccountNode | undefined => {
    const node = RED.nodes.getNode(checkAccountId(id)) as AccountNode | null;
    return node && node.type === 'netatmo-account' ? node : undefined;
  };

  RED.httpAdmin.get(`${ROUTE_BASE}/scopes`, read, (_req: Request, res: Response) => {
    res.json({ default: DEFAULT_SCOPE, groups: SCOPE_GROUPS });
  });

  RED.httpAdmin.get(`${ROUTE_BASE}/:id/status`, read, async (req: Request, res: Response) => {
    try {
      const account = deployedAccount(String(req.params.id));
      if (account) {
        res.json(statusBody(account.manager.state));
        return;
      }
      // Not deployed yet: tell what the store holds for it (tokens obtained before the first deploy).
      const stored = await store.read(String(req.params.id));
      const state: AccountState = stored
        ? { status: stored.invalid ? 'reauthorize' : 'ok', authorized: !stored.invalid, expires_at: stored.tokens.expires_at, scope: stored.tokens.scope, last_refresh: stored.tokens.obtained_at }
        : { status: 'unauthorized', authorized: false };
      res.json(statusBody(state, false));
    } catch (err) {
      sendError(res, err);
    }
  });

  /** Paste path: `{code}`, `{url}` (the address the browser was sent back to) or `{refresh_token}`. */
  RED.httpAdmin.post(`${ROUTE_BASE}/:id/code`, write, async (req: Request, res: Response) => {
    try {
      const account = deployedAccount(String(req.params.id));
      if (!account) throw new NetatmoError('CONFIG', 'Deploy the Netatmo account first, then paste the code again');
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      if (body.refresh_token !== undefined) {
        await account.manager.authorizeWithRefreshToken(checkRefreshToken(body.refresh_token));
      } else {
        const code = body.url !== undefined ? parsePastedRedirect(body.url).code : checkCode(body.code);
        const redirect = body.redirect_uri ?? account.redirectUri;
        if (!redirect) throw new NetatmoError('INVALID_INPUT', 'The account has no redirect URI: set the one registered in your Netatmo app');
        await account.manager.authorizeWithCode(code, checkRedirectUri(redirect), account.scope);
      }
      res.json(statusBody(account.manager.state));
    } catch (err) {
      sendError(res, err);
    }
  });
}
