/**
 * `current`: what the folder or the Node-RED account holds now, read without a lock and without
 * asking Netatmo (the tokens shortened unless --show-tokens; --json for scripts).
 */
import { promises as fs } from 'node:fs';
import { fileStatus, storedState } from '../core/token/account-state';
import { Ctx, howto, shortenedNote, unix } from './context';
import { CliExit, EXIT } from './exit';
import { FILES, readTokenFile } from './files';
import { RULE, expiryLine, isoUtc, shown } from './io';
import { peek, storeContext } from './modes';
import { noLoginMessage } from './nodered';

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
      status: fileStatus(storedState(acc), expiresAt <= unix(now)),
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

async function isEncrypted(file: string): Promise<boolean> {
  try {
    return Boolean((JSON.parse(await fs.readFile(file, 'utf8')) as { encrypted?: unknown }).encrypted);
  } catch {
    return false;
  }
}
