import { describe, expect, it } from "vitest";
import { TxError } from "../../../src/core/errors.ts";
import { MempoolError } from "../../../src/mempool/index.ts";
import { RejectCache } from "../../../src/mempool/reject-cache.ts";

const id = (n: number) => new Uint8Array(32).fill(n);
const sig = (n: number) => new Uint8Array(64).fill(n);
const codeOf = (fn: () => void): string => {
  try {
    fn();
    return "OK";
  } catch (err) {
    return (err as TxError).code;
  }
};

describe("RejectCache", () => {
  it("rethrows the cached code with the original class and data, marked cached", () => {
    const cache = new RejectCache();
    cache.add(id(1), sig(1), new MempoolError("MEMPOOL_NONCE_GAP", "gap", { got: 9 }));
    try {
      cache.verifyNotRejected(id(1), sig(1));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MempoolError);
      expect((err as MempoolError).data).toEqual({ got: 9, cached: true });
    }
  });

  it("keys by id and signature: another signature for the same id is not blocked", () => {
    const cache = new RejectCache();
    cache.add(id(1), sig(1), new TxError("TX_BAD_SIGNATURE", "bad"));
    expect(codeOf(() => cache.verifyNotRejected(id(1), sig(1)))).toBe("TX_BAD_SIGNATURE");
    expect(codeOf(() => cache.verifyNotRejected(id(1), sig(2)))).toBe("OK");
  });

  it("never caches a tx that is held by the pool", () => {
    const cache = new RejectCache();
    cache.add(id(1), sig(1), new MempoolError("MEMPOOL_ALREADY_KNOWN", "known"));
    expect(cache.size).toBe(0);
  });

  it("is bounded per class, forgetting the oldest first", () => {
    const cache = new RejectCache(3);
    for (let i = 0; i < 5; i++) cache.add(id(i), sig(i), new TxError("TX_BAD_SIGNATURE", "bad"));
    for (let i = 0; i < 5; i++) cache.add(id(i + 10), sig(i), new TxError("TX_INSUFFICIENT_FUNDS", "poor"));
    expect(cache.size).toBe(6);
    expect(codeOf(() => cache.verifyNotRejected(id(1), sig(1)))).toBe("OK");
    expect(codeOf(() => cache.verifyNotRejected(id(4), sig(4)))).toBe("TX_BAD_SIGNATURE");
    cache.onHeadChanged();
    expect(cache.size).toBe(3);
  });
});
