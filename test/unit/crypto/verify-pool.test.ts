import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fromHex, sha256, utf8 } from "../../../src/core/hash.ts";
import { publicKeyOf, sign, verifyReference } from "../../../src/crypto/ed25519.ts";
import { createVerifyPool, type SignatureItem, type VerifyPool } from "../../../src/crypto/verify-pool.ts";
import { readVectors } from "../../helpers/vectors.ts";

interface Vector {
  publicKey: string;
  message: string;
  signature: string;
}
const vectors = readVectors<{ vectors: Vector[] }>("ed25519-rfc8032.json").vectors;

/** `n` signed items from a few keys; every `badEvery`-th one is corrupted in a rotating way. */
function items(n: number, badEvery = 0): SignatureItem[] {
  const keys = [0, 1, 2, 3].map((k) => sha256(utf8(`verify-pool-key-${k}`)));
  return Array.from({ length: n }, (_, i) => {
    const sk = keys[i % keys.length]!;
    const message = utf8(`message ${i}`);
    const item = { signature: sign(message, sk), message, publicKey: publicKeyOf(sk) };
    if (badEvery === 0 || i % badEvery !== badEvery - 1) return item;
    switch (((i / badEvery) % 4) | 0) {
      case 0:
        return { ...item, message: utf8(`message ${i}!`) };
      case 1:
        return { ...item, publicKey: publicKeyOf(keys[(i + 1) % keys.length]!) };
      case 2:
        return { ...item, signature: item.signature.slice(0, 63) };
      default: {
        const signature = item.signature.slice();
        signature[5]! ^= 0x10;
        return { ...item, signature };
      }
    }
  });
}

const reference = (xs: readonly SignatureItem[]) =>
  Uint8Array.from(xs, (x) => (verifyReference(x.signature, x.message, x.publicKey) ? 1 : 0));

const pools: VerifyPool[] = [];
function pool(options: Parameters<typeof createVerifyPool>[0]): VerifyPool {
  const p = createVerifyPool(options);
  pools.push(p);
  return p;
}
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

describe("signature verification pool", () => {
  it("agrees with the noble reference item by item, on workers, for valid and corrupted signatures", async () => {
    const p = pool({ threads: 2, inlineBelow: 4 });
    const batch = items(200, 7);
    const valid = await p.verifyEach(batch);
    expect([...valid]).toEqual([...reference(batch)]);
    expect(valid.filter((v) => v === 0).length).toBe(28);
    const s = p.stats();
    // The 7 truncated signatures cannot travel packed: refused in the calling thread.
    expect(s.onWorkers).toBe(193);
    expect(s.inline).toBe(7);
    expect(s.running).toBe(2);
    expect(s.failures).toBe(0);
  });

  it("verifies the RFC 8032 vectors and refuses them with a flipped bit", async () => {
    const p = pool({ threads: 1, inlineBelow: 1 });
    const good = vectors.map((v) => ({
      signature: fromHex(v.signature),
      message: fromHex(v.message),
      publicKey: fromHex(v.publicKey),
    }));
    const bad = good.map((g) => {
      const signature = g.signature.slice();
      signature[0]! ^= 1;
      return { ...g, signature };
    });
    expect([...(await p.verifyEach([...good, ...bad]))]).toEqual([1, 1, 1, 0, 0, 0]);
    expect(p.stats().onWorkers).toBe(6);
  });

  it("starts no worker until a batch needs one, and verifies small batches in the calling thread", async () => {
    const p = pool({ threads: 2, inlineBelow: 16 });
    expect(p.stats()).toMatchObject({ running: 0, started: 0 });
    const small = items(15, 5);
    expect([...(await p.verifyEach(small))]).toEqual([...reference(small)]);
    expect(p.stats()).toMatchObject({ running: 0, started: 0, inline: 15 });
  });

  it("is bounded: never more workers than threads, and a batch beyond the queue bound runs inline", async () => {
    const p = pool({ threads: 2, inlineBelow: 1, maxQueuedItems: 64 });
    const batches = [items(40), items(40, 3), items(40)];
    const results = await Promise.all(batches.map((b) => p.verifyEach(b)));
    results.forEach((r, i) => {
      expect([...r]).toEqual([...reference(batches[i]!)]);
    });
    const s = p.stats();
    expect(s.started).toBe(2);
    // The first batch fills 40 of the 64 slots; the second and third do not fit beside it.
    expect(s.onWorkers).toBe(40);
    expect(s.inline).toBe(80);
  });

  it("keeps the calling thread's event loop running while a large batch verifies", async () => {
    const batch = items(600);
    let ticks = 0;
    const count = async (work: Promise<Uint8Array>) => {
      let done = false;
      const loop = () => {
        if (done) return;
        ticks++;
        setImmediate(loop);
      };
      setImmediate(loop);
      await work;
      done = true;
      const t = ticks;
      ticks = 0;
      return t;
    };
    const onWorkers = await count(pool({ threads: 2 }).verifyEach(batch));
    const inThread = await count(pool({ threads: 0 }).verifyEach(batch));
    expect(onWorkers).toBeGreaterThan(10);
    // The contrast: verified in the calling thread, the loop cannot turn until it is done.
    expect(inThread).toBe(0);
  });

  it("close() terminates the workers; a batch pending at close still completes correctly", async () => {
    const p = pool({ threads: 2, inlineBelow: 1 });
    const batch = items(400, 9);
    const pending = p.verifyEach(batch);
    expect(p.stats().running).toBe(2);
    await p.close();
    expect(p.stats().running).toBe(0);
    expect([...(await pending)]).toEqual([...reference(batch)]);
    // After close everything runs inline and no worker starts again.
    await p.verifyEach(items(50));
    expect(p.stats()).toMatchObject({ running: 0, started: 2 });
  });

  it("workers exit after the idle time and start again on the next batch", async () => {
    const p = pool({ threads: 1, inlineBelow: 1, idleMs: 20 });
    await p.verifyEach(items(8));
    expect(p.stats().running).toBe(1);
    await vi.waitFor(() => expect(p.stats().running).toBe(0), { timeout: 5000, interval: 10 });
    const batch = items(8, 2);
    expect([...(await p.verifyEach(batch))]).toEqual([...reference(batch)]);
    expect(p.stats()).toMatchObject({ running: 1, started: 2 });
  });

  it("a busy worker keeps the process alive while its caller awaits it; an idle one lets it exit", async () => {
    // Nothing but the pending batch holds the child's event loop (it never closes its pool).
    const script = fileURLToPath(new URL("../../fixtures/verify-pool-child.ts", import.meta.url));
    const { stdout, code: exit } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = spawn(process.execPath, [script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.on("exit", (c) => resolve({ stdout: out, code: c }));
    });
    // The pool was not closed: exiting at all shows the idle workers do not hold the process.
    expect({ stdout: stdout.trim(), exit }).toEqual({ stdout: "64 64 0", exit: 0 });
  });

  it("refuses bad options with a RangeError", () => {
    expect(() => createVerifyPool({ threads: -1 })).toThrow(RangeError);
    expect(() => createVerifyPool({ maxQueuedItems: 0 })).toThrow(RangeError);
    expect(() => createVerifyPool({ idleMs: 1.5 })).toThrow(RangeError);
  });
});
