/**
 * What every command shares: the options, the run's context, the hints that name the folder or
 * the account at hand, the lines that print tokens, and the core's TokenManager for one command.
 */
import * as path from 'node:path';
import { NetatmoError } from '../core/shared/errors';
import type { Logger } from '../core/shared/logger';
import { TokenManager } from '../core/token/manager';
import { DEFAULT_API_BASE, TokenSet } from '../core/token/oauth';
import type { TokenStore } from '../core/token/store';
import { CliClient, expiresIn } from './client';
import { FILES } from './files';
import { Io, shown } from './io';
import { StoreContext, apiBaseFromSettings } from './nodered';

export interface Options {
  dir: string;
  store?: string;
  account?: string;
  secret?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  scope?: string;
  showSecret: boolean;
  showTokens: boolean;
  json: boolean;
}

export interface Ctx {
  opts: Options;
  io: Io;
  env: NodeJS.ProcessEnv;
  now: () => number;
}

/** ` --dir DIR` when the folder is not the current one, plus the account options, for the commands we suggest. */
export function whereOptions(ctx: Ctx): string {
  const dir = path.resolve(process.cwd()) === ctx.opts.dir ? '' : ` --dir ${ctx.opts.dir}`;
  return `${dir}${ctx.opts.store ? ` --store ${ctx.opts.store} --account ${ctx.opts.account}` : ''}`;
}

/** How to authorize again, for the folder or for the Node-RED account at hand. */
export function howto(ctx: Ctx): string {
  const s = whereOptions(ctx);
  return `authorize again: netatmo-tokens authorize-url${s}, open the URL, then netatmo-tokens '<redirected URL>'${s}`;
}

export function apiBase(ctx: Ctx, sc?: StoreContext): string {
  return ctx.env.NETATMO_API_BASE || (sc && apiBaseFromSettings(sc)) || DEFAULT_API_BASE;
}

export const unix = (ms: number): number => Math.floor(ms / 1000);

export function printTokens(ctx: Ctx, t: TokenSet): void {
  const r = ctx.opts.showTokens;
  ctx.io.out(`atoken ${shown(t.access_token, r)}`, r);
  ctx.io.out(`rtoken ${shown(t.refresh_token, r)}`, r);
  ctx.io.out(`etoken ${expiresIn(t)}`);
}

export function printWrites(ctx: Ctx, t: TokenSet): void {
  const r = ctx.opts.showTokens;
  // The manual's wording ("succesful"), kept for scripts that look for it.
  ctx.io.out(`Write succesful ${shown(t.access_token, r)} in file ${FILES.access}`, r);
  ctx.io.out(`Write succesful ${shown(t.refresh_token, r)} in file ${FILES.refresh}`, r);
  ctx.io.out(`Write succesful ${unix(t.expires_at)} in file ${FILES.expire}`);
}

/** On a terminal only: a run from cron stays silent on stderr when it succeeds. */
export function shortenedNote(ctx: Ctx): void {
  if (!ctx.opts.showTokens) ctx.io.hint('(tokens are shortened to 4 characters after their "|" here; --show-tokens prints them in full)');
}

const CLIENT_HINT = 'client_id or client_secret is wrong; copy them again from your app at dev.netatmo.com';

/** Any HTTP failure of the token endpoint, as one line saying what to do. */
export function oauthFailure(ctx: Ctx, e: NetatmoError, what: 'code' | 'refresh', where: string): string {
  const http = e.status ? `HTTP ${e.status}` : 'no HTTP answer';
  const head = what === 'code' ? `Netatmo did not accept the code (${http}` : `Netatmo did not refresh the tokens (${http}`;
  switch (e.code) {
    case 'INVALID_GRANT':
    case 'REAUTHORIZE':
      if (e.oauthError === 'invalid_client') return `${head}, invalid_client): ${CLIENT_HINT}`;
      return what === 'code'
        ? `${head}, invalid_grant): the code was already used, has expired (codes last minutes), or redirect_uri differs from the authorize URL's; get a new code: netatmo-tokens authorize-url`
        : `${head}, invalid_grant): the refresh token in ${where} is no longer valid (used by another program, or revoked); ${howto(ctx)}`;
    case 'INVALID_CLIENT':
      return `${head}, invalid_client): ${CLIENT_HINT}`;
    default: {
      const keep =
        what === 'code'
          ? 'the code may be spent: if it fails again, get a new one with authorize-url'
          : `${where} is unchanged; try again later`;
      const unsure =
        what === 'refresh' && e.uncertain
          ? ' (the request may have reached Netatmo: if the next refresh answers invalid_grant, authorize again)'
          : '';
      return `${head}): ${e.message}; ${keep}${unsure}`;
    }
  }
}

function debugLogger(ctx: Ctx): Logger {
  const d = (m: string): void => ctx.io.debug(m);
  return { debug: d, info: d, warn: d, error: d };
}

/** The core's TokenManager on either store, for one command: no timer, stopped when done. */
export async function withManager<T>(
  ctx: Ctx,
  store: TokenStore,
  accountId: string,
  client: CliClient,
  fn: (mgr: TokenManager) => Promise<T>,
): Promise<T> {
  const logger = debugLogger(ctx);
  // reauthThrottleMs 0: an explicit command always asks Netatmo once.
  const mgr = new TokenManager({ accountId, store, client, autoRefresh: false, reauthThrottleMs: 0, logger });
  try {
    return await fn(mgr);
  } finally {
    await mgr.stop();
  }
}
