/**
 * Exit codes of netatmo_manage_tokens.php (its manual is the spec), plus the few of our own.
 * The PHP script ends every branch of its main routine with its own code: 0 after a code
 * exchange ("normal run"), 101 after `usage`, 102 after `display`, 103 after `current`,
 * 104 after `refresh`. Cron wrappers may test these, so successes keep them.
 */
export const EXIT = {
  OK: 0,
  /** Not in the manual: a failure the manual has no code for (file_state.txt not writable, a bug). */
  OTHER: 1,
  /** file_parameters.txt does not exist; also unreadable or invalid (distinct messages). */
  PARAMETERS: 10,
  /** The token endpoint did not answer 200 to a code exchange (or did not answer at all). */
  CODE_HTTP: 20,
  ACCESS_NOT_THERE: 30,
  ACCESS_NOT_WRITTEN: 31,
  REFRESH_NOT_THERE: 32,
  REFRESH_NOT_WRITTEN: 33,
  EXPIRE_NOT_THERE: 34,
  EXPIRE_NOT_WRITTEN: 35,
  CURRENT_NO_ACCESS: 40,
  CURRENT_NO_REFRESH: 41,
  CURRENT_NO_EXPIRE: 42,
  REFRESH_NO_EXPIRE: 50,
  REFRESH_NO_TOKEN: 51,
  REFRESH_HTTP: 52,
  /** No parameter; we also use it for command-line mistakes (unknown option...). */
  NO_PARAMETER: 100,
  USAGE: 101,
  DISPLAY: 102,
  CURRENT: 103,
  REFRESH: 104,
  CODE_LENGTH: 105,
  CODE_CHARACTERS: 106,
  /** Not in the manual: the pasted URL's state is not the one `authorize-url` made. */
  STATE_MISMATCH: 107,
} as const;

/** The codes that mean "this command worked" (turned into 0 by --exit-zero). */
export const SUCCESS_CODES: ReadonlySet<number> = new Set([EXIT.OK, EXIT.USAGE, EXIT.DISPLAY, EXIT.CURRENT, EXIT.REFRESH]);

/** Ends the command with `exitCode`; `message` (one line, no secret) goes to stderr. */
export class CliExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.name = 'CliExit';
    this.exitCode = exitCode;
  }
}
