/** Shared by the miner tests: real PoW headers to seal, and a count of this process's worker threads. */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { encodePowFields } from "../../../../../src/consensus/pow/layout.ts";
import { encodeHeader } from "../../../../../src/core/block.ts";

/** A real encoded PoW header (random roots, given timestamp and extraNonce). */
export function powHeader(timestamp = Date.now(), extraNonce = 0n): Uint8Array {
  return encodeHeader({
    version: 1,
    height: 42,
    parentHash: randomBytes(32),
    txRoot: randomBytes(32),
    stateRoot: randomBytes(32),
    beneficiary: randomBytes(20),
    timestamp,
    engine: encodePowFields({ bits: 0x1f00ffff, extraNonce, nonce: 0 }),
  });
}

/** Worker threads of this process now (from /proc/self/task). */
export function workerThreadCount(): number {
  return readdirSync("/proc/self/task").filter((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/comm`, "utf8").trim() === "WorkerThread";
    } catch {
      return false; // the thread exited while we listed
    }
  }).length;
}
