import { afterEach, describe, expect, it } from "vitest";
import {
  EXTRA_NONCE_OFFSET,
  NONCE_OFFSET,
  POW_HEADER_SIZE,
} from "../../../../../src/consensus/pow/layout.ts";
import {
  createMinerPool,
  createPoolSealer,
  type MinerPool,
  type MinerPoolOptions,
} from "../../../../../src/consensus/pow/miner/index.ts";
import { workerExtraNonce } from "../../../../../src/consensus/pow/miner/protocol.ts";
import { decodeHeader, encodeHeader } from "../../../../../src/core/block.ts";
import { sha256 } from "../../../../../src/core/hash.ts";
import { powHeader, workerThreadCount } from "./headers.ts";

const pools: MinerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

async function startPool(options: MinerPoolOptions): Promise<MinerPool> {
  const pool = createMinerPool(options);
  pools.push(pool);
  await pool.ready();
  return pool;
}

const toBigInt = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString("hex")}`);

/** Waits for a condition by polling it, failing after `ms`. */
async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("miner pool", () => {
  it("mines a real header to an easy target; only nonce and extraNonce change", async () => {
    const pool = await startPool({ threads: 2 });
    const header = powHeader();
    expect(header.length).toBe(POW_HEADER_SIZE);
    const target = 1n << 240n;
    const result = await pool.mine({ header, target });
    expect(result).not.toBeNull();
    expect(toBigInt(sha256(result!.header))).toBeLessThanOrEqual(target);
    expect(result!.hash).toEqual(sha256(result!.header));
    expect(result!.header.subarray(0, EXTRA_NONCE_OFFSET)).toEqual(header.subarray(0, EXTRA_NONCE_OFFSET));
    const decoded = decodeHeader(result!.header);
    expect(decoded.height).toBe(42);
    expect(encodeHeader(decoded)).toEqual(result!.header);
  });

  it("rolls the extraNonce when a worker's nonce span runs out", async () => {
    const pool = await startPool({ threads: 2, nonceSpan: 64 });
    const base = 1000n;
    const header = powHeader(Date.now(), base);
    const target = 1n << 244n; // ~4096 hashes: about 64 extraNonces
    for (let i = 0; i < 3; i++) {
      const result = await pool.mine({ header, target });
      const view = new DataView(result!.header.buffer, result!.header.byteOffset);
      expect(view.getUint32(NONCE_OFFSET)).toBeLessThan(64);
      expect(view.getBigUint64(EXTRA_NONCE_OFFSET)).toBeGreaterThanOrEqual(base);
      expect(toBigInt(sha256(result!.header))).toBeLessThanOrEqual(target);
    }
  });

  it("gives workers disjoint extraNonce sequences", () => {
    const seen = new Set<bigint>();
    for (let i = 0; i < 4; i++) {
      for (let k = 0n; k < 100n; k++) seen.add(workerExtraNonce((1n << 64n) - 10n, i, 4, k));
    }
    expect(seen.size).toBe(400);
  });

  it("a new job preempts the running one within 50 ms and never returns a stale header", async () => {
    const pool = await startPool({ threads: 2 });
    const old = pool.mine({ header: powHeader(1), target: 0n });
    await waitFor(() => pool.hashes() > 1_000_000, 5000);
    const fresh = powHeader(2);
    const t0 = performance.now();
    const result = await pool.mine({ header: fresh, target: 1n << 252n });
    const elapsed = performance.now() - t0;
    expect(await old).toBeNull();
    expect(result!.header.subarray(0, EXTRA_NONCE_OFFSET)).toEqual(fresh.subarray(0, EXTRA_NONCE_OFFSET));
    expect(elapsed).toBeLessThan(50);
  });

  it("back-to-back templates: each result belongs to the template that was current", async () => {
    const pool = await startPool({ threads: 2 });
    for (let i = 0; i < 20; i++) {
      const stale = pool.mine({ header: powHeader(100 + i), target: 1n << 248n });
      const current = powHeader(200 + i);
      const result = await pool.mine({ header: current, target: 1n << 248n });
      expect(await stale).toBeNull();
      expect(result!.header.subarray(0, EXTRA_NONCE_OFFSET)).toEqual(current.subarray(0, EXTRA_NONCE_OFFSET));
    }
  });

  it("an abort resolves null and the workers go idle", async () => {
    const pool = await startPool({ threads: 2 });
    const ac = new AbortController();
    const job = pool.mine({ header: powHeader(), target: 0n }, ac.signal);
    await waitFor(() => pool.hashes() > 100_000, 5000);
    ac.abort();
    expect(await job).toBeNull();
    await sleep(30); // a worker finishes the chunk it was in (a few ms)
    const h = pool.hashes();
    await sleep(100);
    expect(pool.hashes()).toBe(h);
  });

  it("throttled to 200k hashes/s, the achieved rate is within 5%", async () => {
    const rate = 200_000;
    const pool = await startPool({ threads: 2, hashrate: rate });
    const job = pool.mine({ header: powHeader(), target: 0n });
    await sleep(1300); // so that hashrate()'s 3 s window below lies within the job
    const [h0, t0] = [pool.hashes(), performance.now()];
    await sleep(2000);
    const [h1, t1] = [pool.hashes(), performance.now()];
    const achieved = ((h1 - h0) * 1000) / (t1 - t0);
    expect(Math.abs(achieved / rate - 1)).toBeLessThan(0.05);
    expect(Math.abs(pool.hashrate() / rate - 1)).toBeLessThan(0.05);
    await pool.stop();
    expect(await job).toBeNull();
  });

  it("stop() terminates every worker thread and later jobs are refused", async () => {
    const before = workerThreadCount();
    const pool = createMinerPool({ threads: 2 });
    await pool.ready();
    expect(workerThreadCount()).toBe(before + 2);
    const job = pool.mine({ header: powHeader(), target: 0n });
    await waitFor(() => pool.hashes() > 0, 5000);
    await pool.stop();
    expect(await job).toBeNull();
    expect(workerThreadCount()).toBe(before);
    await expect(pool.mine({ header: powHeader(), target: 1n })).rejects.toMatchObject({
      code: "MINER_STOPPED",
    });
  });

  it("rejects a malformed job with a typed error", async () => {
    const pool = await startPool({ threads: 1 });
    await expect(pool.mine({ header: new Uint8Array(80), target: 1n })).rejects.toMatchObject({
      code: "MINER_BAD_JOB",
    });
    await expect(pool.mine({ header: powHeader(), target: 1n << 256n })).rejects.toMatchObject({
      code: "MINER_BAD_JOB",
    });
    expect(() => createMinerPool({ threads: 0 })).toThrow(
      expect.objectContaining({ code: "MINER_BAD_OPTIONS" }),
    );
  });

  it("the scalar fallback mines too", async () => {
    const pool = await startPool({ threads: 1, simd: false });
    const target = 1n << 244n;
    const result = await pool.mine({ header: powHeader(), target });
    expect(toBigInt(sha256(result!.header))).toBeLessThanOrEqual(target);
  });
});

describe("pool sealer", () => {
  it("seals through the pool and returns null when aborted", async () => {
    const sealer = createPoolSealer({ threads: 1 });
    try {
      const target = 1n << 244n;
      const sealed = await sealer.seal(powHeader(), target, new AbortController().signal);
      expect(toBigInt(sha256(sealed!))).toBeLessThanOrEqual(target);
      const ac = new AbortController();
      const pending = sealer.seal(powHeader(), 0n, ac.signal);
      ac.abort();
      expect(await pending).toBeNull();
    } finally {
      await sealer.close();
    }
  });
});
