/**
 * A Node-RED user folder's token store, seen from the shell: `<token folder>/<account>.json`, the folder
 * chosen as the runtime chooses it (settings.js `netatmoTokens.dir`, NETATMO_TOKENS_DIR, else `<userDir>/netatmo-tokens`),
 * encrypted with Node-RED's credential secret as the runtime does (see storeFor in nodes/netatmo-account).
 */
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { credentialSecrets, readNetatmoSettings, tokenFolder } from '../core/shared/settings';
import { FileTokenStore } from '../core/token/store';
import { checkAccountId } from '../core/shared/validate';
import { CliExit, EXIT } from './exit';

export interface SecretChoice {
  /** The secret that encrypts (what Node-RED would use); undefined: clear text. */
  secret?: string;
  /** Every secret tried for decrypting, the encrypting one first (as Node-RED's storeFor). */
  secrets: Array<string | undefined>;
  /** Where it came from, for messages (never the secret itself). */
  from: string;
}

interface NodeRedSettingsFile {
  credentialSecret?: unknown;
  netatmoTokens?: unknown;
}

export interface StoreContext {
  userDir: string;
  accountId: string;
  store: FileTokenStore;
  secret: SecretChoice;
  settings: NodeRedSettingsFile;
  /** Problem met while loading settings.js (reported in debug mode and in decryption errors). */
  settingsProblem?: string;
}

/** Loads `<userDir>/settings.js` the way Node-RED does (it is code: it runs). */
function loadSettings(userDir: string): { settings: NodeRedSettingsFile; problem?: string } {
  const file = path.join(userDir, 'settings.js');
  if (!existsSync(file)) return { settings: {} };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded: unknown = require(file);
    return { settings: loaded && typeof loaded === 'object' ? (loaded as NodeRedSettingsFile) : {} };
  } catch (err) {
    return { settings: {}, problem: `${file} could not be loaded (${(err as Error).message.split('\n')[0].slice(0, 120)})` };
  }
}

/**
 * Node-RED's order (see storeFor): settings.js `credentialSecret` (false: clear text), else the
 * `_credentialSecret` it generated in .config.runtime.json, which also stays usable for decrypting.
 * `--secret` and NODE_RED_CREDENTIAL_SECRET come first ("" for clear text).
 */
function chooseSecret(userDir: string, settings: NodeRedSettingsFile, explicit: string | undefined): SecretChoice {
  let generated: string | undefined;
  try {
    const value = (JSON.parse(readFileSync(path.join(userDir, '.config.runtime.json'), 'utf8')) as { _credentialSecret?: unknown })
      ._credentialSecret;
    if (typeof value === 'string' && value) generated = value;
  } catch {
    // no file, or not JSON: no generated secret
  }
  const env = process.env.NODE_RED_CREDENTIAL_SECRET;
  const given =
    explicit !== undefined
      ? { value: explicit, from: '--secret' }
      : env !== undefined
        ? { value: env, from: 'NODE_RED_CREDENTIAL_SECRET' }
        : undefined;
  // "" means clear text, as credentialSecret: false does in settings.js.
  const found = given
    ? credentialSecrets(given.value === '' ? false : given.value, generated)
    : credentialSecrets(settings.credentialSecret, generated);
  const from = given?.from ?? (found.from === 'none' ? 'none found in settings.js or .config.runtime.json' : found.from);
  return { secret: found.secret, secrets: found.secrets, from: found.secret ? from : `${from} (no encryption)` };
}

export function openStore(
  userDirArg: string,
  accountArg: string,
  explicitSecret: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): StoreContext {
  const userDir = path.resolve(userDirArg);
  let isDir = false;
  try {
    isDir = statSync(userDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new CliExit(EXIT.NO_PARAMETER, `The Node-RED user folder ${userDir} (--store) does not exist`);
  let accountId: string;
  try {
    accountId = checkAccountId(accountArg);
  } catch {
    throw new CliExit(
      EXIT.NO_PARAMETER,
      `--account "${accountArg.slice(0, 60)}" is not a Netatmo account node id (letters, digits, . _ -)`,
    );
  }
  const { settings, problem } = loadSettings(userDir);
  const secret = chooseSecret(userDir, settings, explicitSecret);
  const { lockStaleMs, dir } = readNetatmoSettings(settings.netatmoTokens);
  const store = new FileTokenStore({ dir: tokenFolder(userDir, dir, env), secret: secret.secrets, lockStaleMs });
  return { userDir, accountId, store, secret, settings, settingsProblem: problem };
}

/** The account ids that have a token file, to help a user who typed a wrong one. */
export async function listAccounts(ctx: StoreContext): Promise<string[]> {
  try {
    const names = await fs.readdir(ctx.store.dir);
    return names.filter((n) => /^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/.test(n)).map((n) => n.slice(0, -5));
  } catch {
    return [];
  }
}

export async function noLoginMessage(ctx: StoreContext): Promise<string> {
  const ids = (await listAccounts(ctx)).filter((id) => id !== ctx.accountId);
  const hint = ids.length ? `; accounts with tokens there: ${ids.slice(0, 10).join(', ')}` : '';
  return `No token is stored for the account ${ctx.accountId} in ${ctx.store.dir}${hint}. Authorize it in the Node-RED editor, or with authorize-url and code --store`;
}

export function apiBaseFromSettings(ctx: StoreContext): string | undefined {
  return readNetatmoSettings(ctx.settings.netatmoTokens).apiBase;
}
