import { NetatmoError } from '../core/shared/errors';
import { DEFAULT_SCOPE, parseScope } from '../core/token/scopes';
import { checkApiBase, checkClientId, checkClientSecret, checkRedirectUri } from '../core/shared/validate';

/** What the editor shows for a saved password: the secret itself stays on the server. */
export const SAVED_PASSWORD = '__PWRD__';

/** The login an editor request asks for: what was typed in the dialog, completed by the deployed account. */
export interface LoginConfig {
  clientId: string;
  clientSecret: string;
  scope: string;
  redirectUri?: string;
  apiBase: string;
}

/** What a deployed account holds (its credentials and settings), as far as a login needs it. */
export interface SavedLogin {
  clientId?: string;
  clientSecret?: string;
  scope: string;
  redirectUri: string;
  apiBase: string;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * Merges the dialog's fields (`body`, possibly unsaved edits) over the deployed account (`saved`).
 * A field present in the body wins, even empty; what is missing comes from the deployed account,
 * then from the defaults. The saved secret only goes to the saved client id and API base: a typed
 * client id or server with the saved secret would send it to someone else.
 */
export function resolveLogin(body: Record<string, unknown>, saved: SavedLogin | undefined, defaultApiBase: string): LoginConfig {
  const typedSecret = text(body.clientSecret);
  const typed = typedSecret && typedSecret !== SAVED_PASSWORD ? checkClientSecret(typedSecret) : undefined;
  const typedId = text(body.clientId);
  const savedId = text(saved?.clientId);
  const savedSecret = text(saved?.clientSecret);
  const clientId = typedId ? checkClientId(typedId) : savedId;
  if (!clientId || !(typed ?? savedSecret)) {
    throw new NetatmoError('CONFIG', 'Enter the client id and the client secret of your app at dev.netatmo.com first.', {
      reason: 'missing',
    });
  }
  let scope: string;
  try {
    scope = 'scope' in body ? parseScope(text(body.scope) ?? '').join(' ') : (saved?.scope ?? DEFAULT_SCOPE);
  } catch (err) {
    const detail = (err as Error).message.slice(0, 200);
    throw new NetatmoError('INVALID_INPUT', `Scopes: ${detail}`, { reason: 'scopes', params: { detail } });
  }
  const redirect = 'redirectUri' in body ? text(body.redirectUri) : saved?.redirectUri || undefined;
  const typedBase = 'apiBase' in body ? text(body.apiBase) : saved?.apiBase;
  const apiBase = checkApiBase(typedBase || defaultApiBase);
  if (!typed && saved && (clientId !== savedId || apiBase !== saved.apiBase.replace(/\/+$/, ''))) {
    throw new NetatmoError(
      'CONFIG',
      'Type the client secret again: the saved one is only used with the saved client id and API base URL.',
      {
        reason: 'secret-again',
      },
    );
  }
  return {
    clientId,
    clientSecret: (typed ?? savedSecret) as string,
    scope,
    redirectUri: redirect ? checkRedirectUri(redirect) : undefined,
    apiBase,
  };
}

/** Is this login the one the deployed account runs with (same client and server)? */
export function sameClient(saved: SavedLogin, cfg: Pick<LoginConfig, 'clientId' | 'clientSecret' | 'apiBase'>): boolean {
  return (
    text(saved.clientId) === cfg.clientId &&
    text(saved.clientSecret) === cfg.clientSecret &&
    saved.apiBase.replace(/\/+$/, '') === cfg.apiBase
  );
}
