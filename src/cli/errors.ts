/** CLI errors and the mapping of any error to a one-line message and an exit code. */
import { ChainlabError, describeError } from "../core/errors.ts";

/** A bad command-line argument. */
export class CliError extends ChainlabError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super("CLI_BAD_ARGUMENT", message, data);
  }
}

/** Exit codes: 1 = operation failed, 2 = bad usage or input, 3 = data dir in use. */
export function exitCodeOf(err: unknown): number {
  if (!(err instanceof ChainlabError)) return 1;
  if (err.code === "STORAGE_LOCKED") return 3;
  if (err.code === "CLI_BAD_ARGUMENT" || err.code.startsWith("GENESIS_") || err.code === "BAD_ADDRESS")
    return 2;
  if (err.code.startsWith("KEYSTORE_") || err.code.startsWith("CONFIG_")) return 2;
  if (["EXPERIMENT_BAD_PARAM", "EXPERIMENT_UNKNOWN_SCENARIO", "EXPERIMENT_BAD_FILE"].includes(err.code))
    return 2;
  return 1;
}

/** The one line printed for an error: "error [CODE]: message". */
export function errorLine(err: unknown): string {
  const { code, message } = describeError(err);
  return `error [${code}]: ${message.split("\n")[0]}`;
}
