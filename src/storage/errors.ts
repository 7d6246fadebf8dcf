/** Storage errors. */
import { ChainlabError } from "../core/errors.ts";

/** Codes of StorageError. */
export type StorageErrorCode = "STORAGE_LOCKED" | "STORAGE_OPEN_FAILED" | "STORAGE_CORRUPT";

/** A data dir that cannot be opened or whose contents are inconsistent. */
export class StorageError extends ChainlabError {
  declare readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }

  /** Our own storage failing is never a peer's fault. */
  override get senderAtFault(): boolean {
    return false;
  }
}
