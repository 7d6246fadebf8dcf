import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { DecodeError } from "../../../src/core/errors.ts";
import { decodeTxBatch, encodeTxBatch, MAX_TX_BATCH, TxBatcher } from "../../../src/p2p/tx-batch.ts";
import { expectCanonicalOrDecodeError, mutate, mutationArb, type Prefix } from "../core/codec-helpers.ts";

const txs = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 20 });

function prefixesOf(list: Uint8Array[]): Prefix[] {
  const out: Prefix[] = [{ offset: 0, width: 2 }];
  let at = 2;
  for (const t of list) {
    out.push({ offset: at, width: 2 });
    at += 2 + t.length;
  }
  return out;
}

describe("tx batches (the txs-topic message)", () => {
  it("round-trip canonically", () => {
    fc.assert(
      fc.property(txs, (list) => {
        const bytes = encodeTxBatch(list);
        expect(decodeTxBatch(bytes)).toEqual(list);
        expect(encodeTxBatch(decodeTxBatch(bytes))).toEqual(bytes);
      }),
    );
  });

  it("random bytes decode canonically or throw DecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        expectCanonicalOrDecodeError(decodeTxBatch, encodeTxBatch, b);
      }),
      { numRuns: 2000 },
    );
  });

  it("mutated batches decode canonically or throw DecodeError", () => {
    fc.assert(
      fc.property(txs, mutationArb, (list, m) => {
        expectCanonicalOrDecodeError(
          decodeTxBatch,
          encodeTxBatch,
          mutate(encodeTxBatch(list), prefixesOf(list), m),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("reject an empty batch and a count above the maximum", () => {
    expect(() => decodeTxBatch(Uint8Array.of(0, 0))).toThrow(DecodeError);
    expect(() => decodeTxBatch(Uint8Array.of((MAX_TX_BATCH + 1) >> 8, (MAX_TX_BATCH + 1) & 0xff))).toThrow(
      DecodeError,
    );
  });

  it("the batcher publishes after a short delay, or at once when full", () => {
    vi.useFakeTimers();
    try {
      const published: Uint8Array[][] = [];
      const b = new TxBatcher((batch) => published.push(decodeTxBatch(batch)));
      b.add(Uint8Array.of(1));
      b.add(Uint8Array.of(2));
      expect(published).toHaveLength(0);
      vi.advanceTimersByTime(25);
      expect(published).toEqual([[Uint8Array.of(1), Uint8Array.of(2)]]);
      for (let i = 0; i < MAX_TX_BATCH; i++) b.add(Uint8Array.of(i & 0xff));
      expect(published).toHaveLength(2);
      expect(published[1]).toHaveLength(MAX_TX_BATCH);
      b.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
