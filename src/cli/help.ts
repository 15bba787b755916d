/** Texts of `usage` / `--help`. */
const DASHES = '-----------------------------------------------------------------------------------';

export const COMMANDS = ['usage', 'display', 'code', 'current', 'refresh', 'authorize-url'] as const;
export type Command = (typeof COMMANDS)[number];

const COMMAND_HELP: Record<Command, string> = {
  usage: `usage
   This help (exit code 101). If the program is run with no parameter, usage is displayed (exit code 100).`,
  display: `display
   Display the contents of the parameters file file_parameters.txt, four lines:
   client_id, client_secret, scope, redirect_uri (the URI must end with "/").
   The client secret is shortened to its first 4 characters unless --show-secret.
   Exit code 102; 10 if the file is missing or not valid (the lines are shown first).`,
  code: `<code>   or   code <code>
   The 32-character code shown in the browser's address bar after you accepted at the
   URL printed by authorize-url (or one built by hand). The whole redirected URL
   'http://localhost/?state=...&code=...' also works, in single quotes; its state must then be
   the one authorize-url remembered in file_state.txt (exit code 107 otherwise).
   The access and refresh tokens are requested from Netatmo, displayed (shortened unless
   --show-tokens) and stored in file_access_token.txt and file_refresh_token.txt;
   file_expire_time.txt gets the expiry (Unix seconds, UTC).
   With --store USERDIR --account ID: stored in that Node-RED account's token file instead.
   Exit code 0; 105 (not 32 characters), 106 (not letters and digits only), 10 (parameters),
   20 (Netatmo did not answer 200), 30-35 (a token file cannot be written).`,
  current: `current
   Display the contents of the access token, refresh token and expire time files, and the
   number of seconds until (or since) the expire time, with that time in ISO UTC.
   --json prints one JSON object (tokens only with --show-tokens).
   With --store USERDIR --account ID: the Node-RED account's token file.
   Exit code 103; 40, 41, 42 when file_access_token.txt, file_refresh_token.txt,
   file_expire_time.txt is missing (40 too for a Node-RED account without tokens).`,
  refresh: `refresh
   Get a new access token and a new refresh token using the current refresh token, and store
   them. Holds a lock (file_refresh_token.txt.lock, or the Node-RED store's own lock with --store),
   so that runs from cron and Node-RED never use the same refresh token twice. A pair stored by
   another run (or Node-RED) while this command waited is adopted instead of refreshing again.
   Exit code 104; 10 (parameters), 50 (file_expire_time.txt missing), 51 (file_refresh_token.txt
   missing, or no tokens for the Node-RED account), 52 (Netatmo did not answer 200, e.g.
   invalid_grant: authorize again), 31-35 (a token file cannot be written).`,
  'authorize-url': `authorize-url
   Print the URL to open in a browser to log in to Netatmo and accept, built from
   file_parameters.txt (or, with --store, from --client-id, --redirect-uri, --scope). A fresh
   random state is remembered in file_state.txt (0600) and checked when the redirected URL is
   given to code. Exit code 0; 10 (parameters).`,
};

export const OPTIONS_HELP = `Options:
   --dir DIR              folder of file_parameters.txt and the token files (default: current folder)
   --show-tokens          print tokens in full (default: 4 characters after the "|"; the files hold them)
   --show-secret          display: print the client secret in full
   --json                 current: one JSON object for scripts
   --exit-zero            exit 0 instead of 101-104 when usage/display/current/refresh succeed
   --store USERDIR        use a Node-RED account's token store, <USERDIR>/netatmo-tokens/<ID>.json,
   --account ID             for current, refresh, code (ID: the netatmo-account node's id); the folder
                            is netatmoTokens.dir of USERDIR/settings.js, else NETATMO_TOKENS_DIR, if set
   --secret S             Node-RED's credential secret (default: NODE_RED_CREDENTIAL_SECRET, else
                            credentialSecret of USERDIR/settings.js, which is loaded, else
                            _credentialSecret of USERDIR/.config.runtime.json; "" for none)
   --client-id ID         with --store: the app's client id (or NETATMO_CLIENT_ID; else file_parameters.txt)
   --client-secret S      with --store: its secret (or NETATMO_CLIENT_SECRET: better than an option,
                            which other users can see in the process list)
   --redirect-uri URI     with --store: for authorize-url and code (else file_parameters.txt)
   --scope "S1 S2"        with --store: for authorize-url and code (else file_parameters.txt, else read_station)
   -h, --help             help (also: netatmo-tokens <command> --help)
Environment:
   NA_DEBUG=1|true        debug lines on stderr, tokens and the secret shortened (0|false: off)
   NETATMO_API_BASE       the Netatmo server (default https://api.netatmo.com)
   NETATMO_TOKENS_DIR     with --store: the token folder, as for Node-RED (relative: to USERDIR)`;

export const EXIT_HELP = `Exit codes (those of netatmo_manage_tokens.php):
   0 code exchanged, authorize-url printed     100 no parameter (or a wrong option)
   101 usage   102 display   103 current   104 refresh
   105 code length must be 32 characters      106 code must be letters and digits only
   10 file_parameters.txt does not exist (or is not valid)
   20 the HTTP code is not 200 (code exchange)
   30/31 file_access_token.txt does not exist after writing / cannot be written
   32/33 file_refresh_token.txt ...            34/35 file_expire_time.txt ...
   40/41/42 current: file_access_token.txt / file_refresh_token.txt / file_expire_time.txt does not exist
   50/51 refresh: file_expire_time.txt / file_refresh_token.txt does not exist
   52 refresh: the HTTP code is not 200
   Ours: 107 the URL's state is not authorize-url's; 1 other failure`;

export function usageText(): string {
  const body = COMMANDS.map((c) => COMMAND_HELP[c]).join('\n');
  return [
    DASHES,
    'Usage: netatmo-tokens [usage|display|<code>|current|refresh|authorize-url] [options]',
    'Netatmo tokens for cron and for Node-RED accounts; a drop-in for netatmo_manage_tokens.php.',
    body,
    DASHES,
    OPTIONS_HELP,
    EXIT_HELP,
    DASHES,
  ].join('\n');
}

export function commandHelp(c: Command): string {
  return [`Usage: netatmo-tokens ${c === 'code' ? '<code>' : c} [options]`, COMMAND_HELP[c], OPTIONS_HELP].join('\n');
}
