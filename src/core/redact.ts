/** Shows the first 4 characters of a secret, enough to tell two tokens apart in a log. */
export function redact(secret: string | undefined | null): string {
  if (!secret) return '(none)';
  return `${secret.slice(0, 4)}…`;
}

/**
 * Removes every known secret from a text. Used on every log line, so that a
 * mistake elsewhere (a token inside an error description) still cannot leak.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(...values: Array<string | undefined | null>): void {
    for (const v of values) if (v && v.length >= 6) this.secrets.add(v);
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(redact(s));
    return out;
  }
}

/** Parses `NA_DEBUG` as the seed script does: 1/true on, 0/false/unset off. */
export function debugEnabled(value: string | undefined = process.env.NA_DEBUG): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
