/**
 * Transactions: canonical layout, ids, signing and the stateless checks.
 *
 * Layout (big-endian), 156 bytes for a transfer without payload:
 *   version u8 (=1) | kind u8 | chainId u32 | from 32 (ed25519 public key) | to 20 (address bytes)
 *   | amount u64 | fee u64 | nonce u64 | expiresAt u64 (last valid height, 0 = never)
 *   | payload u16-length-prefixed (<= 4096) | signature 64
 *
 * The tx id is SHA-256 of everything before the signature. The signature covers
 * "chainlab/tx/v1" || genesisHash || txId, so a tx signed for one chain is invalid on every other.
 */
import { addressBytesOf } from "../crypto/address.ts";
import { sign, verify } from "../crypto/ed25519.ts";
import { Reader, U64_MAX, Writer } from "./encoding.ts";
import { DecodeError, TxError } from "./errors.ts";
import { bytesEqual, concatBytes, type Hash, sha256, utf8 } from "./hash.ts";

export const TX_VERSION = 1;
export const TX_DOMAIN = utf8("chainlab/tx/v1");
export const MAX_TX_PAYLOAD = 4096;
export const MAX_TRANSFER_MEMO = 256;
export const MAX_TX_SIZE = 1 + 1 + 4 + 32 + 20 + 8 * 4 + 2 + MAX_TX_PAYLOAD + 64;

/** Transaction kinds; transfer is universal, the others belong to engines that declare them. */
export const TxKind = { transfer: 0, stake: 1, unstake: 2, evidence: 3 } as const;
export type TxKind = (typeof TxKind)[keyof typeof TxKind];
const KIND_NAMES = ["transfer", "stake", "unstake", "evidence"] as const;
export type TxKindName = (typeof KIND_NAMES)[number];

export function txKindName(kind: TxKind): TxKindName {
  return KIND_NAMES[kind] as TxKindName;
}

/** The signed fields of a transaction. */
export interface UnsignedTx {
  kind: TxKind;
  chainId: number;
  from: Uint8Array;
  to: Uint8Array;
  amount: bigint;
  fee: bigint;
  nonce: number;
  expiresAt: number;
  payload: Uint8Array;
}

/** A signed transaction. */
export interface Tx extends UnsignedTx {
  signature: Uint8Array;
}

function writeUnsigned(w: Writer, tx: UnsignedTx): void {
  w.u8(TX_VERSION)
    .u8(tx.kind)
    .u32(tx.chainId)
    .fixed(tx.from, 32)
    .fixed(tx.to, 20)
    .u64(tx.amount)
    .u64(tx.fee)
    .uint(tx.nonce)
    .uint(tx.expiresAt)
    .varBytes(tx.payload, 2, MAX_TX_PAYLOAD);
}

/** The bytes the tx id is computed over (everything but the signature). */
export function encodeUnsignedTx(tx: UnsignedTx): Uint8Array {
  const w = new Writer(160);
  writeUnsigned(w, tx);
  return w.finish();
}

/** The canonical encoding of a signed transaction. */
export function encodeTx(tx: Tx): Uint8Array {
  const w = new Writer(224);
  writeUnsigned(w, tx);
  w.fixed(tx.signature, 64);
  return w.finish();
}

/** Decodes a transaction from `r` without checking for trailing bytes. */
export function readTx(r: Reader): Tx {
  const version = r.u8("version");
  if (version !== TX_VERSION)
    r.fail(`unsupported version ${version}`, { got: version, expected: TX_VERSION });
  const kind = r.u8("kind");
  if (kind >= KIND_NAMES.length) r.fail(`unknown kind ${kind}`, { got: kind });
  return {
    kind: kind as TxKind,
    chainId: r.u32("chainId"),
    from: r.fixed(32, "from"),
    to: r.fixed(20, "to"),
    amount: r.u64("amount"),
    fee: r.u64("fee"),
    nonce: r.uint("nonce"),
    expiresAt: r.uint("expiresAt"),
    payload: r.varBytes(2, MAX_TX_PAYLOAD, "payload"),
    signature: r.fixed(64, "signature"),
  };
}

/** Decodes exactly one canonical transaction; throws DecodeError otherwise. */
export function decodeTx(bytes: Uint8Array): Tx {
  if (bytes.length > MAX_TX_SIZE) {
    throw new DecodeError("DECODE_TOO_LARGE", `tx: ${bytes.length} bytes exceeds ${MAX_TX_SIZE}`);
  }
  const r = new Reader(bytes, "tx");
  const tx = readTx(r);
  r.end();
  return tx;
}

