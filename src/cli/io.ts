/** Printing: stdout for results, stderr for messages and NA_DEBUG lines; known secrets scrubbed. */
import { Redactor, debugEnabled, redact } from '../core/shared/redact';

export interface Io {
  readonly debugOn: boolean;
  readonly redactor: Redactor;
  /** A result line on stdout; known secrets are shortened unless `reveal` (--show-tokens, --show-secret). */
  out(line: string, reveal?: boolean): void;
  /** A message on stderr (instructions, notes, the error line); always scrubbed. */
  err(line: string): void;
  /** A note for a person (tokens shortened, what comes next): on stderr when it is a terminal, else nowhere. */
  hint(line: string): void;
  /** A NA_DEBUG line on stderr; always scrubbed. */
  debug(line: string): void;
}

export function createIo(env: NodeJS.ProcessEnv = process.env): Io {
  const redactor = new Redactor();
  const debugOn = debugEnabled(env.NA_DEBUG);
  return {
    debugOn,
    redactor,
    out: (line, reveal = false) => process.stdout.write(`${reveal ? line : redactor.scrub(line)}\n`),
    err: (line) => process.stderr.write(`${redactor.scrub(line)}\n`),
    // A successful run from cron (stderr a file or a pipe) writes nothing there: no mail at every run.
    hint: (line) => {
      if (process.stderr.isTTY) process.stderr.write(`${redactor.scrub(line)}\n`);
    },
    debug: (line) => {
      if (debugOn) process.stderr.write(`[NA_DEBUG] ${redactor.scrub(line)}\n`);
    },
  };
}

/**
 * A token as printed: in full with --show-tokens, else shortened. Netatmo's tokens are
 * `<user id>|<random>`, the user id the same in every token: the 4 characters kept are the
 * first after the "|" (`…|3f2a…`), so that two runs show two different tokens.
 */
export function shown(value: string, reveal: boolean): string {
  if (reveal) return value;
  const bar = value.indexOf('|');
  return bar >= 0 && value.length - bar > 6 ? `…|${redact(value.slice(bar + 1))}` : redact(value);
}

/** 1737385729 -> 2025-01-20T15:08:49Z */
export function isoUtc(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function expiryLine(expiresAtUnix: number, nowMs: number): string {
  const left = expiresAtUnix - Math.floor(nowMs / 1000);
  return left > 0
    ? `The access token expires in ${left} s, at ${isoUtc(expiresAtUnix)}`
    : `The access token expired ${-left} s ago, at ${isoUtc(expiresAtUnix)}: run refresh`;
}

export const RULE = '--------------------------------------------------------------------------';
