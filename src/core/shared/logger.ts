/** Where the core writes its log lines: Node-RED's node log, the CLI's stderr, or nothing. */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The same logger with every line passed through `scrub` first (called as methods: a logger may rely on `this`). */
export function scrubbedLogger(base: Logger, scrub: (text: string) => string): Logger {
  const level = (name: keyof Logger) => (m: string) => base[name](scrub(m));
  return { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') };
}
