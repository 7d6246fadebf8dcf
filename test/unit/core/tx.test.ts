import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { U64_MAX } from "../../../src/core/encoding.ts";
import { DecodeError, TxError } from "../../../src/core/errors.ts";
import { concatBytes, sha256, toHex, utf8 } from "../../../src/core/hash.ts";
import {
  checkAmount,
  decodeTx,
  encodeTx,
  encodeUnsignedTx,
  isTxSignatureValid,
  MAX_TX_SIZE,
  signTx,
  type Tx,
  TxKind,
  type TxRules,
  txId,
  txSigningMessage,
  type UnsignedTx,
  verifyTxNotExpired,
  verifyTxStatic,
} from "../../../src/core/tx.ts";
import { addressBytesOf } from "../../../src/crypto/address.ts";
import { generateKeyPair, type KeyPair } from "../../../src/crypto/ed25519.ts";
import {
  expectCanonicalOrDecodeError,
  hexify,
  mutate,
  mutationArb,
  type Prefix,
  tally,
  txArb,
} from "./codec-helpers.ts";

const CHAIN_ID = 7;
const GENESIS = sha256(utf8("chainlab test genesis"));
const OTHER_GENESIS = sha256(utf8("another chain's genesis"));
const POW_RULES: TxRules = { chainId: CHAIN_ID, genesisHash: GENESIS, minFee: 10n, engineKinds: new Set() };
const POS_RULES: TxRules = { ...POW_RULES, engineKinds: new Set([TxKind.stake, TxKind.unstake]) };
/** Offset of the payload's u16 length prefix in a tx encoding. */
const PAYLOAD_PREFIX: Prefix = { offset: 90, width: 2 };

const actors = { alice: generateKeyPair(), bob: generateKeyPair(), mallory: generateKeyPair() };
type Actor = keyof typeof actors;

/** A transfer of 100 from `from` to `to` with fee 10, nonce 0. */
function transfer(from: Actor, to: Actor, over: Partial<UnsignedTx> = {}): UnsignedTx {
  return {
    kind: TxKind.transfer,
    chainId: CHAIN_ID,
    from: actors[from].publicKey,
    to: addressBytesOf(actors[to].publicKey),
    amount: 100n,
    fee: 10n,
    nonce: 0,
    expiresAt: 0,
    payload: new Uint8Array(0),
    ...over,
  };
}

function signed(tx: UnsignedTx, signer: KeyPair, genesis = GENESIS): Tx {
  return signTx(tx, signer.secretKey, genesis);
}

function codeOf(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(TxError);
    return (err as TxError).code;
  }
}

describe("tx encoding", () => {
  it("decode(encode(tx)) deep-equals tx", () => {
    fc.assert(
      fc.property(txArb(), (tx) => {
        const b = encodeTx(tx);
        expect(b.length).toBe(156 + tx.payload.length);
        expect(b.length).toBeLessThanOrEqual(MAX_TX_SIZE);
        expect(hexify(decodeTx(b))).toEqual(hexify(tx));
      }),
      { numRuns: 1500 },
    );
  });

  it("random bytes re-encode exactly or throw DecodeError", () => {
    const nearlyTx = fc.uint8Array({ minLength: 150, maxLength: 170 }).map((b) => {
      b[0] = 1;
      b[1]! &= 3;
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), nearlyTx), (b) => {
        expectCanonicalOrDecodeError(decodeTx, encodeTx, b);
      }),
      { numRuns: 2000 },
    );
  });

  it("mutated encodings (flips, truncation, appends, length prefixes) re-encode exactly or throw DecodeError", () => {
    const outcomes: string[] = [];
    fc.assert(
      fc.property(txArb(64), mutationArb, (tx, m) => {
        outcomes.push(
          expectCanonicalOrDecodeError(decodeTx, encodeTx, mutate(encodeTx(tx), [PAYLOAD_PREFIX], m)),
        );
      }),
      { numRuns: 2000 },
    );
    const seen = tally(outcomes);
    for (const code of ["ACCEPTED", "DECODE_TRUNCATED", "DECODE_TRAILING_BYTES", "DECODE_BAD_VALUE"]) {
      expect(seen.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });

  it("rejects wrong version, unknown kind, unsafe nonce, oversize payload and oversize input", () => {
    const base = encodeTx(signed(transfer("alice", "bob"), actors.alice));
    const at =
      (offset: number, ...values: number[]) =>
      (b: Uint8Array) => {
        b.set(values, offset);
        return b;
      };
    const edits: [string, (b: Uint8Array) => Uint8Array, string][] = [
      ["version 2", at(0, 2), "DECODE_BAD_VALUE"],
      ["kind 4", at(1, 4), "DECODE_BAD_VALUE"],
      ["nonce 2^53", at(74, 0, 0x20, 0, 0, 0, 0, 0, 0), "DECODE_BAD_VALUE"],
      ["payload 4097", at(90, 0x10, 0x01), "DECODE_TOO_LARGE"],
      ["too large", () => new Uint8Array(MAX_TX_SIZE + 1), "DECODE_TOO_LARGE"],
      ["empty", () => new Uint8Array(0), "DECODE_TRUNCATED"],
      ["trailing byte", (b) => concatBytes(b, Uint8Array.of(0)), "DECODE_TRAILING_BYTES"],
    ];
    for (const [what, edit, code] of edits) {
      let thrown: unknown;
      try {
        decodeTx(edit(base.slice()));
      } catch (err) {
        thrown = err;
      }
      expect(thrown, what).toBeInstanceOf(DecodeError);
      expect((thrown as DecodeError).code, what).toBe(code);
    }
  });

  it("refuses to encode out-of-range fields rather than wrap them", () => {
    const tx = signed(transfer("alice", "bob"), actors.alice);
    expect(() => encodeTx({ ...tx, chainId: 2 ** 32 + CHAIN_ID })).toThrow(RangeError);
    expect(() => encodeTx({ ...tx, amount: U64_MAX + 1n })).toThrow(RangeError);
    expect(() => encodeTx({ ...tx, nonce: -1 })).toThrow(RangeError);
    expect(() => encodeTx({ ...tx, to: new Uint8Array(32) })).toThrow(RangeError);
  });
});

