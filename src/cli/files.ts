/**
 * The PHP script's folder: file_parameters.txt (written by the user) and the three token
 * files (written by us, as the script did, but atomically and private).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TOKEN_FILES, TokenFileName, writeFileAtomic } from '../core/token/folder-store';
import { parseScope } from '../core/token/scopes';
import { checkClientId, checkClientSecret, checkRedirectUri } from '../core/shared/validate';
import { CliExit, EXIT } from './exit';

export const FILES = {
  parameters: 'file_parameters.txt',
  ...TOKEN_FILES,
  state: 'file_state.txt',
} as const;

export const PARAMETER_KEYS = ['client_id', 'client_secret', 'scope', 'redirect_uri'] as const;
export type ParameterKey = (typeof PARAMETER_KEYS)[number];
export type Parameters = Record<ParameterKey, string>;

const FILE_MODE = 0o600;

const errno = (err: unknown): string => (err as NodeJS.ErrnoException)?.code ?? 'error';

/** The lines of file_parameters.txt as written (a final newline, a BOM, CRLF and old Mac CR-only line ends are tolerated). */
export async function readParameterLines(dir: string): Promise<string[]> {
  const file = path.join(dir, FILES.parameters);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') {
      throw new CliExit(
        EXIT.PARAMETERS,
        `${FILES.parameters} does not exist in ${dir}: create it with four lines client_id=, client_secret=, scope=, redirect_uri= (values from your app at dev.netatmo.com)`,
      );
    }
    throw new CliExit(EXIT.PARAMETERS, `${FILES.parameters} in ${dir} cannot be read (${errno(err)}): check its owner and permissions`);
  }
  text = text.replace(/^\uFEFF/, '').replace(/(\r\n|\r|\n)$/, '');
  return text === '' ? [] : text.split(/\r\n|\r|\n/);
}

export interface ParsedLine {
  key?: string;
  value?: string;
}

/** `key=value`: the value is everything right of the first `=`, trimmed. */
export function splitLine(line: string): ParsedLine {
  const eq = line.indexOf('=');
  if (eq < 0) return {};
  return { key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() };
}

/**
 * Checks the four lines as the manual asks. Throws CliExit(10) naming the line and what to do.
 * The scope is checked strictly only when it is sent (`strictScope`: code, authorize-url): the
 * PHP script never sent it on a refresh, so a scope it accepted must not stop a refresh.
 */
export function parseParameters(lines: string[], strictScope = true): Parameters {
  const where = FILES.parameters;
  if (lines.length !== 4) {
    throw new CliExit(
      EXIT.PARAMETERS,
      `${where} has ${lines.length} line${lines.length === 1 ? '' : 's'}; it must have exactly four: client_id=, client_secret=, scope=, redirect_uri= (no blank line, no comment)`,
    );
  }
  const found: Partial<Parameters> = {};
  lines.forEach((line, i) => {
    const { key, value } = splitLine(line);
    if (key === undefined || value === undefined) {
      throw new CliExit(EXIT.PARAMETERS, `Line #${i} of ${where} has no "=": write key=value, and change only the right of "="`);
    }
    if (!(PARAMETER_KEYS as readonly string[]).includes(key)) {
      throw new CliExit(
        EXIT.PARAMETERS,
        `Line #${i} of ${where} has the unknown key "${key.slice(0, 40)}": the keys are ${PARAMETER_KEYS.join(', ')}`,
      );
    }
    const k = key as ParameterKey;
    if (found[k] !== undefined) throw new CliExit(EXIT.PARAMETERS, `Line #${i} of ${where} repeats the key ${k}: each key appears once`);
    if (value === '') throw new CliExit(EXIT.PARAMETERS, `Line #${i} of ${where}: ${k} has no value after "="`);
    found[k] = value;
  });
  const p = found as Parameters;
  return { ...p, ...checkParameterValues(p, where, true, strictScope) };
}

