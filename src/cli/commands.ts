/**
 * The commands. The OAuth calls, both stores (the PHP script's folder, a Node-RED account's file),
 * their locks and the refresh logic (TokenManager) are the core's; this file reads arguments and
 * parameters, calls the core, turns its errors into the manual's exit codes, and prints.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { NetatmoError, asNetatmoError } from '../core/errors';
import { FolderTokenStore } from '../core/folder-store';
import { Logger, TokenManager } from '../core/manager';
import { DEFAULT_API_BASE, OAuthClient, TokenSet } from '../core/oauth';
import { redact } from '../core/redact';
import { DEFAULT_SCOPE } from '../core/scopes';
import type { StoredAccount, TokenStore } from '../core/store';
import { parsePastedRedirect } from '../core/validate';
import { CliExit, EXIT } from './exit';
import {
  FILES,
  Parameters,
  ParameterKey,
  TOKEN_FILE_EXIT,
  checkParameterValues,
  parseParameters,
  preflight,
  readParameterLines,
  readState,
  readTokenFile,
  removeState,
  writeState,
} from './files';
import { CliClient, expiresIn } from './client';
import { Io, RULE, expiryLine, isoUtc, shown } from './io';
import { StoreContext, apiBaseFromSettings, noLoginMessage, openStore } from './nodered';

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

/** ` --dir DIR` when the folder is not the current one, for the commands we suggest. */
function dirOption(ctx: Ctx): string {
  return path.resolve(process.cwd()) === ctx.opts.dir ? '' : ` --dir ${ctx.opts.dir}`;
}

/** How to authorize again, for the folder or for the Node-RED account at hand. */
function howto(ctx: Ctx): string {
  const s = `${dirOption(ctx)}${ctx.opts.store ? ` --store ${ctx.opts.store} --account ${ctx.opts.account}` : ''}`;
  return `authorize again: netatmo-tokens authorize-url${s}, open the URL, then netatmo-tokens '<redirected URL>'${s}`;
}

// ------------------------------------------------------------------ shared helpers

function apiBase(ctx: Ctx, sc?: StoreContext): string {
  return ctx.env.NETATMO_API_BASE || (sc && apiBaseFromSettings(sc)) || DEFAULT_API_BASE;
}

const unix = (ms: number): number => Math.floor(ms / 1000);

/** file_parameters.txt, checked (exit 10 with a message naming the problem); the scope only where it is sent. */
async function folderParameters(ctx: Ctx, strictScope: boolean): Promise<Parameters> {
  const p = parseParameters(await readParameterLines(ctx.opts.dir), strictScope);
  ctx.io.redactor.add(p.client_secret);
  ctx.io.debug(
    `${FILES.parameters}: client_id=${p.client_id} client_secret=${redact(p.client_secret)} scope=${p.scope} redirect_uri=${p.redirect_uri}`,
  );
  return p;
}

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

const OPTION_OF: Record<ParameterKey, string> = {
  client_id: '--client-id or NETATMO_CLIENT_ID',
  client_secret: '--client-secret or NETATMO_CLIENT_SECRET',
  redirect_uri: '--redirect-uri',
  scope: '--scope',
};

function storeContext(ctx: Ctx): StoreContext {
  const sc = openStore(ctx.opts.store as string, ctx.opts.account as string, ctx.opts.secret, ctx.env);
  for (const secret of sc.secret.secrets) if (secret) ctx.io.redactor.add(secret);
  ctx.io.debug(`Node-RED store ${sc.store.file(sc.accountId)}; credential secret: ${sc.secret.from}`);
  if (sc.settingsProblem) ctx.io.debug(sc.settingsProblem);
  return sc;
}

