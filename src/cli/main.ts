#!/usr/bin/env node
/**
 * netatmo-tokens: the command line drop-in for netatmo_manage_tokens.php (same files, same
 * commands, same exit codes), which also works on a Node-RED account's token store.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { asNetatmoError } from '../core/shared/errors';
import { Ctx, Options, authorizeUrl, code, current, display, refresh } from './commands';
import { CliExit, EXIT, SUCCESS_CODES } from './exit';
import { COMMANDS, Command, commandHelp, usageText } from './help';
import { Io, createIo } from './io';

function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

const OPTIONS = {
  dir: { type: 'string' },
  store: { type: 'string' },
  account: { type: 'string' },
  secret: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'redirect-uri': { type: 'string' },
  scope: { type: 'string' },
  'show-secret': { type: 'boolean' },
  'show-tokens': { type: 'boolean' },
  json: { type: 'boolean' },
  'exit-zero': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** The command a line asks for; or the exit code, when the line is answered at once (version, help, a usage error). */
interface CommandLine {
  command: Command;
  values: Values;
  /** The code, for `code` (a word that is not a command counts as one, as in the PHP script). */
  codeArg?: string;
  /** The code was a word that looks like a mistyped command. */
  wordAsCode: boolean;
}

function readCommandLine(argv: string[], io: Io): CommandLine | number {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`netatmo-tokens: ${(err as Error).message}; see netatmo-tokens --help`);
    return EXIT.NO_PARAMETER;
  }
  const v = parsed.values;
  const positionals = [...parsed.positionals];
  if (v.version) {
    io.out(version());
    return EXIT.OK;
  }
  const first = positionals.shift();
  if (first === undefined) {
    io.out(usageText());
    return v.help ? EXIT.OK : EXIT.NO_PARAMETER;
  }
  if (first === 'help') {
    const c = positionals[0] as Command | undefined;
    io.out(c && (COMMANDS as readonly string[]).includes(c) ? commandHelp(c) : usageText());
    return EXIT.OK;
  }

  // The PHP script takes anything that is not a command word as a code.
  const isCommand = (COMMANDS as readonly string[]).includes(first);
  const command: Command = isCommand ? (first as Command) : 'code';
  const codeArg = !isCommand ? first : command === 'code' ? positionals.shift() : undefined;
  if (v.help) {
    io.out(commandHelp(command));
    return EXIT.OK;
  }
  const problem = usageProblem(command, v, positionals);
  if (problem) {
    io.err(`netatmo-tokens: ${problem}; see netatmo-tokens ${command === 'code' ? 'code' : command} --help`);
    return EXIT.NO_PARAMETER;
  }
  return { command, values: v, codeArg, wordAsCode: !isCommand && /^[A-Za-z][A-Za-z-]{0,19}$/.test(first) };
}

/** What is wrong with the options of a command line, if anything. */
function usageProblem(command: Command, v: Values, positionals: string[]): string | undefined {
  if (positionals.length) return `unexpected argument "${positionals[0].slice(0, 40)}"`;
  if (Boolean(v.store) !== Boolean(v.account)) return '--store USERDIR and --account ID go together';
  if (!v.store) {
    for (const o of ['client-id', 'client-secret', 'redirect-uri', 'scope', 'secret'] as const) {
      if (v[o] !== undefined) return `--${o} is for --store; without it, the values come from file_parameters.txt`;
    }
  }
  if (v.json && command !== 'current') return '--json is for current';
  return undefined;
}

function optionsOf(v: Values): Options {
  return {
    dir: path.resolve(v.dir ?? process.cwd()),
    store: v.store,
    account: v.account,
    secret: v.secret,
    clientId: v['client-id'],
    clientSecret: v['client-secret'],
    redirectUri: v['redirect-uri'],
    scope: v.scope,
    showSecret: v['show-secret'] === true,
    showTokens: v['show-tokens'] === true,
    json: v.json === true,
  };
}

function dispatch(line: CommandLine, ctx: Ctx): Promise<number> {
  switch (line.command) {
    case 'usage':
      ctx.io.out(usageText());
      return Promise.resolve(EXIT.USAGE);
    case 'display':
      return display(ctx);
    case 'current':
      return current(ctx);
    case 'refresh':
      return refresh(ctx);
    case 'authorize-url':
      return authorizeUrl(ctx);
    case 'code':
      return code(ctx, line.codeArg, line.wordAsCode);
  }
}

/** Runs one command line; resolves to the exit code. Nothing here calls process.exit. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = createIo(env);
  const line = readCommandLine(argv, io);
  if (typeof line === 'number') return line;
  const opts = optionsOf(line.values);
  const ctx: Ctx = { opts, io, env, now: Date.now };
  io.debug(
    `netatmo-tokens ${version()}: ${line.command} in ${opts.dir}${opts.store ? ` on the Node-RED account ${opts.account} of ${opts.store}` : ''}`,
  );
  io.debug('NA_DEBUG is on: tokens and the client secret are shortened to their first 4 characters');

  let exitCode: number;
  try {
    exitCode = await dispatch(line, ctx);
  } catch (err) {
    if (err instanceof CliExit) {
      io.err(`netatmo-tokens: ${err.message}`);
      io.debug(`exit code ${err.exitCode}`);
      return err.exitCode;
    }
    io.err(`netatmo-tokens: unexpected failure: ${asNetatmoError(err, 'STORE').message}`);
    io.debug(String((err as Error)?.stack ?? err));
    return EXIT.OTHER;
  }
  io.debug(`exit code ${exitCode}`);
  return line.values['exit-zero'] && SUCCESS_CODES.has(exitCode) ? EXIT.OK : exitCode;
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (exitCode) => {
      process.exitCode = exitCode;
      // Nothing should keep the process alive; if something does (a socket), do not hang cron.
      setTimeout(() => process.exit(exitCode), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`netatmo-tokens: ${asNetatmoError(err).message}\n`);
      process.exitCode = EXIT.OTHER;
    },
  );
}
