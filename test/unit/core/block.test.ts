import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BITS_OFFSET,
  EXTRA_NONCE_OFFSET,
  encodePowFields,
  MIDSTATE_BYTES,
  NONCE_OFFSET,
  NONCE_WORD,
  POW_HEADER_SIZE,
  TIMESTAMP_OFFSET,
} from "../../../src/consensus/pow/layout.ts";
import {
  type Block,
  decodeBlock,
  decodeHeader,
  encodeBlock,
  encodeHeader,
  HEADER_FIXED_SIZE,
  type Header,
  headerHash,
  MAX_BLOCK_SIZE,
  MAX_BLOCK_TXS,
  MAX_ENGINE_BODY,
  MAX_ENGINE_FIELDS,
} from "../../../src/core/block.ts";
import { Writer } from "../../../src/core/encoding.ts";
import { DecodeError } from "../../../src/core/errors.ts";
import { concatBytes, sha256, toHex } from "../../../src/core/hash.ts";
import { encodeTx } from "../../../src/core/tx.ts";
import {
  blockArb,
  expectCanonicalOrDecodeError,
  headerArb,
  hexify,
  mutate,
  mutationArb,
  type Prefix,
  tally,
} from "./codec-helpers.ts";

const ENGINE_PREFIX: Prefix = { offset: 136, width: 4 };

/** Every length prefix and count in a block's encoding. */
function blockPrefixes(b: Block): Prefix[] {
  const out: Prefix[] = [ENGINE_PREFIX];
  let pos = HEADER_FIXED_SIZE + b.header.engine.length;
  out.push({ offset: pos, width: 4 });
  pos += 4;
  for (const tx of b.txs) {
    out.push({ offset: pos, width: 2 }, { offset: pos + 2 + 90, width: 2 });
    pos += 2 + encodeTx(tx).length;
  }
  out.push({ offset: pos, width: 4 });
  return out;
}

function decodeErrorCode(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return (err as DecodeError).code;
  }
  return "ACCEPTED";
}

const sampleHeader: Header = {
  version: 1,
  height: 42,
  parentHash: sha256(Uint8Array.of(1)),
  txRoot: sha256(Uint8Array.of(2)),
  stateRoot: sha256(Uint8Array.of(3)),
  beneficiary: new Uint8Array(20).fill(4),
  timestamp: 1_700_000_000_000,
  engine: encodePowFields({ bits: 0x1f00ffff, extraNonce: 0x0102030405060708n, nonce: 0xdeadbeef }),
};

describe("header encoding", () => {
  it("decode(encode(h)) deep-equals h, and the hash is SHA-256 of the encoding", () => {
    fc.assert(
      fc.property(headerArb, (h) => {
        const b = encodeHeader(h);
        expect(b.length).toBe(HEADER_FIXED_SIZE + h.engine.length);
        expect(hexify(decodeHeader(b))).toEqual(hexify(h));
        expect(headerHash(h)).toEqual(sha256(b));
      }),
      { numRuns: 1500 },
    );
  });

  it("random bytes re-encode exactly or throw DecodeError", () => {
    const outcomes: string[] = [];
    const nearlyHeader = fc.uint8Array({ minLength: 140, maxLength: 200 }).map((b) => {
      // Version 1, safe height and timestamp, engine length matching the rest: mostly accepted.
      b.set([0, 0, 0, 1, 0], 0);
      b[5]! &= 0x1f;
      b[128] = 0;
      b[129]! &= 0x1f;
      new DataView(b.buffer).setUint32(136, b.length - 140);
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), nearlyHeader), (b) => {
        outcomes.push(expectCanonicalOrDecodeError(decodeHeader, encodeHeader, b));
      }),
      { numRuns: 2000 },
    );
    expect(tally(outcomes).get("ACCEPTED") ?? 0).toBeGreaterThan(100);
  });

  it("mutated encodings re-encode exactly or throw DecodeError", () => {
    const outcomes: string[] = [];
    fc.assert(
      fc.property(headerArb, mutationArb, (h, m) => {
        const b = mutate(encodeHeader(h), [ENGINE_PREFIX], m);
        outcomes.push(expectCanonicalOrDecodeError(decodeHeader, encodeHeader, b));
      }),
      { numRuns: 2000 },
    );
    const seen = tally(outcomes);
    for (const code of ["ACCEPTED", "DECODE_TRUNCATED", "DECODE_TRAILING_BYTES", "DECODE_BAD_VALUE"]) {
      expect(seen.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });

  it("rejects a wrong version, oversize engine fields and unsafe heights", () => {
    const b = encodeHeader(sampleHeader);
    const v2 = b.slice();
    v2[3] = 2;
    expect(decodeErrorCode(() => decodeHeader(v2))).toBe("DECODE_BAD_VALUE");
    const bigEngine = encodeHeader({ ...sampleHeader, engine: new Uint8Array(MAX_ENGINE_FIELDS) });
    expect(decodeErrorCode(() => decodeHeader(bigEngine))).toBe("ACCEPTED");
    const tooBig = concatBytes(bigEngine, Uint8Array.of(0));
    expect(decodeErrorCode(() => decodeHeader(tooBig))).toBe("DECODE_TOO_LARGE");
    const over = b.slice();
    over.set([0, 0, 1, 1], 136);
    expect(decodeErrorCode(() => decodeHeader(over))).toBe("DECODE_TOO_LARGE");
    const unsafe = b.slice();
    unsafe.set([0, 0x20, 0, 0, 0, 0, 0, 0], 4);
    expect(decodeErrorCode(() => decodeHeader(unsafe))).toBe("DECODE_BAD_VALUE");
  });

  it("puts the PoW fields where the miner expects them (core/block.ts and pow/layout.ts agree)", () => {
    const b = encodeHeader(sampleHeader);
    expect(b.length).toBe(POW_HEADER_SIZE);
    expect(MIDSTATE_BYTES % 64).toBe(0);
    expect(NONCE_WORD).toBe(6);
    const at = (offset: number, n: number) => toHex(b.subarray(offset, offset + n));
    expect(at(TIMESTAMP_OFFSET, 8)).toBe(toHex(new Writer().uint(sampleHeader.timestamp).finish()));
    expect(at(136, 4)).toBe("00000010");
    expect(at(BITS_OFFSET, 4)).toBe("1f00ffff");
    expect(at(EXTRA_NONCE_OFFSET, 8)).toBe("0102030405060708");
    expect(at(NONCE_OFFSET, 4)).toBe("deadbeef");
  });
});

