/**
 * The two commands that write a login, `code` and `refresh`, written once for both modes (the PHP
 * script's folder, a Node-RED account): each reads its parameters from the mode, asks the core's
 * TokenManager on the mode's TokenStore, turns a failure into the manual's exit code, and prints.
 */
import { asNetatmoError } from '../core/shared/errors';
import { TokenManager } from '../core/token/manager';
import { TokenSet } from '../core/token/oauth';
import { parsePastedRedirect, pastedShape } from '../core/token/paste';
import { CliClient } from './client';
import { Ctx, oauthFailure, printTokens, shortenedNote, withManager } from './context';
import { CliExit, EXIT } from './exit';
import { FILES, Parameters, readState, removeState } from './files';
import { RULE } from './io';
import { Mode, Verb, openMode } from './modes';

interface CodeArgument {
  code: string;
  state?: string;
  pasted: boolean;
}

/** The code, from a bare code (the manual's way) or the whole redirected URL (the core's paste rule). */
function parseCodeArgument(arg: string | undefined, isCommandWord: boolean): CodeArgument {
  const quoteHint = ' (put the URL in single quotes: the shell cuts it at "&")';
  if (arg === undefined || arg.trim() === '') {
    throw new CliExit(
      EXIT.CODE_LENGTH,
      'The code is missing: give the 32 characters after "code=" in the redirected URL, or that whole URL in quotes',
    );
  }
  let code = arg.trim();
  let state: string | undefined;
  const pasted = pastedShape(code) === 'url';
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

/**
 * Asks the TokenManager on the mode's store; a failure becomes the manual's exit code. `spent`
 * runs once the outcome is known, whatever it is, with the number of requests sent to Netatmo.
 */
async function ask(
  ctx: Ctx,
  mode: Mode,
  verb: Verb,
  p: Parameters,
  call: (mgr: TokenManager) => Promise<TokenSet>,
  spent?: (requests: number) => Promise<void>,
): Promise<{ tokens: TokenSet; requests: number }> {
  const client = new CliClient({ clientId: p.client_id, clientSecret: p.client_secret, apiBase: mode.apiBase }, ctx.io);
  try {
    return { tokens: await withManager(ctx, mode.store, mode.accountId, client, call), requests: client.requests };
  } catch (err) {
    const e = asNetatmoError(err);
    throw (
      (await mode.failure(e, verb, client.requests > 0)) ??
      new CliExit(verb === 'code' ? EXIT.CODE_HTTP : EXIT.REFRESH_HTTP, oauthFailure(ctx, e, verb, mode.where))
    );
  } finally {
    await spent?.(client.requests);
  }
}

/** The new pair, then what was stored (or that another process's pair was adopted). */
function printPair(ctx: Ctx, mode: Mode, got: { tokens: TokenSet; requests: number }): void {
  ctx.io.out(RULE);
  printTokens(ctx, got.tokens);
  if (got.requests === 0) ctx.io.out(mode.adopted);
  else mode.printStored(got.tokens);
  ctx.io.out(RULE);
  shortenedNote(ctx);
}

// ------------------------------------------------------------------ code

export async function code(ctx: Ctx, arg: string | undefined, isCommandWord: boolean): Promise<number> {
  const parsed = parseCodeArgument(arg, isCommandWord);
  ctx.io.redactor.add(parsed.code);
  const mode = openMode(ctx);
  const p = await mode.parameters('code');
  const hadState = await checkState(ctx, parsed.pasted, parsed.state);
  await mode.prepare('code');
  const got = await ask(
    ctx,
    mode,
    'code',
    p,
    (m) => m.authorizeWithCode(parsed.code, p.redirect_uri, p.scope),
    async (requests) => {
      if (hadState && requests) await removeState(ctx.opts.dir); // the code is spent either way
    },
  );
  mode.codeHead(parsed.code);
  printPair(ctx, mode, got);
  if (mode.codeHint) ctx.io.hint(mode.codeHint);
  return EXIT.OK;
}

// ------------------------------------------------------------------ refresh

/**
 * Through TokenManager, as Node-RED refreshes: under the store's lock (for the folder,
 * file_refresh_token.txt.lock), a pair that another process stored while this one waited is
 * adopted (two cron jobs at once cost one token request); else the refresh token is sent and the
 * new pair stored before it is printed. An invalid_grant marks the login.
 */
export async function refresh(ctx: Ctx): Promise<number> {
  const mode = openMode(ctx);
  const p = await mode.parameters('refresh');
  await mode.prepare('refresh');
  const got = await ask(ctx, mode, 'refresh', p, async (m) => {
    await m.start();
    return m.refresh({ force: true });
  });
  printPair(ctx, mode, got);
  return EXIT.REFRESH;
}
