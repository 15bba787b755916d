/**
 * The two places a login lives, seen by the commands that write one (code, refresh): the PHP
 * script's folder (file_*.txt, the core's FolderTokenStore) and a Node-RED account (its file in the
 * user directory's token folder, the core's FileTokenStore). Both are a TokenStore for the same
 * TokenManager; a mode says only what differs: where the parameters come from, what is checked
 * before Netatmo is asked, how a failure of the store reads, and what is printed once stored.
 */
import { promises as fs } from 'node:fs';
import { NetatmoError, asNetatmoError } from '../core/shared/errors';
import { FolderTokenStore } from '../core/token/folder-store';
import { TokenSet } from '../core/token/oauth';
import { redact } from '../core/shared/redact';
import { DEFAULT_SCOPE } from '../core/token/scopes';
import type { StoredAccount, TokenStore } from '../core/token/store';
import { Ctx, apiBase, howto, printWrites } from './context';
import { CliExit, EXIT } from './exit';
import {
  FILES,
  ParameterKey,
  Parameters,
  TOKEN_FILE_EXIT,
  checkParameterValues,
  parseParameters,
  preflight,
  readParameterLines,
  readTokenFile,
} from './files';
import { RULE, shown } from './io';
import { StoreContext, noLoginMessage, openStore } from './nodered';

export type Verb = 'code' | 'refresh';

/** What the parameters are read for: a verb, or the authorize URL (no secret needed). */
export type ParameterUse = Verb | 'authorize-url';

export interface Mode {
  store: TokenStore;
  accountId: string;
  apiBase: string;
  /** Where the refresh token is kept, for messages. */
  where: string;
  /** The parameters a use sends (code: all four; refresh: client id and secret; the URL: no secret), checked. */
  parameters(use: ParameterUse): Promise<Parameters>;
  /** What must hold before Netatmo is asked (a login to refresh, files that can be written). */
  prepare(verb: Verb): Promise<void>;
  /** A failure of the store (or of the login in it) as the manual's exit; undefined: Netatmo's. */
  failure(e: NetatmoError, verb: Verb, spent: boolean): Promise<CliExit | undefined>;
  /** The lines between the code and the tokens, after a code. */
  codeHead(code: string): void;
  /** What was stored, after a request to Netatmo. */
  printStored(t: TokenSet): void;
  /** Said when another process stored a new pair while this one waited for the lock. */
  adopted: string;
  /** Said last after a code. */
  codeHint?: string;
}

export function openMode(ctx: Ctx): Mode {
  return ctx.opts.store ? new StoreMode(ctx) : new FolderMode(ctx);
}

// ------------------------------------------------------------------ the PHP script's folder

class FolderMode implements Mode {
  readonly store: FolderTokenStore;
  readonly accountId = 'folder';
  readonly apiBase: string;
  readonly where = FILES.refresh;
  readonly adopted = 'Another run stored a new pair while this one waited for the lock: it was adopted, nothing was sent to Netatmo';

  constructor(private readonly ctx: Ctx) {
    this.store = new FolderTokenStore({ dir: ctx.opts.dir });
    this.apiBase = apiBase(ctx);
  }

  parameters(use: ParameterUse): Promise<Parameters> {
    return folderParameters(this.ctx, use !== 'refresh');
  }

  /** The manual's codes for a folder without a login (50, 51) and for files that cannot be written. */
  async prepare(verb: Verb): Promise<void> {
    const { ctx } = this;
    if (verb === 'refresh') {
      const expire = await readTokenFile(ctx.opts.dir, FILES.expire);
      if (expire.value === undefined) {
        throw new CliExit(
          EXIT.REFRESH_NO_EXPIRE,
          `${expire.problem}: run the code step first (netatmo-tokens <code>); if you copied a refresh token into ${FILES.refresh} by hand, write 0 in ${FILES.expire}`,
        );
      }
      const rt = await readTokenFile(ctx.opts.dir, FILES.refresh);
      if (rt.value === undefined) throw new CliExit(EXIT.REFRESH_NO_TOKEN, `${rt.problem}: ${howto(ctx)}`);
      ctx.io.redactor.add(rt.value);
    }
    await preflight(ctx.opts.dir);
  }