/** Value checks shared with values given on the command line (`where` names their origin). */
export function checkParameterValues(p: Partial<Parameters>, where: string, requireSlash = true, strictScope = true): Partial<Parameters> {
  const out: Partial<Parameters> = {};
  const bad = (message: string): never => {
    throw new CliExit(EXIT.PARAMETERS, `${where}: ${message}`);
  };
  try {
    if (p.client_id !== undefined) out.client_id = checkClientId(p.client_id);
    if (p.client_secret !== undefined) out.client_secret = checkClientSecret(p.client_secret);
    if (p.redirect_uri !== undefined) out.redirect_uri = checkRedirectUri(p.redirect_uri);
  } catch (err) {
    bad((err as Error).message);
  }
  // The manual's rule for file_parameters.txt; a Node-RED account's callback URI may end otherwise.
  if (requireSlash && out.redirect_uri !== undefined && !out.redirect_uri.endsWith('/')) {
    bad(`redirect_uri must end with "/" (e.g. http://localhost/), exactly as registered in your app at dev.netatmo.com`);
  }
  if (p.scope !== undefined) {
    try {
      out.scope = parseScope(decodeScope(p.scope)).join(' ');
    } catch (err) {
      if (strictScope) bad(`scope: ${(err as Error).message}; scopes are separated by spaces, e.g. read_station read_thermostat`);
    }
  }
  return out;
}

/** A scope copied from an authorize URL: `%20` and `+` are spaces (a trailing one is dropped by parseScope). */
export function decodeScope(scope: string): string {
  return scope.replace(/%20|\+/gi, ' ').replace(/%2C/gi, ',');
}

/** The trimmed content of a token file, or undefined when it does not exist (or is not a readable file). */
export async function readTokenFile(dir: string, name: string): Promise<{ value?: string; problem?: string }> {
  try {
    const text = (await fs.readFile(path.join(dir, name), 'utf8')).trim();
    return text ? { value: text } : { problem: `${name} is empty` };
  } catch (err) {
    if (errno(err) === 'ENOENT') return { problem: `${name} does not exist in ${dir}` };
    return { problem: `${name} in ${dir} cannot be read (${errno(err)})` };
  }
}

/** The manual's codes for a token file: "does not exist" after writing, and "cannot be written". */
export const TOKEN_FILE_EXIT: Record<TokenFileName, { notThere: number; notWritten: number }> = {
  [FILES.refresh]: { notThere: EXIT.REFRESH_NOT_THERE, notWritten: EXIT.REFRESH_NOT_WRITTEN },
  [FILES.access]: { notThere: EXIT.ACCESS_NOT_THERE, notWritten: EXIT.ACCESS_NOT_WRITTEN },
  [FILES.expire]: { notThere: EXIT.EXPIRE_NOT_THERE, notWritten: EXIT.EXPIRE_NOT_WRITTEN },
};

/**
 * Before a code or a refresh token is spent at Netatmo: can the three files be written?
 * A folder that cannot take a new file, or a target that is not a regular file, stops us
 * while the code/refresh token is still good.
 */
export async function preflight(dir: string): Promise<void> {
  // In the order the store writes them: the refresh token first.
  const names = [FILES.refresh, FILES.access, FILES.expire] as const;
  for (const name of names) {
    const notWritten = TOKEN_FILE_EXIT[name].notWritten;
    const file = path.join(dir, name);
    let st;
    try {
      st = await fs.stat(file);
    } catch (err) {
      if (errno(err) === 'ENOENT') continue;
      throw new CliExit(notWritten, `${name} cannot be written (${errno(err)}); nothing was sent to Netatmo`);
    }
    if (!st.isFile()) {
      throw new CliExit(notWritten, `${name} cannot be written: ${file} is not a regular file (a folder?); nothing was sent to Netatmo`);
    }
  }
  const probe = path.join(dir, `.netatmo-tokens-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await fs.open(probe, 'wx', FILE_MODE);
    await fh.close();
    await fs.unlink(probe);
  } catch (err) {
    throw new CliExit(EXIT.REFRESH_NOT_WRITTEN, `The token files cannot be written in ${dir} (${errno(err)}); nothing was sent to Netatmo`);
  }
}

export async function readState(dir: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(path.join(dir, FILES.state), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function writeState(dir: string, state: string): Promise<void> {
  try {
    await writeFileAtomic(path.join(dir, FILES.state), state);
  } catch (err) {
    throw new CliExit(EXIT.OTHER, `${FILES.state} cannot be written in ${dir} (${errno(err)}): check the folder's owner and permissions`);
  }
}

export async function removeState(dir: string): Promise<void> {
  await fs.rm(path.join(dir, FILES.state), { force: true }).catch(() => undefined);
}
