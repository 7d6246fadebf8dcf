/** Errors of the PoW miner. */
import { ChainlabError } from "../../../core/errors.ts";

/** Codes of MinerError. */
export type MinerErrorCode = "MINER_BAD_JOB" | "MINER_BAD_OPTIONS" | "MINER_STOPPED" | "MINER_WORKER_FAILED";

/** A miner job or option that cannot be used, a stopped pool, or a worker that died. */
export class MinerError extends ChainlabError {
  declare readonly code: MinerErrorCode;
  constructor(code: MinerErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}
