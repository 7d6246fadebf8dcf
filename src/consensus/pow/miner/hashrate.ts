/**
 * Turns the workers' wrapping u32 hash counters into a running total and a hashes/s figure over
 * a sliding window. A timer samples often enough that no counter can wrap between two reads.
 */
import { ctlCounter } from "./protocol.ts";

const SAMPLE_MS = 250;
const WINDOW_MS = 3000;
const RING = Math.ceil(WINDOW_MS / SAMPLE_MS) + 2;

/** Reads and rates the pool's hash counters. */
export interface HashrateMeter {
  total(): number;
  rate(): number;
  close(): void;
}

/** Starts sampling the counters of `threads` workers in `ctl`. */
export function createHashrateMeter(ctl: Int32Array, threads: number): HashrateMeter {
  const last = new Int32Array(threads);
  const times = new Float64Array(RING);
  const totals = new Float64Array(RING);
  let head = 0;
  let size = 0;
  let total = 0;

  const read = (): number => {
    for (let i = 0; i < threads; i++) {
      const v = Atomics.load(ctl, ctlCounter(i));
      total += (v - last[i]!) >>> 0;
      last[i] = v;
    }
    return total;
  };

  const sample = (): void => {
    times[head] = performance.now();
    totals[head] = read();
    head = (head + 1) % RING;
    size = Math.min(size + 1, RING);
  };

  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  timer.unref();

  return {
    total: read,
    rate() {
      const now = performance.now();
      const current = read();
      // the oldest sample still inside the window
      for (let k = size; k >= 1; k--) {
        const i = (head - k + RING) % RING;
        const age = now - times[i]!;
        if (age <= WINDOW_MS && age > 0) return ((current - totals[i]!) * 1000) / age;
      }
      return 0;
    },
    close: () => clearInterval(timer),
  };
}