/** The transaction id: SHA-256 of the unsigned encoding. */
export function txId(tx: UnsignedTx): Hash {
  return sha256(encodeUnsignedTx(tx));
}

/** The message an account signs: domain tag, genesis hash, tx id. */
export function txSigningMessage(id: Hash, genesisHash: Hash): Uint8Array {
  return concatBytes(TX_DOMAIN, genesisHash, id);
}

/** Signs a transaction for the chain with `genesisHash`. */
export function signTx(tx: UnsignedTx, secretKey: Uint8Array, genesisHash: Hash): Tx {
  const signature = sign(txSigningMessage(txId(tx), genesisHash), secretKey);
  return { ...tx, signature };
}

/** True when the signature is valid for this chain (node:crypto verify). */
export function isTxSignatureValid(tx: Tx, genesisHash: Hash, id: Hash = txId(tx)): boolean {
  return verify(tx.signature, txSigningMessage(id, genesisHash), tx.from);
}

/** The chain parameters the stateless checks need. */
export interface TxRules {
  chainId: number;
  genesisHash: Hash;
  minFee: bigint;
  /** Kinds other than transfer that the chain's engine accepts. */
  engineKinds: ReadonlySet<TxKind>;
}

/**
 * Stateless checks shared by the mempool and block validation: chain id, kind, amounts, fee,
 * self-transfer and (unless `skipSignature`) the signature. Throws TxError.
 */
export function verifyTxStatic(tx: Tx, rules: TxRules, id: Hash = txId(tx), skipSignature = false): void {
  if (tx.chainId !== rules.chainId) {
    throw new TxError("TX_WRONG_CHAIN", `tx is for chain ${tx.chainId}, this chain is ${rules.chainId}`, {
      got: tx.chainId,
      expected: rules.chainId,
    });
  }
  if (tx.kind !== TxKind.transfer && !rules.engineKinds.has(tx.kind)) {
    throw new TxError("TX_UNSUPPORTED_KIND", `tx kind ${txKindName(tx.kind)} is not supported by this chain`);
  }
  if (tx.fee < rules.minFee) {
    throw new TxError("TX_FEE_TOO_LOW", `fee ${tx.fee} is below the minimum ${rules.minFee}`, {
      got: tx.fee.toString(),
      expected: rules.minFee.toString(),
    });
  }
  if (tx.amount + tx.fee > U64_MAX) throw new TxError("TX_OVERFLOW", "amount + fee overflows u64");
  if (tx.kind === TxKind.transfer) {
    if (tx.amount === 0n) throw new TxError("TX_ZERO_AMOUNT", "transfer amount must be positive");
    if (tx.payload.length > MAX_TRANSFER_MEMO) {
      throw new TxError(
        "TX_MALFORMED",
        `transfer memo of ${tx.payload.length} bytes exceeds ${MAX_TRANSFER_MEMO}`,
      );
    }
    if (bytesEqual(addressBytesOf(tx.from), tx.to)) {
      throw new TxError("TX_SELF_TRANSFER", "transfer to the sender's own address");
    }
  }
  if (!skipSignature) verifyTxSignature(tx, rules.genesisHash, id);
}

/** Throws TX_BAD_SIGNATURE unless the signature is valid for this chain (the costly check: run it last). */
export function verifyTxSignature(tx: Tx, genesisHash: Hash, id: Hash = txId(tx)): void {
  if (!isTxSignatureValid(tx, genesisHash, id)) {
    throw new TxError("TX_BAD_SIGNATURE", "signature does not verify for this chain");
  }
}

/** Throws TX_EXPIRED when the tx cannot be included at `height`. */
export function verifyTxNotExpired(tx: UnsignedTx, height: number): void {
  if (tx.expiresAt !== 0 && height > tx.expiresAt) {
    throw new TxError("TX_EXPIRED", `tx expired at height ${tx.expiresAt}, block height is ${height}`, {
      expiresAt: tx.expiresAt,
      height,
    });
  }
}

/** Checks a caller-supplied amount (CLI, RPC) before it is put in a tx. */
export function checkAmount(value: bigint, what: "amount" | "fee"): bigint {
  if (value < 0n) throw new TxError("TX_NEGATIVE_AMOUNT", `${what} must not be negative`);
  if (value > U64_MAX) throw new TxError("TX_OVERFLOW", `${what} exceeds u64`);
  return value;
}
