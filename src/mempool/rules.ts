/** Small pool rules shared by admission, head changes and block templates. */
import { DecodeError, TxError } from "../core/errors.ts";
import { decodeTx, encodeTx, type Tx } from "../core/tx.ts";
import { MempoolError } from "./errors.ts";

/** Default minimum fee bump, in percent, for replacing a tx with the same sender and nonce. */
export const DEFAULT_REPLACE_BUMP_PERCENT = 10;

/** True when `tx` cannot be included in a block at `height` (same rule as verifyTxNotExpired). */
export function isExpiredAt(tx: Tx, height: number): boolean {
  return tx.expiresAt !== 0 && height > tx.expiresAt;
}

/**
 * The lowest fee that may replace a tx paying `oldFee`: at least `bumpPercent`% more (rounded up), and
 * always strictly more, so a replacement can't be used to churn the pool and its gossip for free.
 */
export function minReplacementFee(oldFee: bigint, bumpPercent: number): bigint {
  const bump = (oldFee * BigInt(bumpPercent) + 99n) / 100n;
  return oldFee + (bump > 0n ? bump : 1n);
}

/**
 * Turns the input into a private canonical copy: bytes are decoded, objects are encoded and decoded,
 * so the pool never shares buffers with the caller. Throws TX_MALFORMED.
 */
export function decodeInput(input: Tx | Uint8Array): { tx: Tx; bytes: number } {
  try {
    const bytes = input instanceof Uint8Array ? input : encodeTx(input);
    return { tx: decodeTx(bytes), bytes: bytes.length };
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new TxError("TX_MALFORMED", `malformed tx: ${err.message}`, { reason: err.code });
    }
    if (err instanceof RangeError || err instanceof TypeError) {
      throw new TxError("TX_MALFORMED", `malformed tx: ${err.message}`);
    }
    throw err;
  }
}

/** Throws TX_NONCE_TOO_LOW below the account nonce (a replay) or MEMPOOL_NONCE_GAP too far above it. */
export function verifyNonceWindow(tx: Tx, accountNonce: number, maxFutureGap: number): void {
  if (tx.nonce < accountNonce) {
    throw new TxError("TX_NONCE_TOO_LOW", `nonce ${tx.nonce} is below the account nonce ${accountNonce}`, {
      got: tx.nonce,
      expected: accountNonce,
    });
  }
  const maxNonce = accountNonce + maxFutureGap;
  if (tx.nonce > maxNonce) {
    throw new MempoolError("MEMPOOL_NONCE_GAP", `nonce ${tx.nonce} is beyond the queue limit ${maxNonce}`, {
      got: tx.nonce,
      max: maxNonce,
    });
  }
}

/** Throws MEMPOOL_REPLACEMENT_UNDERPRICED unless `tx` outbids the held tx by the minimum bump. */
export function verifyReplacementFee(tx: Tx, held: Tx, bumpPercent: number): void {
  const required = minReplacementFee(held.fee, bumpPercent);
  if (tx.fee < required) {
    throw new MempoolError(
      "MEMPOOL_REPLACEMENT_UNDERPRICED",
      `replacing nonce ${tx.nonce} needs a fee of at least ${required}, got ${tx.fee}`,
      { got: tx.fee.toString(), expected: required.toString() },
    );
  }
}

/** Throws TX_INSUFFICIENT_FUNDS when `balance` does not cover all of the sender's pool txs. */
export function verifyFunds(balance: bigint, required: bigint): void {
  if (required > balance) {
    throw new TxError(
      "TX_INSUFFICIENT_FUNDS",
      `balance ${balance} does not cover ${required} for this and the sender's pool txs`,
      { got: balance.toString(), expected: required.toString() },
    );
  }
}