  /**
   * The file that could not be written (31, 33, 35) or was not there after writing (30, 32, 34),
   * else the lock (33); `spent`: Netatmo was asked (the code or the refresh token is spent).
   */
  async failure(e: NetatmoError, verb: Verb, spent: boolean): Promise<CliExit | undefined> {
    const { ctx } = this;
    if (verb === 'refresh' && e.code === 'NOT_AUTHORIZED')
      return new CliExit(EXIT.REFRESH_NO_TOKEN, `${FILES.refresh} does not exist in ${ctx.opts.dir}: ${howto(ctx)}`);
    if (e.code !== 'STORE' && e.code !== 'STORE_CORRUPT') return undefined;
    const w = this.store.lastWriteError;
    if (!w) {
      const locked = /locked by another process/.test(e.message) ? ': another refresh is running or hung; try again later' : '';
      return new CliExit(EXIT.REFRESH_NOT_WRITTEN, `${e.message}${locked}`);
    }
    const codes = TOKEN_FILE_EXIT[w.fileName];
    const lost =
      verb === 'code'
        ? `The new tokens are lost and the code is spent: ${howto(ctx)}`
        : `Netatmo has already replaced the refresh token and the new one could not be saved: ${howto(ctx)}`;
    const kept = `The new refresh token is saved in ${FILES.refresh}: fix the problem, then run refresh${verb === 'code' ? '' : ' again'}`;
    const what = spent ? (w.fileName === FILES.refresh ? lost : kept) : 'Nothing was sent to Netatmo';
    return new CliExit(w.problem === 'not-there' ? codes.notThere : codes.notWritten, `${w.message}. ${what}`);
  }

  codeHead(code: string): void {
    this.ctx.io.out(`----------------${shown(code, this.ctx.opts.showTokens)}------------`, this.ctx.opts.showTokens);
    this.ctx.io.out(RULE);
  }

  printStored(t: TokenSet): void {
    printWrites(this.ctx, t);
  }
}

/** file_parameters.txt, checked (exit 10 with a message naming the problem); the scope only where it is sent. */
async function folderParameters(ctx: Ctx, strictScope: boolean): Promise<Parameters> {
  const p = parseParameters(await readParameterLines(ctx.opts.dir), strictScope);
  ctx.io.redactor.add(p.client_secret);
  ctx.io.debug(
    `${FILES.parameters}: client_id=${p.client_id} client_secret=${redact(p.client_secret)} scope=${p.scope} redirect_uri=${p.redirect_uri}`,
  );
  return p;
}

// ------------------------------------------------------------------ a Node-RED account

class StoreMode implements Mode {
  readonly sc: StoreContext;
  readonly store: TokenStore;
  readonly accountId: string;
  readonly apiBase: string;
  readonly where: string;
  readonly adopted = 'Another process (Node-RED) stored a new pair while this command waited: it was adopted, nothing was sent to Netatmo';
  readonly codeHint = 'Node-RED picks the new login up at its next token request.';

  constructor(private readonly ctx: Ctx) {
    this.sc = storeContext(ctx);
    this.store = this.sc.store;
    this.accountId = this.sc.accountId;
    this.apiBase = apiBase(ctx, this.sc);
    this.where = this.sc.store.file(this.sc.accountId);
  }

  async parameters(use: ParameterUse): Promise<Parameters> {
    return (await storeParameters(this.ctx, PARAMETERS_OF[use])) as Parameters;
  }

  async prepare(verb: Verb): Promise<void> {
    if (verb === 'refresh') {
      if (!(await peek(this.ctx, this.sc, EXIT.REFRESH_NO_TOKEN))) throw new CliExit(EXIT.REFRESH_NO_TOKEN, await noLoginMessage(this.sc));
      return;
    }
    // The file Node-RED will read must be encrypted with Node-RED's secret: an existing file proves ours is right.
    await peek(this.ctx, this.sc, EXIT.REFRESH_NOT_WRITTEN);
    const st = await fs.stat(this.where).catch(() => undefined);
    if (st && !st.isFile())
      throw new CliExit(EXIT.REFRESH_NOT_WRITTEN, `${this.where} is not a regular file: it cannot be written; nothing was sent to Netatmo`);
  }

  async failure(e: NetatmoError, verb: Verb, spent: boolean): Promise<CliExit | undefined> {
    const { ctx } = this;
    if (verb === 'refresh' && e.code === 'NOT_AUTHORIZED') return new CliExit(EXIT.REFRESH_NO_TOKEN, await noLoginMessage(this.sc));
    if (verb === 'refresh' && e.code === 'CONFIG') return new CliExit(EXIT.PARAMETERS, e.message);
    if (e.code !== 'STORE' && e.code !== 'STORE_CORRUPT') return undefined;
    if (verb === 'code')
      return new CliExit(
        EXIT.REFRESH_NOT_WRITTEN,
        `${e.message}. ${spent ? `The code is spent: ${howto(ctx)}` : 'Nothing was sent to Netatmo'}`,
      );
    const what = spent ? ` If Netatmo answered, its new refresh token could not be saved: ${howto(ctx)}` : ' Nothing was sent to Netatmo.';
    return new CliExit(EXIT.REFRESH_NOT_WRITTEN, `${e.message}.${what}`);
  }

