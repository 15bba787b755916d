/**
 * The commands. The OAuth calls, both stores (the PHP script's folder, a Node-RED account's file),
 * their locks and the refresh logic (TokenManager) are the core's; the commands read arguments and
 * parameters, call the core, turn its errors into the manual's exit codes, and print. This file
 * holds the two that write no login (display, authorize-url); code and refresh are in write.ts
 * (once for both modes, see modes.ts), current in current.ts.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { OAuthClient } from '../core/token/oauth';
import { Ctx, whereOptions } from './context';
import { EXIT } from './exit';
import { FILES, parseParameters, readParameterLines, writeState } from './files';
import { shown } from './io';
import { openMode } from './modes';

export type { Ctx, Options } from './context';
export { current } from './current';
export { code, refresh } from './write';

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
  const mode = openMode(ctx);
  const p = await mode.parameters('authorize-url');
  const state = randomBytes(24).toString('base64url'); // 192 bits
  await writeState(ctx.opts.dir, state);
  const url = new OAuthClient({ clientId: p.client_id, clientSecret: '', apiBase: mode.apiBase }).authorizeUrl({
    redirectUri: p.redirect_uri,
    scope: p.scope,
    state,
  });
  ctx.io.debug(`state remembered in ${path.join(ctx.opts.dir, FILES.state)} (0600)`);
  ctx.io.out(url);
  ctx.io.err(
    `Open this URL in a browser, log in to Netatmo and accept. The browser is then sent to ${p.redirect_uri}?state=...&code=... ` +
      `(the page itself may not load: that is fine). Copy that whole address and run, within a few minutes: ` +
      `netatmo-tokens '<address>'${whereOptions(ctx)}`,
  );
  return EXIT.OK;
}
