import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Request } from 'express';
import { NetatmoError, asNetatmoError } from '../core/shared/errors';
import type { AccountState } from '../core/token/account-state';

/**
 * The user's language for the core's errors. The core writes English (for the command line and its
 * own logs) and gives each error a stable `code`, a `reason` when the code has several messages, and
 * the `params` the message names. Whatever leaves Node-RED for a user (msg.error, a log line of ours,
 * an admin answer, a callback page) reads the message from the catalogue instead:
 * `netatmo-account.errors.<code>` or `<code>-<reason>`, in nodes/locales/<lang>/netatmo-account.json.
 */

/** RED._ of the netatmo-account node set: its catalogue holds the error messages. */
export type Translate = (key: string, params?: Record<string, string | number>) => string;

/**
 * Node-RED's translator made safe for outside values; every localized text of ours goes through it
 * (eslint refuses `RED._` anywhere else). i18next 25 (Node-RED 4.1 and 5.0) runs each text it
 * produces, values filled in, through its nesting expression `$t(…)`, which backtracks exponentially:
 * a value of `$t(` and 40 letters (an endpoint name, a pasted text, an OAuth error) freezes the
 * runtime. Its own options do not help reliably (`skipOnVariables` runs the same expression on the
 * result; Node-RED's settings replace the defaults), so no outside value reaches i18next at all: each
 * string value is handed over as a marker and put in place after i18next answered. A value is then
 * shown exactly as it came, never read as a key, a nesting or another value's placeholder.
 */
export function translatorOf(RED: { _: (key: string, options?: never) => string }): Translate {
  const raw = RED._.bind(RED) as unknown as (key: string, options: Record<string, unknown>) => string;
  return (key, params) => {
    const values: string[] = [];
    const options: Record<string, unknown> = { nest: false };
    for (const [name, value] of Object.entries(params ?? {})) {
      if (name === 'lng') options.lng = typeof value === 'string' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(value) ? value : undefined;
      else if (typeof value === 'number')
        options[name] = value; // counts: a number holds no text to nest
      else options[name] = `${MARK}${values.push(String(value)) - 1}${MARK}`;
    }
    const text = raw(key, options);
    return typeof text === 'string' ? text.replace(MARKER, (_m, i: string) => values[Number(i)] ?? '') : text;
  };
}
/** Control characters no catalogue text holds, around the index of a value. */
const MARK = '\u0001';
const MARKER = new RegExp(`${MARK}(\\d+)${MARK}`, 'g');

/**
 * The error with its message in the user's language (`lng`, else Node-RED's own), every other field
 * kept; the core's English message when the catalogue has no text for it.
 */
export function localize(t: Translate, err: unknown, lng?: string): NetatmoError {
  const e = asNetatmoError(err);
  const key = `netatmo-account.errors.${e.code}${e.reason ? `-${e.reason}` : ''}`;
  const text = t(key, lng ? { ...e.params, lng } : { ...e.params });
  // i18next answers a missing key with the key; a text whose placeholders this error cannot fill was written for another
  // message of the same code (one thrown without its reason): the English message is better than a "__file__".
  // (looked for in the text without the values: a value may hold "__x__" itself)
  const bare = typeof text === 'string' ? Object.values(e.params ?? {}).reduce<string>((s, v) => s.split(String(v)).join(''), text) : '';
  if (typeof text !== 'string' || text === '' || text.endsWith(key) || /__[A-Za-z0-9_]+__/.test(bare)) return e;
  return new NetatmoError(e.code, text, {
    oauthError: e.oauthError,
    status: e.status,
    retryAfterMs: e.retryAfterMs,
    uncertain: e.uncertain,
    apiError: e.cause,
    reason: e.reason,
    params: e.params ? { ...e.params } : undefined,
  });
}

/** The languages we have catalogues for: the folders of nodes/locales. */
let shipped: string[] | undefined;
function shippedLanguages(): string[] {
  if (!shipped) {
    try {
      const dir = path.join(__dirname, '..', '..', 'nodes', 'locales');
      const found = fs.readdirSync(dir).filter((f) => fs.existsSync(path.join(dir, f, 'netatmo-account.json')));
      shipped = ['en-US', ...found.filter((f) => f !== 'en-US')]; // first: what a browser accepting anything gets
    } catch {
      shipped = [];
    }
  }
  return shipped;
}

/**
 * The language to answer a browser in: the best of ours its Accept-Language asks for (the editor's
 * requests and the callback page both carry the browser's languages); undefined: Node-RED's own.
 */
export function requestLanguage(req: Request): string | undefined {
  if (!req.headers['accept-language']) return undefined;
  const best = req.acceptsLanguages(...shippedLanguages());
  return typeof best === 'string' ? best : undefined;
}

/** An account's state for the editor, its error's message in the user's language. */
export function localizeState(t: Translate, state: AccountState, lng?: string): AccountState {
  if (!state.error) return state;
  const { code, message, reason, params } = state.error;
  const e = new NetatmoError(code, message, { reason, params: params ? { ...params } : undefined });
  return { ...state, error: { ...state.error, message: localize(t, e, lng).message } };
}
