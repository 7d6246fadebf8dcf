/** Errors of the experiment runner and scenarios. */
import { ChainlabError } from "../core/errors.ts";

/** Codes: EXPERIMENT_UNKNOWN_SCENARIO, EXPERIMENT_BAD_PARAM, EXPERIMENT_BAD_FILE, EXPERIMENT_FAILED. */
export type ExperimentErrorCode =
  | "EXPERIMENT_UNKNOWN_SCENARIO"
  | "EXPERIMENT_BAD_PARAM"
  | "EXPERIMENT_BAD_FILE"
  | "EXPERIMENT_BAD_REPORT"
  | "EXPERIMENT_FAILED";

/** An experiment failed or was given bad input; the message is one line. */
export class ExperimentError extends ChainlabError {
  declare readonly code: ExperimentErrorCode;
  constructor(code: ExperimentErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}