/** Reads the account's file without ever moving it aside (a wrong secret must not break Node-RED's login). */
async function peek(ctx: Ctx, sc: StoreContext, exitCode: number): Promise<StoredAccount | null> {
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

async function isEncrypted(file: string): Promise<boolean> {
  try {
    return Boolean((JSON.parse(await fs.readFile(file, 'utf8')) as { encrypted?: unknown }).encrypted);
  } catch {
    return false;
  }
}

/** Any HTTP failure of the token endpoint, as one line saying what to do. */
function oauthFailure(ctx: Ctx, e: NetatmoError, what: 'code' | 'refresh', where: string): string {
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

const CLIENT_HINT = 'client_id or client_secret is wrong; copy them again from your app at dev.netatmo.com';

/** The code, from a bare code (the manual's way) or the whole redirected URL. */
function parseCodeArgument(arg: string | undefined, isCommandWord: boolean): { code: string; state?: string; pasted: boolean } {
  const quoteHint = ' (put the URL in single quotes: the shell cuts it at "&")';
  if (arg === undefined || arg.trim() === '') {
    throw new CliExit(
      EXIT.CODE_LENGTH,
      'The code is missing: give the 32 characters after "code=" in the redirected URL, or that whole URL in quotes',
    );
  }
  let code = arg.trim();
  let state: string | undefined;
  const pasted = /[?&=]/.test(code);
  if (pasted) {
    try {
      ({ code, state } = parsePastedRedirect(code));
    } catch (err) {
      const hint = /no "code="/.test((err as Error).message) ? quoteHint : '';
      throw new CliExit(EXIT.CODE_CHARACTERS, `${(err as Error).message}${hint}`);
    }
  }
  if (code.length !== 32) {
    const what = isCommandWord
      ? `"${code.slice(0, 40)}" is not a command (usage, display, current, refresh, authorize-url), and as a code it`
      : 'The code';
    throw new CliExit(
      EXIT.CODE_LENGTH,
      `${what} must be 32 characters long, not ${code.length}: copy the part after "code=" in the redirected URL`,
    );
  }
  if (!/^[A-Za-z0-9]+$/.test(code)) {
    throw new CliExit(EXIT.CODE_CHARACTERS, 'The code must be letters and digits only: copy the part after "code=" and before any "&"');
  }
  return { code, state, pasted };
}

/** A pasted URL's state must be the one authorize-url remembered, if it remembered one. */
async function checkState(ctx: Ctx, pasted: boolean, state: string | undefined): Promise<boolean> {
  const expected = await readState(ctx.opts.dir);
  if (expected === undefined) return false;
  if (!pasted) {
    ctx.io.debug(`a bare code was given: the state in ${FILES.state} is not checked`);
    return true;
  }
  if (state !== expected) {
    throw new CliExit(
      EXIT.STATE_MISMATCH,
      `The URL's state ${state === undefined ? 'is missing' : 'is not the one'} made by the last authorize-url (${FILES.state} in ${ctx.opts.dir}): ` +
        'paste the URL the browser reached after opening the latest authorize-url; nothing was sent to Netatmo',
    );
  }
  ctx.io.debug('state checked: it matches the one made by authorize-url');
  return true;
}

function printTokens(ctx: Ctx, t: TokenSet): void {
  const r = ctx.opts.showTokens;
  ctx.io.out(`atoken ${shown(t.access_token, r)}`, r);
  ctx.io.out(`rtoken ${shown(t.refresh_token, r)}`, r);
  ctx.io.out(`etoken ${expiresIn(t)}`);
}

function printWrites(ctx: Ctx, t: TokenSet): void {
  const r = ctx.opts.showTokens;
  // The manual's wording ("succesful"), kept for scripts that look for it.
  ctx.io.out(`Write succesful ${shown(t.access_token, r)} in file ${FILES.access}`, r);
  ctx.io.out(`Write succesful ${shown(t.refresh_token, r)} in file ${FILES.refresh}`, r);
  ctx.io.out(`Write succesful ${unix(t.expires_at)} in file ${FILES.expire}`);
}

/** On a terminal only: a run from cron stays silent on stderr when it succeeds. */
function shortenedNote(ctx: Ctx): void {
  if (!ctx.opts.showTokens) ctx.io.hint('(tokens are shortened to 4 characters after their "|" here; --show-tokens prints them in full)');
}

/** The core's TokenManager on either store, for one command: no timer, stopped when done. */
async function withManager<T>(
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

/**
 * Under the store's lock, a pair that another run stored since this one read the store is adopted;
 * else a new pair is requested, and stored before it is printed. An invalid_grant marks the login.
 */
async function forcedRefresh(mgr: TokenManager): Promise<TokenSet> {
  await mgr.start();
  return mgr.refresh({ force: true });
}

/**
 * A failure of the PHP script's folder as the manual's exit code: the file that could not be written
 * (31, 33, 35) or was not there after writing (30, 32, 34), else the lock (33). `after` says what a
 * failure means once Netatmo was asked (the code or the refresh token is spent).
 */
function folderFailure(e: NetatmoError, store: FolderTokenStore, spent: boolean, after: (file: string) => string): CliExit {
  const w = store.lastWriteError;
  if (!w) {
    const locked = /locked by another process/.test(e.message) ? ': another refresh is running or hung; try again later' : '';
    return new CliExit(EXIT.REFRESH_NOT_WRITTEN, `${e.message}${locked}`);
  }
  const codes = TOKEN_FILE_EXIT[w.fileName];
  const what = spent ? after(w.fileName) : 'Nothing was sent to Netatmo';
  return new CliExit(w.problem === 'not-there' ? codes.notThere : codes.notWritten, `${w.message}. ${what}`);
}

// ------------------------------------------------------------------ display

export async function display(ctx: Ctx): Promise<number> {
  const lines = await readParameterLines(ctx.opts.dir);
  const hide = !ctx.opts.showSecret;
  ctx.io.out('-----------------------------------------------------------------------------------');
  lines.forEach((line, i) => {
    const text = hide
      ? line.trim().replace(SECRET_VALUE, (_m, key: string, sep: string, value: string) => {
          ctx.io.redactor.add(value);
          return `${key}${sep.includes('=') ? '=' : sep}${shown(value, false)}`;
        })
      : line.trim();
    ctx.io.out(`Line #${i} ${text}`, !hide);
  });
  ctx.io.out('-----------------------------------------------------------------------------------');
  if (hide) ctx.io.hint('(client_secret is shortened to 4 characters; --show-secret prints it)');
  parseParameters(lines, false); // exit 10 with the first problem, after showing the lines
  return EXIT.DISPLAY;
}

/**
 * The value of any "...secret" key, whatever the line structure (misspelt, without "=", several
 * keys on one line): up to the next `key=`, an "&" or the end of the line.
 */
const SECRET_VALUE = /([^=\s&]*secret[^=\s&]*)(\s*=\s*|\s+)(\S[^&]*?)(?=\s+[^\s=&]+\s*=|&|\s*$)/gi;

// ------------------------------------------------------------------ authorize-url

export async function authorizeUrl(ctx: Ctx): Promise<number> {
  let p: Partial<Parameters>;
  let base: string;
  if (ctx.opts.store) {
    const sc = storeContext(ctx);
    p = await storeParameters(ctx, ['client_id', 'redirect_uri', 'scope']);
    base = apiBase(ctx, sc);
  } else {
    p = await folderParameters(ctx, true);
    base = apiBase(ctx);
  }
  const state = randomBytes(24).toString('base64url'); // 192 bits
  await writeState(ctx.opts.dir, state);
  const url = new OAuthClient({ clientId: p.client_id as string, clientSecret: '', apiBase: base }).authorizeUrl({
    redirectUri: p.redirect_uri as string,
    scope: p.scope as string,
    state,
  });
  ctx.io.debug(`state remembered in ${path.join(ctx.opts.dir, FILES.state)} (0600)`);
  ctx.io.out(url);
  const codeCmd = `${dirOption(ctx)}${ctx.opts.store ? ` --store ${ctx.opts.store} --account ${ctx.opts.account}` : ''}`;
  ctx.io.err(
    `Open this URL in a browser, log in to Netatmo and accept. The browser is then sent to ${p.redirect_uri}?state=...&code=... ` +
      `(the page itself may not load: that is fine). Copy that whole address and run, within a few minutes: ` +
      `netatmo-tokens '<address>'${codeCmd}`,
  );
  return EXIT.OK;
}

// ------------------------------------------------------------------ code

export async function code(ctx: Ctx, arg: string | undefined, isCommandWord: boolean): Promise<number> {
  const parsed = parseCodeArgument(arg, isCommandWord);
  ctx.io.redactor.add(parsed.code);
  return ctx.opts.store ? codeToStore(ctx, parsed) : codeToFolder(ctx, parsed);
}

async function codeToFolder(ctx: Ctx, arg: { code: string; state?: string; pasted: boolean }): Promise<number> {
  const { dir } = ctx.opts;
  const p = await folderParameters(ctx, true);
  const hadState = await checkState(ctx, arg.pasted, arg.state);
  await preflight(dir);
  const store = new FolderTokenStore({ dir });
  const client = new CliClient({ clientId: p.client_id, clientSecret: p.client_secret, apiBase: apiBase(ctx) }, ctx.io);
  let t: TokenSet;
  try {
    t = await withManager(ctx, store, 'folder', client, (m) => m.authorizeWithCode(arg.code, p.redirect_uri, p.scope));
  } catch (err) {
    const e = asNetatmoError(err);
    if (e.code === 'STORE' || e.code === 'STORE_CORRUPT') {
      throw folderFailure(e, store, client.requests > 0, (file) =>
        file === FILES.refresh
          ? `The new tokens are lost and the code is spent: ${howto(ctx)}`
          : `The new refresh token is saved in ${FILES.refresh}: fix the problem, then run refresh`,
      );
    }
    throw new CliExit(EXIT.CODE_HTTP, oauthFailure(ctx, e, 'code', FILES.refresh));
  } finally {
    if (hadState && client.requests) await removeState(dir); // the code is spent either way
  }
  ctx.io.out(`----------------${shown(arg.code, ctx.opts.showTokens)}------------`, ctx.opts.showTokens);
  ctx.io.out(RULE);
  ctx.io.out(RULE);
  printTokens(ctx, t);
  printWrites(ctx, t);
  ctx.io.out(RULE);
  shortenedNote(ctx);
  return EXIT.OK;
}

async function codeToStore(ctx: Ctx, arg: { code: string; state?: string; pasted: boolean }): Promise<number> {
  const sc = storeContext(ctx);
  const p = await storeParameters(ctx, ['client_id', 'client_secret', 'redirect_uri', 'scope']);
  const hadState = await checkState(ctx, arg.pasted, arg.state);
  // The file Node-RED will read must be encrypted with Node-RED's secret: an existing file proves ours is right.
  await peek(ctx, sc, EXIT.REFRESH_NOT_WRITTEN);
  const file = sc.store.file(sc.accountId);
  const st = await fs.stat(file).catch(() => undefined);
  if (st && !st.isFile())
    throw new CliExit(EXIT.REFRESH_NOT_WRITTEN, `${file} is not a regular file: it cannot be written; nothing was sent to Netatmo`);
  const client = new CliClient(
    { clientId: p.client_id as string, clientSecret: p.client_secret as string, apiBase: apiBase(ctx, sc) },
    ctx.io,
  );
  let t: TokenSet;
  try {
    t = await withManager(ctx, sc.store, sc.accountId, client, (m) =>
      m.authorizeWithCode(arg.code, p.redirect_uri as string, p.scope as string),
    );
  } catch (err) {
    const e = asNetatmoError(err);
    if (e.code === 'STORE' || e.code === 'STORE_CORRUPT') {
      throw new CliExit(
        EXIT.REFRESH_NOT_WRITTEN,
        `${e.message}. ${client.requests ? `The code is spent: ${howto(ctx)}` : 'Nothing was sent to Netatmo'}`,
      );
    }
    throw new CliExit(EXIT.CODE_HTTP, oauthFailure(ctx, e, 'code', file));
  } finally {
    if (hadState && client.requests) await removeState(ctx.opts.dir);
  }
  ctx.io.out(RULE);
  printTokens(ctx, t);
  ctx.io.out(`Stored in ${file}${sc.secret.secret ? ' (encrypted)' : ''} for the Node-RED account ${sc.accountId}`);
  ctx.io.out(RULE);
  shortenedNote(ctx);
  ctx.io.hint('Node-RED picks the new login up at its next token request.');
  return EXIT.OK;
}

function debugLogger(ctx: Ctx): Logger {
  const d = (m: string): void => ctx.io.debug(m);
  return { debug: d, info: d, warn: d, error: d };
}

// ------------------------------------------------------------------ current

export async function current(ctx: Ctx): Promise<number> {
  return ctx.opts.store ? currentOfStore(ctx) : currentOfFolder(ctx);
}

async function currentOfFolder(ctx: Ctx): Promise<number> {
  const { dir, showTokens: r } = ctx.opts;
  const need = async (name: string, exitCode: number, then: string): Promise<string> => {
    const f = await readTokenFile(dir, name);
    if (f.value === undefined) throw new CliExit(exitCode, `${f.problem}: ${then}`);
    return f.value;
  };
  const first = 'run the code step first (netatmo-tokens authorize-url, then netatmo-tokens <code>)';
  const access = await need(FILES.access, EXIT.CURRENT_NO_ACCESS, first);
  const refresh = await need(FILES.refresh, EXIT.CURRENT_NO_REFRESH, first);
  const expireText = await need(FILES.expire, EXIT.CURRENT_NO_EXPIRE, first);
  ctx.io.redactor.add(access, refresh);
  if (!/^\d{1,12}$/.test(expireText)) {
    throw new CliExit(EXIT.CURRENT_NO_EXPIRE, `${FILES.expire} does not hold a Unix time (seconds): run refresh to write it again`);
  }
  const expiresAt = Number(expireText);
  const now = ctx.now();
  if (ctx.opts.json) {
    const out: Record<string, unknown> = {
      source: 'folder',
      dir,
      expires_at: expiresAt,
      expires_at_iso: isoUtc(expiresAt),
      expires_in_s: expiresAt - unix(now),
      expired: expiresAt <= unix(now),
    };
    if (r) Object.assign(out, { access_token: access, refresh_token: refresh });
    ctx.io.out(JSON.stringify(out), r);
    return EXIT.CURRENT;
  }
  ctx.io.out(RULE);
  ctx.io.out(`${FILES.access}  : ${shown(access, r)}`, r);
  ctx.io.out(`${FILES.refresh} : ${shown(refresh, r)}`, r);
  ctx.io.out(`${FILES.expire}   : ${expiresAt} (${isoUtc(expiresAt)})`);
  ctx.io.out(expiryLine(expiresAt, now));
  ctx.io.out(RULE);
  shortenedNote(ctx);
  return EXIT.CURRENT;
}

async function currentOfStore(ctx: Ctx): Promise<number> {
  const r = ctx.opts.showTokens;
  const sc = storeContext(ctx);
  const acc = await peek(ctx, sc, EXIT.CURRENT_NO_ACCESS);
  if (!acc) throw new CliExit(EXIT.CURRENT_NO_ACCESS, await noLoginMessage(sc));
  const file = sc.store.file(sc.accountId);
  const encrypted = await isEncrypted(file);
  const t = acc.tokens;
  const expiresAt = unix(t.expires_at);
  const now = ctx.now();
  if (ctx.opts.json) {
    const out: Record<string, unknown> = {
      source: 'store',
      file,
      account: sc.accountId,
      encrypted,
      status: acc.invalid ? 'reauthorize' : expiresAt <= unix(now) ? 'expired' : 'ok',
      expires_at: expiresAt,
      expires_at_iso: isoUtc(expiresAt),
      expires_in_s: expiresAt - unix(now),
      expired: expiresAt <= unix(now),
      scope: t.scope,
      obtained_at: unix(t.obtained_at),
    };
    if (acc.invalid) out.invalid = { code: acc.invalid.code, message: acc.invalid.message, at: unix(acc.invalid.at) };
    if (r) Object.assign(out, { access_token: t.access_token, refresh_token: t.refresh_token });
    ctx.io.out(JSON.stringify(out), r);
    return EXIT.CURRENT;
  }
  ctx.io.out(RULE);
  ctx.io.out(`Node-RED account ${sc.accountId}: ${file}${encrypted ? ' (encrypted)' : ''}`);
  ctx.io.out(`access_token  : ${shown(t.access_token, r)}`, r);
  ctx.io.out(`refresh_token : ${shown(t.refresh_token, r)}`, r);
  ctx.io.out(`scope         : ${t.scope.join(' ') || '(none)'}`);
  ctx.io.out(`obtained      : ${isoUtc(unix(t.obtained_at))}`);
  ctx.io.out(`expire time   : ${expiresAt} (${isoUtc(expiresAt)})`);
  ctx.io.out(expiryLine(expiresAt, now));
  if (acc.invalid) {
    ctx.io.out(`Netatmo refused this login at ${isoUtc(unix(acc.invalid.at))} (${acc.invalid.code}): ${howto(ctx)}`);
  }
  ctx.io.out(RULE);
  shortenedNote(ctx);
  return EXIT.CURRENT;
}

// ------------------------------------------------------------------ refresh

export async function refresh(ctx: Ctx): Promise<number> {
  return ctx.opts.store ? refreshStore(ctx) : refreshFolder(ctx);
}

/**
 * Through TokenManager, as Node-RED refreshes: under the folder's lock (file_refresh_token.txt.lock),
 * a pair that another run stored while this one waited is adopted (two cron jobs at once cost one
 * token request); else the refresh token is sent and the new pair written before it is printed.
 */
async function refreshFolder(ctx: Ctx): Promise<number> {
  const { dir } = ctx.opts;
  const p = await folderParameters(ctx, false);
  // The manual's codes for a folder without a login (50, 51) and for files that cannot be written.
  const expire = await readTokenFile(dir, FILES.expire);
  if (expire.value === undefined) {
    throw new CliExit(
      EXIT.REFRESH_NO_EXPIRE,
      `${expire.problem}: run the code step first (netatmo-tokens <code>); if you copied a refresh token into ${FILES.refresh} by hand, write 0 in ${FILES.expire}`,
    );
  }
  const rt = await readTokenFile(dir, FILES.refresh);
  if (rt.value === undefined) throw new CliExit(EXIT.REFRESH_NO_TOKEN, `${rt.problem}: ${howto(ctx)}`);
  ctx.io.redactor.add(rt.value);
  await preflight(dir);
  const store = new FolderTokenStore({ dir });
  const client = new CliClient({ clientId: p.client_id, clientSecret: p.client_secret, apiBase: apiBase(ctx) }, ctx.io);
  let t: TokenSet;
  try {
    t = await withManager(ctx, store, 'folder', client, forcedRefresh);
  } catch (err) {
    const e = asNetatmoError(err);
    if (e.code === 'NOT_AUTHORIZED') throw new CliExit(EXIT.REFRESH_NO_TOKEN, `${FILES.refresh} does not exist in ${dir}: ${howto(ctx)}`);
    if (e.code === 'STORE' || e.code === 'STORE_CORRUPT') {
      throw folderFailure(e, store, client.requests > 0, (file) =>
        file === FILES.refresh
          ? `Netatmo has already replaced the refresh token and the new one could not be saved: ${howto(ctx)}`
          : `The new refresh token is saved in ${FILES.refresh}: fix the problem, then run refresh again`,
      );
    }
    throw new CliExit(EXIT.REFRESH_HTTP, oauthFailure(ctx, e, 'refresh', FILES.refresh));
  }
  ctx.io.out(RULE);
  printTokens(ctx, t);
  if (client.requests === 0) {
    ctx.io.out('Another run stored a new pair while this one waited for the lock: it was adopted, nothing was sent to Netatmo');
  } else {
    printWrites(ctx, t);
  }
  ctx.io.out(RULE);
  shortenedNote(ctx);
  return EXIT.REFRESH;
}

/**
 * Through TokenManager (the runtime's own code): under the store's lock, re-read the stored pair;
 * if Node-RED stored a new one since we looked, adopt it; else refresh and persist before printing.
 */
async function refreshStore(ctx: Ctx): Promise<number> {
  const sc = storeContext(ctx);
  const p = await storeParameters(ctx, ['client_id', 'client_secret']);
  const before = await peek(ctx, sc, EXIT.REFRESH_NO_TOKEN);
  if (!before) throw new CliExit(EXIT.REFRESH_NO_TOKEN, await noLoginMessage(sc));
  const file = sc.store.file(sc.accountId);
  const client = new CliClient(
    { clientId: p.client_id as string, clientSecret: p.client_secret as string, apiBase: apiBase(ctx, sc) },
    ctx.io,
  );
  let t: TokenSet;
  try {
    t = await withManager(ctx, sc.store, sc.accountId, client, forcedRefresh);
  } catch (err) {
    const e = asNetatmoError(err);
    if (e.code === 'NOT_AUTHORIZED') throw new CliExit(EXIT.REFRESH_NO_TOKEN, await noLoginMessage(sc));
    if (e.code === 'CONFIG') throw new CliExit(EXIT.PARAMETERS, e.message);
    if (e.code === 'STORE' || e.code === 'STORE_CORRUPT') {
      const spent = client.requests
        ? ` If Netatmo answered, its new refresh token could not be saved: ${howto(ctx)}`
        : ' Nothing was sent to Netatmo.';
      throw new CliExit(EXIT.REFRESH_NOT_WRITTEN, `${e.message}.${spent}`);
    }
    throw new CliExit(EXIT.REFRESH_HTTP, oauthFailure(ctx, e, 'refresh', file));
  }
  ctx.io.out(RULE);
  printTokens(ctx, t);
  if (client.requests === 0) {
    ctx.io.out(`Another process (Node-RED) stored a new pair while this command waited: it was adopted, nothing was sent to Netatmo`);
  } else {
    ctx.io.out(`Stored in ${file}${sc.secret.secret ? ' (encrypted)' : ''} for the Node-RED account ${sc.accountId}`);
  }
  ctx.io.out(RULE);
  shortenedNote(ctx);
  return EXIT.REFRESH;
}
