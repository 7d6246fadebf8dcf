import { afterEach, describe, expect, it } from "vitest";
import { EXTRA_NONCE_OFFSET, NONCE_OFFSET } from "../../../../../src/consensus/pow/layout.ts";
import {
  createInlineSealer,
  INLINE_MAX_HASHRATE,
  MinerError,
  minesInline,
} from "../../../../../src/consensus/pow/miner/index.ts";
import type { Sealer } from "../../../../../src/consensus/pow/sealer.ts";
import { sha256 } from "../../../../../src/core/hash.ts";
import { powHeader, workerThreadCount } from "./headers.ts";

const sealers: Sealer[] = [];
afterEach(async () => {
  await Promise.all(sealers.splice(0).map((s) => s.close()));
});

function start(hashrate: number, extra: { nonceSpan?: number; simd?: boolean } = {}): Sealer {
  const sealer = createInlineSealer({ hashrate, ...extra });
  sealers.push(sealer);
  return sealer;
}

const toBigInt = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString("hex")}`);

const never = (): AbortSignal => new AbortController().signal;

describe("inline sealer", () => {
  it("seals a real header on the calling thread: valid hash, only nonce and extraNonce change", async () => {
    const threads = workerThreadCount();
    const sealer = start(INLINE_MAX_HASHRATE);
    const header = powHeader();
    const target = 1n << 244n;
    const sealed = await sealer.seal(header, target, never());
    expect(sealed).not.toBeNull();
    expect(toBigInt(sha256(sealed!))).toBeLessThanOrEqual(target);
    expect(sealed!.subarray(0, EXTRA_NONCE_OFFSET)).toEqual(header.subarray(0, EXTRA_NONCE_OFFSET));
    expect(sealed!.length).toBe(header.length);
    expect(workerThreadCount()).toBe(threads);
    expect(sealer.hashes!()).toBeGreaterThan(0);
  });

  it("rolls the extraNonce when the nonce span runs out (scalar kernel too)", async () => {
    for (const simd of [true, false]) {
      const sealer = start(INLINE_MAX_HASHRATE, { nonceSpan: 64, simd });
      const base = 500n;
      const target = 1n << 246n; // ~1024 hashes: about 16 extraNonces
      const sealed = await sealer.seal(powHeader(Date.now(), base), target, never());
      const view = new DataView(sealed!.buffer, sealed!.byteOffset);
      expect(view.getUint32(NONCE_OFFSET)).toBeLessThan(64);
      expect(view.getBigUint64(EXTRA_NONCE_OFFSET)).toBeGreaterThanOrEqual(base);
      expect(toBigInt(sha256(sealed!))).toBeLessThanOrEqual(target);
    }
  });

  it("reveals a solution no earlier than a miner hashing at the rate would reach it", async () => {
    const rate = 100_000;
    const sealer = start(rate);
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const sealed = await sealer.seal(powHeader(Date.now(), 0n), 1n << 243n, never()); // ~8192 hashes
      const elapsed = performance.now() - t0;
      const view = new DataView(sealed!.buffer, sealed!.byteOffset);
      expect(view.getBigUint64(EXTRA_NONCE_OFFSET)).toBe(0n);
      const hashes = view.getUint32(NONCE_OFFSET) + 1; // nonces from 0, in order
      // A kernel that burst ahead and returned at once would beat this bound by tens of ms.
      expect(elapsed).toBeGreaterThanOrEqual((hashes * 1000) / rate - 2);
    }
  });

  it("a new seal preempts the running one, which resolves null; the result is the new template's", async () => {
    const sealer = start(100_000);
    const old = sealer.seal(powHeader(1), 0n, never());
    const fresh = powHeader(2);
    const result = await sealer.seal(fresh, 1n << 250n, never());
    expect(await old).toBeNull();
    expect(result!.subarray(0, EXTRA_NONCE_OFFSET)).toEqual(fresh.subarray(0, EXTRA_NONCE_OFFSET));
  });

  it("an abort wakes a sleeping search: it resolves null and hashing stops", async () => {
    const sealer = start(10); // 8 hashes, then 800 ms asleep
    const abort = new AbortController();
    const job = sealer.seal(powHeader(), 0n, abort.signal);
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    abort.abort();
    expect(await job).toBeNull();
    expect(performance.now() - t0).toBeLessThan(400);
    const h = sealer.hashes!();
    await new Promise((r) => setTimeout(r, 300));
    expect(sealer.hashes!()).toBe(h);
  });

  it("keeps the event loop running while it mines at the highest inline rate", async () => {
    const sealer = start(INLINE_MAX_HASHRATE);
    const job = sealer.seal(powHeader(), 0n, never());
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        ticks++;
        if (ticks === 50) resolve();
        else setTimeout(tick, 1);
      };
      setTimeout(tick, 1);
    });
    expect(ticks).toBe(50);
    expect(sealer.hashes!()).toBeGreaterThan(0);
    await sealer.close();
    expect(await job).toBeNull();
  });

  it("throttled to 200k hashes/s, the achieved rate is within 5%", async () => {
    const rate = 200_000;
    const sealer = start(rate);
    const job = sealer.seal(powHeader(), 0n, never());
    await new Promise((r) => setTimeout(r, 500));
    const [h0, t0] = [sealer.hashes!(), performance.now()];
    await new Promise((r) => setTimeout(r, 2000));
    const [h1, t1] = [sealer.hashes!(), performance.now()];
    expect(Math.abs(((h1 - h0) * 1000) / (t1 - t0) / rate - 1)).toBeLessThan(0.05);
    await sealer.close();
    expect(await job).toBeNull();
  });

  it("keeps its rate across templates: preempted every 20 ms, it still hashes within 10% of the rate", async () => {
    const rate = 200_000;
    const sealer = start(rate);
    let job = sealer.seal(powHeader(0), 0n, never());
    await new Promise((r) => setTimeout(r, 300));
    const [h0, t0] = [sealer.hashes!(), performance.now()];
    for (let i = 1; i <= 75; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const next = sealer.seal(powHeader(i), 0n, never());
      expect(await job).toBeNull();
      job = next;
    }
    const [h1, t1] = [sealer.hashes!(), performance.now()];
    expect(Math.abs(((h1 - h0) * 1000) / (t1 - t0) / rate - 1)).toBeLessThan(0.1);
    await sealer.close();
    expect(await job).toBeNull();
  });

  it("refuses bad options and bad jobs with typed errors, and seals nothing once closed", async () => {
    expect(() => createInlineSealer({ hashrate: 0 })).toThrow(MinerError);
    expect(() => createInlineSealer({ hashrate: INLINE_MAX_HASHRATE + 1 })).toThrow(/inline hashrate/);
    expect(() => createInlineSealer({ hashrate: 1000, nonceSpan: 7 })).toThrow(/nonceSpan/);
    const sealer = start(1000);
    await expect(sealer.seal(new Uint8Array(10), 1n, never())).rejects.toMatchObject({
      code: "MINER_BAD_JOB",
    });
    await expect(sealer.seal(powHeader(), -1n, never())).rejects.toMatchObject({ code: "MINER_BAD_JOB" });
    await sealer.close();
    await expect(sealer.seal(powHeader(), 1n, never())).rejects.toMatchObject({ code: "MINER_STOPPED" });
  });
});

describe("minesInline", () => {
  it("is true only for a throttled miner of at most one thread at or below the inline limit", () => {
    expect(minesInline({ hashrate: 100_000 })).toBe(true);
    expect(minesInline({ hashrate: 100_000, threads: 1 })).toBe(true);
    expect(minesInline({ hashrate: INLINE_MAX_HASHRATE })).toBe(true);
    expect(minesInline({ hashrate: INLINE_MAX_HASHRATE + 1 })).toBe(false);
    expect(minesInline({ hashrate: 100_000, threads: 2 })).toBe(false);
    expect(minesInline({})).toBe(false);
    expect(minesInline({ threads: 1 })).toBe(false);
  });
});