describe("block encoding", () => {
  it("decode(encode(b)) deep-equals b", () => {
    fc.assert(
      fc.property(blockArb, (b) => {
        expect(hexify(decodeBlock(encodeBlock(b)))).toEqual(hexify(b));
      }),
      { numRuns: 1000 },
    );
  });

  it("random bytes re-encode exactly or throw DecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        expectCanonicalOrDecodeError(decodeBlock, encodeBlock, b);
      }),
      { numRuns: 2000 },
    );
  });

  it("mutated encodings (flips, truncation, appends, counts and length prefixes) re-encode exactly or throw DecodeError", () => {
    const outcomes: string[] = [];
    fc.assert(
      fc.property(blockArb, mutationArb, (block, m) => {
        const b = mutate(encodeBlock(block), blockPrefixes(block), m);
        outcomes.push(expectCanonicalOrDecodeError(decodeBlock, encodeBlock, b));
      }),
      { numRuns: 2000 },
    );
    const seen = tally(outcomes);
    for (const code of [
      "ACCEPTED",
      "DECODE_TRUNCATED",
      "DECODE_TRAILING_BYTES",
      "DECODE_BAD_VALUE",
      "DECODE_TOO_LARGE",
    ]) {
      expect(seen.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });

  it("checks counts, tx length prefixes, body size and total size", () => {
    const tx = {
      kind: 0 as const,
      chainId: 1,
      from: new Uint8Array(32).fill(1),
      to: new Uint8Array(20).fill(2),
      amount: 5n,
      fee: 1n,
      nonce: 0,
      expiresAt: 0,
      payload: new Uint8Array(3),
      signature: new Uint8Array(64).fill(9),
    };
    const block: Block = { header: sampleHeader, txs: [tx], engineBody: Uint8Array.of(7) };
    const b = encodeBlock(block);
    const [, countAt, txLenAt, , bodyAt] = blockPrefixes(block).map((p) => p.offset) as number[];

    const tooMany = b.slice();
    new DataView(tooMany.buffer).setUint32(countAt!, MAX_BLOCK_TXS + 1);
    expect(decodeErrorCode(() => decodeBlock(tooMany))).toBe("DECODE_TOO_LARGE");

    const badLen = b.slice();
    new DataView(badLen.buffer).setUint16(txLenAt!, encodeTx(tx).length + 1);
    expect(decodeErrorCode(() => decodeBlock(badLen))).toBe("DECODE_BAD_VALUE");

    const bigBody = b.slice();
    new DataView(bigBody.buffer).setUint32(bodyAt!, MAX_ENGINE_BODY + 1);
    expect(decodeErrorCode(() => decodeBlock(bigBody))).toBe("DECODE_TOO_LARGE");

    expect(decodeErrorCode(() => decodeBlock(concatBytes(b, Uint8Array.of(0))))).toBe(
      "DECODE_TRAILING_BYTES",
    );
    expect(decodeErrorCode(() => decodeBlock(new Uint8Array(MAX_BLOCK_SIZE + 1)))).toBe("DECODE_TOO_LARGE");
  });
});
