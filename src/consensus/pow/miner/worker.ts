/**
 * A miner worker thread: one kernel, one job at a time. It searches its share of the
 * (extraNonce, nonce) space in chunks of a few milliseconds, publishing its hash count and
 * checking the job generation between chunks. Worker i of T takes extraNonce base + i + kT,
 * k = 0, 1, ..., and the whole nonce span for each, so workers never overlap.
 */
import { parentPort, workerData } from "node:worker_threads";
import { EXTRA_NONCE_OFFSET, NONCE_WORD } from "../layout.ts";
import { createPowKernel, targetToWords } from "./kernel.ts";
import {
  CTL_GEN,
  ctlCounter,
  type JobMessage,
  type WorkerInit,
  type WorkerMessage,
  workerExtraNonce,
} from "./protocol.ts";
import { splitHeader } from "./sha256.ts";

const CHUNK_MS = 4;
const MIN_CHUNK = 1024;
const MAX_CHUNK = 1 << 22;
/** A throttled worker that fell this far behind its schedule restarts it instead of bursting. */
const MAX_BEHIND_MS = 1000;

const init = workerData as WorkerInit;
const port = parentPort!;
const ctl = new Int32Array(init.ctl);
const kernel = createPowKernel(init.simd === undefined ? {} : { simd: init.simd });
const counter = ctlCounter(init.index);
const extraWord = (EXTRA_NONCE_OFFSET - 128) / 4;
let chunk = 16 * 1024;

const roundChunk = (n: number): number => Math.min(MAX_CHUNK, Math.max(8, Math.round(n / 8) * 8));

function post(msg: WorkerMessage): void {
  port.postMessage(msg);
}

function runJob(job: JobMessage): void {
  const gen = job.gen;
  if (Atomics.load(ctl, CTL_GEN) !== gen) return;
  const { midstate, block } = splitHeader(job.header);
  const target = targetToWords(job.target);
  const view = new DataView(job.header.buffer, job.header.byteOffset, job.header.length);
  const base = view.getBigUint64(EXTRA_NONCE_OFFSET);
  const rate = job.rate;
  let size = rate > 0 ? roundChunk((rate * CHUNK_MS) / 1000) : chunk;
  let t0 = performance.now();
  let done = 0;
  for (let k = 0n; ; k++) {
    const extraNonce = workerExtraNonce(base, init.index, init.threads, k);
    block[extraWord] = Number(extraNonce >> 32n);
    block[extraWord + 1] = Number(extraNonce & 0xffffffffn);
    block[NONCE_WORD] = 0;
    kernel.setTemplate(midstate, block, target);
    for (let nonce = 0; nonce < init.nonceSpan; ) {
      const count = Math.min(size, init.nonceSpan - nonce);
      const c0 = performance.now();
      const found = kernel.search(nonce, count);
      const hashes = kernel.lastHashes;
      Atomics.add(ctl, counter, hashes);
      if (found >= 0) {
        post({ type: "found", gen, extraNonce, nonce: found });
        return;
      }
      nonce += count;
      if (Atomics.load(ctl, CTL_GEN) !== gen) return;
      const now = performance.now();
      if (rate > 0) {
        done += hashes;
        const due = t0 + (done * 1000) / rate;
        if (due > now) Atomics.wait(ctl, CTL_GEN, gen, due - now);
        else if (now - due > MAX_BEHIND_MS) {
          t0 = now;
          done = 0;
        }
        if (Atomics.load(ctl, CTL_GEN) !== gen) return;
      } else if (now > c0) {
        const next = roundChunk((hashes * CHUNK_MS) / (now - c0));
        size = Math.max(MIN_CHUNK, Math.min(next, size * 2));
        chunk = size;
      }
    }
  }
}

port.on("message", (msg: JobMessage) => {
  if (msg.type === "job") runJob(msg);
});
post({ type: "ready", simd: kernel.simd });
