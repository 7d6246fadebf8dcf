/**
 * The state transition for transactions, as pure functions over a StateOverlay. The engine adds its
 * own effects (rewards, staking) after these run; see consensus/engine.ts.
 */
import { addressBytesOf } from "../crypto/address.ts";
import { U64_MAX } from "./encoding.ts";
import { TxError } from "./errors.ts";
import { StateOverlay } from "./state.ts";
import { type Tx, TxKind, verifyTxNotExpired } from "./tx.ts";

/** Applies a tx kind other than transfer (owned by the consensus engine). */
export type EngineTxHandler = (tx: Tx, state: StateOverlay, height: number) => void;

/**
 * Applies one transaction whose stateless checks already passed: exact nonce, expiry, balance,
 * overflow; debits amount + fee, bumps the nonce, credits the recipient. Returns the fee.
 * Throws TxError and leaves `state` unchanged when the tx is invalid.
 */
export function applyTx(state: StateOverlay, tx: Tx, height: number, engineTx?: EngineTxHandler): bigint {
  verifyTxNotExpired(tx, height);
  const from = addressBytesOf(tx.from);
  const sender = state.getAccount(from);
  if (tx.nonce !== sender.nonce) {
    const code = tx.nonce < sender.nonce ? "TX_NONCE_TOO_LOW" : "TX_NONCE_TOO_HIGH";
    throw new TxError(code, `nonce ${tx.nonce}, expected ${sender.nonce}`, {
      got: tx.nonce,
      expected: sender.nonce,
    });
  }
  const cost = tx.amount + tx.fee;
  if (cost > sender.balance) {
    throw new TxError("TX_INSUFFICIENT_FUNDS", `balance ${sender.balance} does not cover ${cost}`, {
      balance: sender.balance.toString(),
      cost: cost.toString(),
    });
  }
  if (tx.kind === TxKind.transfer) {
    const recipient = state.getAccount(tx.to);
    if (recipient.balance + tx.amount > U64_MAX) {
      throw new TxError("TX_OVERFLOW", "recipient balance would overflow u64");
    }
    state.setAccount(from, { balance: sender.balance - cost, nonce: sender.nonce + 1 });
    const after = state.getAccount(tx.to);
    state.setAccount(tx.to, { balance: after.balance + tx.amount, nonce: after.nonce });
    return tx.fee;
  }
  if (engineTx === undefined) throw new TxError("TX_UNSUPPORTED_KIND", `no handler for tx kind ${tx.kind}`);
  // The handler may throw after writing: run it on a scratch overlay so a rejected tx changes nothing.
  const scratch = new StateOverlay(state);
  scratch.setAccount(from, { balance: sender.balance - tx.fee, nonce: sender.nonce + 1 });
  engineTx(tx, scratch, height);
  for (const c of scratch.changes()) {
    if (c.value === undefined) state.delete(c.key);
    else state.put(c.key, c.value);
  }
  return tx.fee;
}

/** Credits `amount` to an address, failing on u64 overflow (rewards, unstaking). */
export function creditAccount(state: StateOverlay, address: Uint8Array, amount: bigint): void {
  const a = state.getAccount(address);
  if (a.balance + amount > U64_MAX) throw new TxError("TX_OVERFLOW", "balance would overflow u64");
  state.setAccount(address, { balance: a.balance + amount, nonce: a.nonce });
}
