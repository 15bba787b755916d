import * as path from 'node:path';

/**
 * What Node-RED's settings.js says to this package, read the same way by the nodes (RED.settings)
 * and by the command line (the settings.js file of a user folder).
 */

/** `netatmoTokens` of settings.js, in the units the code uses. */
export interface NetatmoSettings {
  apiBase?: string;
  marginSeconds?: number;
  timeoutSeconds?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  reauthThrottleSeconds?: number;
  lockStaleMs?: number;
  /** The API's per-user limits the api nodes keep below: `[{limit, seconds}]`. Default Netatmo's. */
  apiLimits?: unknown;
  /** The token folder as written in settings.js (see tokenFolder). */
  dir?: string;
  /**
   * Addresses of the reverse proxies whose `X-Forwarded-Host` the admin routes believe (`127.0.0.1`
   * for one on this machine). Empty: nobody's (the header is any web page's to set).
   */
  trustedProxies?: string[];
}

/**
 * Every duration in seconds: `marginSeconds`, `timeoutSeconds`, `reauthThrottleSeconds`,
 * `retryBaseSeconds`, `retryMaxSeconds`, `lockStaleSeconds`. The older keys in milliseconds
 * (`retryBaseMs`, `retryMaxMs`, `lockStaleMs`) are still read; the seconds key wins. A value that is
 * not a finite number >= 0 is ignored (the default applies).
 */
export function readNetatmoSettings(raw: unknown): NetatmoSettings {
  const s = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const num = (key: string): number | undefined => {
    const v = s[key];
    // Number.isFinite is false for anything but a finite number (no coercion, unlike isFinite).
    return Number.isFinite(v) && (v as number) >= 0 ? (v as number) : undefined;
  };
  const ms = (secondsKey: string, msKey: string): number | undefined => {
    const secs = num(secondsKey);
    return secs !== undefined ? secs * 1000 : num(msKey);
  };
  return {
    apiBase: typeof s.apiBase === 'string' && s.apiBase.trim() !== '' ? s.apiBase.trim() : undefined,
    marginSeconds: num('marginSeconds'),
    timeoutSeconds: num('timeoutSeconds'),
    reauthThrottleSeconds: num('reauthThrottleSeconds'),
    retryBaseMs: ms('retryBaseSeconds', 'retryBaseMs'),
    retryMaxMs: ms('retryMaxSeconds', 'retryMaxMs'),
    lockStaleMs: ms('lockStaleSeconds', 'lockStaleMs'),
    apiLimits: s.apiLimits,
    dir: typeof s.dir === 'string' && s.dir.trim() !== '' ? s.dir.trim() : undefined,
    trustedProxies: addressList(s.trustedProxies),
  };
}

/** The durations of `netatmoTokens` in ms, the unit every client and the manager take. */
export interface SettingDurations {
  /** Undefined (the client's default) also when settings.js says 0. */
  timeoutMs?: number;
  marginMs?: number;
  reauthThrottleMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** The one place seconds of settings.js become ms (the older ms keys are read so by readNetatmoSettings). */
export function durationsMs(s: NetatmoSettings): SettingDurations {
  const ms = (secs: number | undefined): number | undefined => (secs !== undefined ? secs * 1000 : undefined);
  return {
    timeoutMs: s.timeoutSeconds ? s.timeoutSeconds * 1000 : undefined,
    marginMs: ms(s.marginSeconds),
    reauthThrottleMs: ms(s.reauthThrottleSeconds),
    retryBaseMs: s.retryBaseMs,
    retryMaxMs: s.retryMaxMs,
  };
}

/** The environment variable naming the token folder where settings.js does not (FlowFuse, Docker). */
export const TOKENS_DIR_ENV = 'NETATMO_TOKENS_DIR';

/**
 * The token folder, the same for the nodes and the command line: settings.js `netatmoTokens.dir`, else
 * the environment's NETATMO_TOKENS_DIR, else `<userDir>/netatmo-tokens`. A relative path is taken from
 * the user directory (not from the process's working folder, which a service manager chooses).
 * A path no file system takes is left to the store, which says so naming it (STORE, reason `folder`).
 */
export function tokenFolder(userDir: string, settingsDir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[TOKENS_DIR_ENV]?.trim();
  const chosen = settingsDir ?? (fromEnv ? fromEnv : undefined);
  if (chosen === undefined) return path.join(path.resolve(userDir), 'netatmo-tokens');
  return path.resolve(userDir, chosen);
}

/** A list of addresses: an array of strings or one comma separated string; at most 64, each as Node reports it. */
function addressList(v: unknown): string[] | undefined {
  const items: unknown[] = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : [];
  const list = items
    .filter((a): a is string => typeof a === 'string' && a.trim() !== '' && a.length <= 64)
    .slice(0, 64)
    .map((a) =>
      a
        .trim()
        .toLowerCase()
        .replace(/^::ffff:(?=\d+\.)/, ''),
    );
  return list.length ? list : undefined;
}

export interface CredentialSecrets {
  /** The secret that encrypts (what Node-RED uses for its credentials); undefined: clear text. */
  secret?: string;
  /** Every secret to try for decrypting, the encrypting one first. */
  secrets: Array<string | undefined>;
  /** Where it came from, for messages (never the secret itself). */
  from: 'settings.js credentialSecret' | 'settings.js credentialSecret: false' | '.config.runtime.json _credentialSecret' | 'none';
}

/**
 * Node-RED's order: settings.js `credentialSecret` (`false`: clear text), else the `_credentialSecret`
 * Node-RED generated in .config.runtime.json. The generated one stays usable for decrypting files
 * written before the user set their own.
 */
export function credentialSecrets(user: unknown, generatedValue: unknown): CredentialSecrets {
  const generated = typeof generatedValue === 'string' && generatedValue ? generatedValue : undefined;
  const pick = (secret: string | undefined, from: CredentialSecrets['from']): CredentialSecrets => ({
    secret,
    secrets: secret === generated ? [secret] : [secret, generated],
    from,
  });
  if (user === false) return pick(undefined, 'settings.js credentialSecret: false');
  if (typeof user === 'string' && user) return pick(user, 'settings.js credentialSecret');
  if (generated) return pick(generated, '.config.runtime.json _credentialSecret');
  return pick(undefined, 'none');
}
