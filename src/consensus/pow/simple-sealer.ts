/**
 * The reference sealer: a plain createHash-per-nonce loop on the main thread, yielding to the event
 * loop between chunks. Slow but obviously correct; the optimized miner lives in ./miner.
 */
import { createHash } from "node:crypto";
import { EXTRA_NONCE_OFFSET, NONCE_OFFSET } from "./layout.ts";
import type { Sealer } from "./sealer.ts";

const CHUNK = 4096;

/** Creates the reference in-thread sealer. */
export function createSimpleSealer(): Sealer {
  let windowStart = Date.now();
  let windowHashes = 0;
  let rate = 0;

  const count = (n: number): void => {
    windowHashes += n;
    const now = Date.now();
    if (now - windowStart >= 1000) {
      rate = (windowHashes * 1000) / (now - windowStart);
      windowStart = now;
      windowHashes = 0;
    }
  };

  return {
    async seal(header, target, signal) {
      const buf = Buffer.from(header);
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      let extraNonce = view.getBigUint64(EXTRA_NONCE_OFFSET);
      let nonce = 0;
      while (!signal.aborted) {
        for (let i = 0; i < CHUNK; i++) {
          view.setUint32(NONCE_OFFSET, nonce);
          const digest = createHash("sha256").update(buf).digest();
          if (BigInt(`0x${digest.toString("hex")}`) <= target) {
            count(i + 1);
            return new Uint8Array(buf);
          }
          nonce = (nonce + 1) >>> 0;
          if (nonce === 0) {
            extraNonce += 1n;
            view.setBigUint64(EXTRA_NONCE_OFFSET, extraNonce);
          }
        }
        count(CHUNK);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return null;
    },
    hashrate: () => rate,
    close: async () => {},
  };
}