  codeHead(): void {}

  printStored(): void {
    this.ctx.io.out(`Stored in ${this.where}${this.sc.secret.secret ? ' (encrypted)' : ''} for the Node-RED account ${this.accountId}`);
  }
}

const PARAMETERS_OF: Record<ParameterUse, ParameterKey[]> = {
  'authorize-url': ['client_id', 'redirect_uri', 'scope'],
  code: ['client_id', 'client_secret', 'redirect_uri', 'scope'],
  refresh: ['client_id', 'client_secret'],
};

export function storeContext(ctx: Ctx): StoreContext {
  const sc = openStore(ctx.opts.store as string, ctx.opts.account as string, ctx.opts.secret, ctx.env);
  for (const secret of sc.secret.secrets) if (secret) ctx.io.redactor.add(secret);
  ctx.io.debug(`Node-RED store ${sc.store.file(sc.accountId)}; credential secret: ${sc.secret.from}`);
  if (sc.settingsProblem) ctx.io.debug(sc.settingsProblem);
  return sc;
}

/** Reads the account's file without ever moving it aside (a wrong secret must not break Node-RED's login). */
export async function peek(ctx: Ctx, sc: StoreContext, exitCode: number): Promise<StoredAccount | null> {
  try {
    const acc = await sc.store.peek(sc.accountId);
    if (acc) ctx.io.redactor.add(acc.tokens.access_token, acc.tokens.refresh_token);
    return acc;
  } catch (err) {
    const e = asNetatmoError(err);
    const hint =
      e.code === 'STORE_CORRUPT' || e.reason === 'secret'
        ? `. Credential secret used: ${sc.secret.from}${sc.settingsProblem ? ` (${sc.settingsProblem})` : ''}; give Node-RED's with --secret or NODE_RED_CREDENTIAL_SECRET`
        : '';
    throw new CliExit(exitCode, `${e.message}${hint}`);
  }
}

const OPTION_OF: Record<ParameterKey, string> = {
  client_id: '--client-id or NETATMO_CLIENT_ID',
  client_secret: '--client-secret or NETATMO_CLIENT_SECRET',
  redirect_uri: '--redirect-uri',
  scope: '--scope',
};

/**
 * With --store: each value from its option (or environment variable), else from file_parameters.txt
 * in --dir, else (scope only) read_station. Node-RED's flows_cred.json is encrypted: not read.
 */
async function storeParameters(ctx: Ctx, keys: ParameterKey[]): Promise<Partial<Parameters>> {
  const { opts, env } = ctx;
  const given: Partial<Parameters> = {};
  const set = (k: ParameterKey, v: string | undefined): void => {
    if (v !== undefined && v !== '') given[k] = v;
  };
  set('client_id', opts.clientId ?? env.NETATMO_CLIENT_ID);
  set('client_secret', opts.clientSecret ?? env.NETATMO_CLIENT_SECRET);
  set('redirect_uri', opts.redirectUri);
  set('scope', opts.scope);
  if (given.client_secret) ctx.io.redactor.add(given.client_secret);
  const out: Partial<Parameters> = { ...given, ...checkParameterValues(given, 'options or environment', false) };
  const missing = keys.filter((k) => out[k] === undefined);
  if (missing.length) {
    let fromFile: Parameters | undefined;
    try {
      fromFile = parseParameters(await readParameterLines(opts.dir), missing.includes('scope'));
    } catch (err) {
      const needed = missing.filter((k) => k !== 'scope');
      if (!needed.length) {
        fromFile = undefined;
      } else {
        const how = needed.map((k) => OPTION_OF[k]).join(', ');
        throw new CliExit(EXIT.PARAMETERS, `${(err as Error).message}. With --store, ${needed.join(', ')} can also be given as ${how}`);
      }
    }
    for (const k of missing) out[k] = fromFile?.[k] ?? (k === 'scope' ? DEFAULT_SCOPE : undefined);
    if (fromFile) ctx.io.redactor.add(fromFile.client_secret);
  }
  ctx.io.debug(`parameters: ${keys.map((k) => `${k}=${k === 'client_secret' ? redact(out[k]) : out[k]}`).join(' ')}`);
  return out;
}
