/**
 * The miner pool: one kernel worker per core, one job at a time. A new `mine()` call (a new
 * template) or an abort bumps the shared job generation, which every worker checks between
 * chunks of a few milliseconds, so the old job stops well within 50 ms and a stale solution is
 * never returned. With `hashrate` set, the workers share that many hashes/s between them.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { sha256 } from "../../../core/hash.ts";
import { EXTRA_NONCE_OFFSET, NONCE_OFFSET } from "../layout.ts";
import { checkJob, checkNonceSpan, hashToBigInt } from "./checks.ts";
import { MinerError } from "./errors.ts";
import { createHashrateMeter } from "./hashrate.ts";
import { CTL_GEN, ctlLength, type JobMessage, type WorkerInit, type WorkerMessage } from "./protocol.ts";

/** Options of a pool. */
export interface MinerPoolOptions {
  /** worker threads; default one per core */
  threads?: number;
  /** total hashes/s for the pool (real hashing, rate-limited); default unlimited */
  hashrate?: number;
  /** false forces the scalar kernel (tests); default SIMD when the runtime has it */
  simd?: boolean;
  /** nonces per extraNonce, a multiple of 8; default 2^32 (tests shrink it to exercise rolling) */
  nonceSpan?: number;
}

/** A template to mine: a 156-byte PoW header (nonce ignored, extraNonce is the base) and a target. */
export interface MineJob {
  header: Uint8Array;
  target: bigint;
}

/** A solution: the sealed header and its SHA-256 (<= target). */
export interface MineResult {
  header: Uint8Array;
  hash: Uint8Array;
}

/** A running pool of miner workers. */
export interface MinerPool {
  readonly threads: number;
  /** Resolves once every worker has compiled its kernel. */
  ready(): Promise<void>;
  /** Mines `job`, preempting any previous job (which resolves null); null on abort or stop. */
  mine(job: MineJob, signal?: AbortSignal): Promise<MineResult | null>;
  /** Hashes/s over the last few seconds. */
  hashrate(): number;
  /** Hashes computed since the pool started. */
  hashes(): number;
  /** Stops the job and terminates every worker. */
  stop(): Promise<void>;
}

interface ActiveJob {
  gen: number;
  header: Uint8Array;
  target: bigint;
  resolve(result: MineResult | null): void;
  reject(err: Error): void;
  cleanup(): void;
}

function checkOptions(threads: number, hashrate: number, nonceSpan: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new MinerError("MINER_BAD_OPTIONS", "threads must be a positive integer", { got: threads });
  }
  if (!(hashrate >= 0 && Number.isFinite(hashrate))) {
    throw new MinerError("MINER_BAD_OPTIONS", "hashrate must be a finite number >= 0", { got: hashrate });
  }
  checkNonceSpan(nonceSpan);
}

/** Starts a pool of miner workers (they compile their kernels in the background; see `ready`). */
export function createMinerPool(options: MinerPoolOptions = {}): MinerPool {
  const threads = options.threads ?? availableParallelism();
  const hashrate = options.hashrate ?? 0;
  const nonceSpan = options.nonceSpan ?? 2 ** 32;
  checkOptions(threads, hashrate, nonceSpan);
  const ctl = new Int32Array(new SharedArrayBuffer(ctlLength(threads) * 4));
  const meter = createHashrateMeter(ctl, threads);
  // Compiled builds (dist/) run worker.js; the sources run worker.ts directly.
  const url = new URL(import.meta.url.endsWith(".js") ? "./worker.js" : "./worker.ts", import.meta.url);
  let gen = 0;
  let active: ActiveJob | null = null;
  let stopped = false;
  let failure: MinerError | null = null;

  const bump = (): number => {
    gen = (gen + 1) | 0;
    Atomics.store(ctl, CTL_GEN, gen);
    Atomics.notify(ctl, CTL_GEN);
    return gen;
  };

  const settle = (outcome: MineResult | null | Error): void => {
    const job = active;
    if (!job) return;
    active = null;
    bump();
    job.cleanup();
    if (outcome instanceof Error) job.reject(outcome);
    else job.resolve(outcome);
  };

  const onFound = (msg: Extract<WorkerMessage, { type: "found" }>): void => {
    if (!active || msg.gen !== active.gen) return;
    const header = active.header.slice();
    const view = new DataView(header.buffer);
    view.setBigUint64(EXTRA_NONCE_OFFSET, msg.extraNonce);
    view.setUint32(NONCE_OFFSET, msg.nonce);
    const hash = sha256(header);
    if (hashToBigInt(hash) > active.target) {
      const data = { extraNonce: msg.extraNonce.toString(), nonce: msg.nonce };
      settle(new MinerError("MINER_WORKER_FAILED", "worker returned a hash above the target", data));
    } else settle({ header, hash });
  };

  const onFailure = (index: number, reason: string): void => {
    if (stopped) return;
    failure ??= new MinerError("MINER_WORKER_FAILED", `miner worker ${index} failed: ${reason}`, { index });
    settle(failure);
  };

  const readyPromises: Promise<void>[] = [];
  const workers = Array.from({ length: threads }, (_, index) => {
    const init: WorkerInit = {
      ctl: ctl.buffer as SharedArrayBuffer,
      index,
      threads,
      simd: options.simd,
      nonceSpan,
    };
    // A kernel worker allocates almost nothing on the JS heap (its state is WASM memory): a small
    // young generation cuts its RSS by about 10 MB.
    const worker = new Worker(url, {
      workerData: init,
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 },
    });
    readyPromises.push(
      new Promise((resolve) => {
        worker.on("message", (msg: WorkerMessage) => {
          if (msg.type === "ready") resolve();
          else if (msg.type === "found") onFound(msg);
        });
        worker.once("exit", () => resolve());
      }),
    );
    worker.on("error", (err: Error) => onFailure(index, err.message));
    worker.on("exit", (code) => onFailure(index, `exited with code ${code}`));
    return worker;
  });
  const allReady = Promise.all(readyPromises).then(() => undefined);

  return {
    threads,
    ready: () => allReady,
    mine(job, signal) {
      if (stopped) return Promise.reject(new MinerError("MINER_STOPPED", "miner pool is stopped"));
      if (failure) return Promise.reject(failure);
      try {
        checkJob(job.header, job.target);
      } catch (err) {
        return Promise.reject(err);
      }
      settle(null);
      if (signal?.aborted) return Promise.resolve(null);
      const myGen = bump();
      const header = job.header.slice();
      return new Promise((resolve, reject) => {
        const onAbort = (): void => {
          if (active?.gen === myGen) settle(null);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        const cleanup = (): void => signal?.removeEventListener("abort", onAbort);
        active = { gen: myGen, header, target: job.target, resolve, reject, cleanup };
        const msg: JobMessage = {
          type: "job",
          gen: myGen,
          header,
          target: job.target,
          rate: hashrate / threads,
        };
        for (const w of workers) w.postMessage(msg);
      });
    },
    hashrate: () => meter.rate(),
    hashes: () => meter.total(),
    async stop() {
      if (stopped) return;
      stopped = true;
      settle(null);
      meter.close();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
