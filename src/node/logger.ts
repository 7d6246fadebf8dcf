/** The one pino logger of a process: JSON by default, pretty on a TTY, secrets redacted. */
import pino, { type Logger } from "pino";

export type { Logger };

/** Log levels accepted by --log-level. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options of createLogger. */
export interface LoggerOptions {
  level?: LogLevel;
  /** Pretty-print (default: when stdout is a TTY). */
  pretty?: boolean;
  /** Write to this file instead of stdout. */
  file?: string;
}

/** Paths that must never be logged in clear, wherever they appear. */
export const REDACT_PATHS = [
  "secret",
  "*.secret",
  "passphrase",
  "*.passphrase",
  "secretKey",
  "*.secretKey",
  "apiKey",
];

/** Creates the process logger. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? "info";
  const redact = { paths: REDACT_PATHS, censor: "[redacted]" };
  if (opts.file !== undefined) {
    return pino(
      { level, redact },
      pino.destination({ dest: opts.file, append: true, sync: false, mkdir: true }),
    );
  }
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({
      level,
      redact,
      transport: {
        target: "pino-pretty",
        options: { colorize: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname" },
      },
    });
  }
  return pino({ level, redact });
}

/** A logger that discards everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
