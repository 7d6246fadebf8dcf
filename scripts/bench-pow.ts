/**
 * bench:pow — the PoW miner against its baselines, in one run:
 *   - the wasm kernel's hashes/s on one worker, and on all workers together;
 *   - a createHash-per-nonce loop and a plain JS midstate loop (same 156-byte header);
 *   - `openssl speed -seconds 3 -bytes 80 sha256` converted to hashes/s, if openssl is on the PATH;
 * and the ratios kernel / OpenSSL (goal >= 1.25), kernel / createHash (goal >= 16) and
 * all workers / one (goal >= 1.8 on 2 cores).
 *
 *   npm run bench:pow -- [--seconds 3] [--threads N] [--json]
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { NONCE_OFFSET, NONCE_WORD } from "../src/consensus/pow/layout.ts";
import { createMinerPool, createPowKernel } from "../src/consensus/pow/miner/index.ts";
import { expandSchedule, runRounds, splitHeader } from "../src/consensus/pow/miner/sha256.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    threads: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const SECONDS = Number(values.seconds);
const THREADS = values.threads ? Number(values.threads) : availableParallelism();
const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const header = randomBytes(156);

/** Runs `step` (which does `batch` hashes) for about `ms` milliseconds; returns hashes/s. */
function timeLoop(ms: number, batch: number, step: () => void): number {
  const t0 = performance.now();
  let n = 0;
  let t = t0;
  while (t - t0 < ms) {
    step();
    n += batch;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

function createHashLoop(): number {
  const buf = Buffer.from(header);
  let nonce = 0;
  const step = (): void => {
    for (let i = 0; i < 1000; i++) {
      buf.writeUInt32BE(nonce++ >>> 0, NONCE_OFFSET);
      createHash("sha256").update(buf).digest();
    }
  };
  timeLoop(300, 1000, step); // warm-up
  return timeLoop(1000, 1000, step);
}

/** A plain JS midstate loop: one full compression of the final block per nonce, no precomputation. */
/** The plain JS midstate loop: per nonce, the schedule and 64 rounds of the shared JS compression. */
function jsMidstateBatch(
  ms: Uint32Array,
  block: Uint32Array,
  w: Uint32Array,
  out: Uint32Array,
  n0: number,
): number {
  let sink = 0;
  for (let nonce = n0; nonce < n0 + 1000; nonce++) {
    w.set(block);
    w[NONCE_WORD] = nonce;
    expandSchedule(w);
    runRounds(ms, w, 64, out);
    sink ^= (out[0]! + ms[0]!) | 0;
  }
  return sink;
}

function jsMidstateLoop(): number {
  const { midstate, block } = splitHeader(header);
  const [ms, blk, w, out] = [
    Uint32Array.from(midstate),
    Uint32Array.from(block),
    new Uint32Array(64),
    new Uint32Array(8),
  ];
  let nonce = 0;
  let sink = 0;
  const step = (): void => {
    sink ^= jsMidstateBatch(ms, blk, w, out, nonce);
    nonce += 1000;
  };
  timeLoop(300, 1000, step); // warm-up
  const rate = timeLoop(1000, 1000, step);
  return sink === 0.5 ? 0 : rate;
}

function opensslOneShot(): number | null {
  const run = spawnSync("openssl", ["speed", "-seconds", "3", "-bytes", "80", "sha256"], {
    encoding: "utf8",
  });
  if (run.error || run.status !== 0) return null;
  const line = run.stdout.split("\n").find((l) => /^sha256\s+[\d.]+k\s*$/.test(l));
  if (!line) return null;
  const kBps = Number(line.trim().split(/\s+/)[1]!.replace(/k$/, ""));
  return (kBps * 1000) / 80;
}

/**
 * A pool measurement. `hps` is the best 1-second window of the run: this machine is shared, and
 * other tenants' load shows up as windows where the workers got less CPU. `meanHps` is the whole
 * run; `cores` is the CPU the process got over the run and `perCpuSecond` the hashes per CPU-second.
 */
interface PoolRate {
  hps: number;
  meanHps: number;
  cores: number;
  perCpuSecond: number;
}

const SAMPLE_MS = 250;

/** Hashes/s of a pool of `threads` workers mining an unreachable target, after a warm-up. */
async function poolRate(threads: number): Promise<PoolRate> {
  const pool = createMinerPool({ threads });
  await pool.ready();
  const job = pool.mine({ header, target: 0n });
  await new Promise((r) => setTimeout(r, 1500)); // wasm tier-up to the optimizing compiler
  const c0 = process.cpuUsage();
  const samples: { t: number; h: number }[] = [{ t: performance.now(), h: pool.hashes() }];
  while (samples.at(-1)!.t - samples[0]!.t < SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    samples.push({ t: performance.now(), h: pool.hashes() });
  }
  const cpu = process.cpuUsage(c0);
  await pool.stop();
  await job;
  const rate = (a: { t: number; h: number }, b: { t: number; h: number }): number =>
    ((b.h - a.h) * 1000) / (b.t - a.t);
  const span = 1000 / SAMPLE_MS;
  let best = 0;
  for (let i = 0; i + span < samples.length; i++)
    best = Math.max(best, rate(samples[i]!, samples[i + span]!));
  const [first, last] = [samples[0]!, samples.at(-1)!];
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    hps: best,
    meanHps: rate(first, last),
    cores: (cpuSeconds * 1000) / (last.t - first.t),
    perCpuSecond: (last.h - first.h) / cpuSeconds,
  };
}

const fmt = (hps: number | null): string => (hps === null ? "n/a" : `${(hps / 1e6).toFixed(2)} M hashes/s`);
const ratio = (a: number, b: number | null): number | null => (b ? a / b : null);
const verdict = (r: number | null, goal: number): string =>
  r === null ? "n/a" : `${r.toFixed(2)}  (goal >= ${goal}: ${r >= goal ? "met" : "MISSED"})`;

const cpuNote = (r: PoolRate): string =>
  `best 1 s window; run mean ${(r.meanHps / 1e6).toFixed(2)} M/s on ${r.cores.toFixed(2)} cores of CPU, ` +
  `${(r.perCpuSecond / 1e6).toFixed(2)} M hashes per CPU-second`;

const simd = createPowKernel().simd;
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(" ");
log(
  `bench:pow  node ${process.version}, ${availableParallelism()} cores (load ${load}), ${simd ? "SIMD" : "scalar"} kernel`,
);
const createHashHps = createHashLoop();
log(`  createHash per nonce        ${fmt(createHashHps)}`);
const jsMidstateHps = jsMidstateLoop();
log(`  plain JS midstate loop      ${fmt(jsMidstateHps)}`);
const opensslOneShotHps = opensslOneShot();
log(`  openssl speed -bytes 80     ${fmt(opensslOneShotHps)}`);
const one = await poolRate(1);
const kernelPerWorkerHps = one.hps;
log(`  kernel, one worker          ${fmt(kernelPerWorkerHps)}\n    ${cpuNote(one)}`);
const all = await poolRate(THREADS);
const allWorkersHps = all.hps;
log(`  kernel, ${THREADS} workers           ${fmt(allWorkersHps)}\n    ${cpuNote(all)}`);
const ratios = {
  kernelOverOpenssl: ratio(kernelPerWorkerHps, opensslOneShotHps),
  kernelOverCreateHash: ratio(kernelPerWorkerHps, createHashHps),
  allOverOne: ratio(allWorkersHps, kernelPerWorkerHps),
};
log("ratios:");
log(`  kernel / openssl one-shot   ${verdict(ratios.kernelOverOpenssl, 1.25)}`);
log(`  kernel / createHash         ${verdict(ratios.kernelOverCreateHash, 16)}`);
log(`  all workers / one           ${verdict(ratios.allOverOne, 1.8)}`);

if (values.json) {
  const result = {
    kernelPerWorkerHps,
    allWorkersHps,
    workers: THREADS,
    createHashHps,
    jsMidstateHps,
    opensslOneShotHps,
    kernel: simd ? "simd" : "scalar",
    ratios,
    cpu: { loadavg: loadavg(), oneWorker: one, allWorkers: all },
  };
  console.log(JSON.stringify(result));
}