describe("tx signatures", () => {
  it("signTx produces a signature that isTxSignatureValid accepts, over the domain-tagged id", () => {
    fc.assert(
      fc.property(txArb(64), (raw) => {
        const tx = signed({ ...raw, from: actors.alice.publicKey }, actors.alice);
        expect(isTxSignatureValid(tx, GENESIS)).toBe(true);
        expect(isTxSignatureValid(tx, OTHER_GENESIS)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("the id excludes the signature and the signing message is tag || genesis || id", () => {
    const tx = signed(transfer("alice", "bob"), actors.alice);
    expect(txId(tx)).toEqual(sha256(encodeUnsignedTx(tx)));
    const resigned: Tx = { ...tx, signature: new Uint8Array(64) };
    expect(txId(resigned)).toEqual(txId(tx));
    expect(toHex(txSigningMessage(txId(tx), GENESIS))).toBe(
      toHex(concatBytes(utf8("chainlab/tx/v1"), GENESIS, txId(tx))),
    );
  });

  it("a signature for another genesis hash fails", () => {
    const tx = signed(transfer("alice", "bob"), actors.alice, OTHER_GENESIS);
    expect(isTxSignatureValid(tx, OTHER_GENESIS)).toBe(true);
    expect(isTxSignatureValid(tx, GENESIS)).toBe(false);
    expect(codeOf(() => verifyTxStatic(tx, POW_RULES))).toBe("TX_BAD_SIGNATURE");
  });

  it("a signature for another chain id fails when the tx is relabelled", () => {
    const tx = signed(transfer("alice", "bob", { chainId: CHAIN_ID + 1 }), actors.alice);
    const relabelled = { ...tx, chainId: CHAIN_ID };
    expect(isTxSignatureValid(relabelled, GENESIS)).toBe(false);
    expect(codeOf(() => verifyTxStatic(relabelled, POW_RULES))).toBe("TX_BAD_SIGNATURE");
  });

  it("changing any signed field invalidates the signature", () => {
    const tx = signed(transfer("alice", "bob", { payload: utf8("memo") }), actors.alice);
    const edits: Partial<Tx>[] = [
      { kind: TxKind.stake },
      { chainId: CHAIN_ID + 1 },
      { from: actors.bob.publicKey },
      { to: addressBytesOf(actors.mallory.publicKey) },
      { amount: 101n },
      { fee: 11n },
      { nonce: 1 },
      { expiresAt: 5 },
      { payload: utf8("memO") },
    ];
    for (const edit of edits)
      expect(isTxSignatureValid({ ...tx, ...edit }, GENESIS), JSON.stringify(Object.keys(edit))).toBe(false);
  });
});

interface StaticCase {
  name: string;
  tx: () => Tx;
  rules?: TxRules;
  skipSignature?: boolean;
  code: string | null;
}

const staticCases: StaticCase[] = [
  { name: "alice pays bob", tx: () => signed(transfer("alice", "bob"), actors.alice), code: null },
  {
    name: "alice signs for chain 8",
    tx: () => signed(transfer("alice", "bob", { chainId: 8 }), actors.alice),
    code: "TX_WRONG_CHAIN",
  },
  {
    name: "alice pays a fee below the minimum",
    tx: () => signed(transfer("alice", "bob", { fee: 9n }), actors.alice),
    code: "TX_FEE_TOO_LOW",
  },
  {
    name: "alice sends bob nothing",
    tx: () => signed(transfer("alice", "bob", { amount: 0n }), actors.alice),
    code: "TX_ZERO_AMOUNT",
  },
  {
    name: "alice pays herself",
    tx: () => signed(transfer("alice", "alice"), actors.alice),
    code: "TX_SELF_TRANSFER",
  },
  {
    name: "alice's amount + fee overflows u64",
    tx: () => signed(transfer("alice", "bob", { amount: U64_MAX }), actors.alice),
    code: "TX_OVERFLOW",
  },
  {
    name: "alice's memo is 256 bytes",
    tx: () => signed(transfer("alice", "bob", { payload: new Uint8Array(256) }), actors.alice),
    code: null,
  },
  {
    name: "alice's memo is 257 bytes",
    tx: () => signed(transfer("alice", "bob", { payload: new Uint8Array(257) }), actors.alice),
    code: "TX_MALFORMED",
  },
  {
    name: "mallory signs a transfer from alice",
    tx: () => signed(transfer("alice", "mallory"), actors.mallory),
    code: "TX_BAD_SIGNATURE",
  },
  {
    name: "mallory raises the amount of alice's signed transfer",
    tx: () => ({ ...signed(transfer("alice", "mallory"), actors.alice), amount: 1000n }),
    code: "TX_BAD_SIGNATURE",
  },
  {
    name: "mallory's forged transfer passes when the signature is checked elsewhere",
    tx: () => signed(transfer("alice", "mallory"), actors.mallory),
    skipSignature: true,
    code: null,
  },
  {
    name: "alice stakes on a PoW chain",
    tx: () => signed(transfer("alice", "alice", { kind: TxKind.stake }), actors.alice),
    code: "TX_UNSUPPORTED_KIND",
  },
  {
    name: "alice sends evidence on a PoS chain without evidence",
    tx: () => signed(transfer("alice", "bob", { kind: TxKind.evidence }), actors.alice),
    rules: POS_RULES,
    code: "TX_UNSUPPORTED_KIND",
  },
  {
    name: "alice stakes on a PoS chain",
    tx: () => signed(transfer("alice", "alice", { kind: TxKind.stake }), actors.alice),
    rules: POS_RULES,
    code: null,
  },
];

describe("verifyTxStatic", () => {
  for (const c of staticCases) {
    it(`${c.name}: ${c.code ?? "valid"}`, () => {
      const tx = c.tx();
      expect(codeOf(() => verifyTxStatic(tx, c.rules ?? POW_RULES, txId(tx), c.skipSignature ?? false))).toBe(
        c.code,
      );
    });
  }

  it("reports got/expected for a wrong chain and a low fee", () => {
    const dataOf = (tx: Tx): Record<string, unknown> => {
      try {
        verifyTxStatic(tx, POW_RULES);
      } catch (err) {
        expect(err).toBeInstanceOf(TxError);
        return (err as TxError).data;
      }
      throw new Error("expected a TxError");
    };
    expect(dataOf(signed(transfer("alice", "bob", { chainId: 8 }), actors.alice))).toEqual({
      got: 8,
      expected: CHAIN_ID,
    });
    expect(dataOf(signed(transfer("alice", "bob", { fee: 3n }), actors.alice))).toEqual({
      got: "3",
      expected: "10",
    });
  });
});

describe("verifyTxNotExpired and checkAmount", () => {
  const expiry: [string, number, number, string | null][] = [
    ["never expires", 0, 1_000_000, null],
    ["included before its last height", 10, 9, null],
    ["included at its last height", 10, 10, null],
    ["included one block late", 10, 11, "TX_EXPIRED"],
  ];
  for (const [name, expiresAt, height, code] of expiry) {
    it(`alice's tx ${name}: ${code ?? "valid"}`, () => {
      expect(codeOf(() => verifyTxNotExpired(transfer("alice", "bob", { expiresAt }), height))).toBe(code);
    });
  }

  const amounts: [bigint, string | null][] = [
    [-1n, "TX_NEGATIVE_AMOUNT"],
    [-(2n ** 70n), "TX_NEGATIVE_AMOUNT"],
    [0n, null],
    [U64_MAX, null],
    [U64_MAX + 1n, "TX_OVERFLOW"],
  ];
  for (const [value, code] of amounts) {
    it(`checkAmount(${value}): ${code ?? "valid"}`, () => {
      expect(codeOf(() => checkAmount(value, "amount"))).toBe(code);
      if (code === null) expect(checkAmount(value, "fee")).toBe(value);
    });
  }
});
