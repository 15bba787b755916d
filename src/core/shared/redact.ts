/** Shows the first 4 characters of a secret, enough to tell two tokens apart in a log. */
export function redact(secret: string | undefined | null): string {
  if (!secret) return '(none)';
  return `${secret.slice(0, 4)}…`;
}

/** This many characters in a row of a known secret are a leak too: a token cut in half still is one. */
export const REDACT_PART = 12;
/**
 * The most secrets a Redactor remembers; the oldest are forgotten first. Tokens rotate every few
 * hours: a long-running process would otherwise grow without end, for tokens long dead.
 */
export const REDACT_MAX_SECRETS = 128;

/** A secret as it may show in a text: as is, and URL-encoded (`|` as `%7C` or `%7c`). */
function forms(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  return [...new Set([secret, encoded, encoded.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())])];
}

/**
 * Removes every known secret from a text. Used on every log line, so that a
 * mistake elsewhere (a token inside an error description) still cannot leak:
 * whole or URL-encoded, a secret becomes its first 4 characters and `…`; any
 * REDACT_PART characters in a row of it (a part of a token) are removed the same way.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  /** Every REDACT_PART-long slice of every form of every secret (rebuilt when one is forgotten). */
  private parts = new Set<string>();

  add(...values: Array<string | undefined | null>): void {
    for (const v of values) {
      if (!v || v.length < 6 || this.secrets.has(v)) continue;
      this.secrets.add(v);
      this.addParts(v);
      if (this.secrets.size > REDACT_MAX_SECRETS) this.forgetOldest();
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      for (const f of forms(s)) out = out.split(f).join(redact(s));
    }
    return this.scrubParts(out);
  }

  private addParts(secret: string): void {
    for (const f of forms(secret)) for (let end = REDACT_PART; end <= f.length; end++) this.parts.add(f.slice(end - REDACT_PART, end));
  }

  /** Forgets the oldest secret and the slices that only it had. */
  private forgetOldest(): void {
    this.secrets.delete(this.secrets.values().next().value as string);
    this.parts = new Set();
    for (const s of this.secrets) this.addParts(s);
  }

  /** Replaces each run of text covered by known slices with its first 4 characters and `…`. */
  private scrubParts(text: string): string {
    let out = '';
    let from = 0; // text before this index is in `out` already
    let runStart = -1;
    let runEnd = -1;
    for (let end = REDACT_PART; end <= text.length; end++) {
      const i = end - REDACT_PART;
      if (!this.parts.has(text.slice(i, end))) continue;
      if (i > runEnd) {
        if (runStart >= 0) out += text.slice(from, runStart) + redact(text.slice(runStart, runEnd));
        from = runStart >= 0 ? runEnd : from;
        runStart = i;
      }
      runEnd = end;
    }
    if (runStart < 0) return text;
    return out + text.slice(from, runStart) + redact(text.slice(runStart, runEnd)) + text.slice(runEnd);
  }
}

/** Parses `NA_DEBUG` as the seed script does: 1/true on, 0/false/unset off. */
export function debugEnabled(value: string | undefined = process.env.NA_DEBUG): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
