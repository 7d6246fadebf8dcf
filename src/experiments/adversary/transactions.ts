/** Crafting and signing transactions, including two conflicting spends of one nonce. */
import { readFile } from "node:fs/promises";
import { fromHex, hashFromHex, toHex } from "../../core/hash.ts";
import { decodeTx, encodeTx, signTx, TxKind, txId } from "../../core/tx.ts";
import { decodeAddress } from "../../crypto/address.ts";
import { decryptKeystore } from "../../crypto/keystore.ts";
import { type RpcClient, RpcClientError } from "../../rpc/index.ts";
import type { Manifest } from "../../testnet/index.ts";

/** A decrypted account of a testnet. */
export interface Wallet {
  address: string;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A signed transaction ready to submit. */
export interface SignedTx {
  id: string;
  hex: string;
  nonce: number;
  to: string;
}

/** Opens prefunded account `i` of a testnet (its keystore and the testnet's passphrase). */
export async function openAccount(m: Manifest, i: number): Promise<Wallet> {
  const a = m.accounts[i]!;
  const passphrase = (await readFile(m.passphraseFile, "utf8")).trim();
  const key = await decryptKeystore(JSON.parse(await readFile(a.keystore, "utf8")), passphrase);
  return { address: key.address, secretKey: key.secretKey, publicKey: key.publicKey };
}

/** The chain id and genesis hash a signature commits to. */
export interface ChainIdentity {
  chainId: number;
  genesisHash: Uint8Array;
}

/** Reads the chain identity from a node. */
export async function chainIdentity(c: RpcClient): Promise<ChainIdentity> {
  const info = await c.call<{ chainId: number; genesisHash: string }>("node_info");
  return { chainId: info.chainId, genesisHash: hashFromHex(info.genesisHash) };
}

/** Signs a transfer of `amount` from `w` to `to` with `nonce`. */
export function signTransfer(
  w: Wallet,
  id: ChainIdentity,
  to: string,
  amount: bigint,
  nonce: number,
  fee = 1n,
): SignedTx {
  const tx = signTx(
    {
      kind: TxKind.transfer,
      chainId: id.chainId,
      from: w.publicKey,
      to: decodeAddress(to),
      amount,
      fee,
      nonce,
      expiresAt: 0,
      payload: new Uint8Array(0),
    },
    w.secretKey,
    id.genesisHash,
  );
  return { id: toHex(txId(tx)), hex: toHex(encodeTx(tx)), nonce, to };
}

/** Two transfers of the same nonce to different payees: at most one can ever be included. */
export function conflictingTransfers(
  w: Wallet,
  id: ChainIdentity,
  nonce: number,
  payment: { to: string; amount: bigint },
  refund: { to: string; amount: bigint },
): { payment: SignedTx; conflict: SignedTx } {
  return {
    payment: signTransfer(w, id, payment.to, payment.amount, nonce),
    conflict: signTransfer(w, id, refund.to, refund.amount, nonce),
  };
}

/** Submits a signed tx to a node; returns the node's status for it. */
export async function submitTx(c: RpcClient, tx: SignedTx): Promise<string> {
  const r = await c.call<{ status: string }>("tx_submit", { tx: tx.hex });
  return r.status;
}

/** A tx's status on a node: pending, included (with height) or unknown. */
export async function txStatus(c: RpcClient, id: string): Promise<{ status: string; height?: number }> {
  const r = await c.call<{ status: string; height?: number }>("tx_get", { id });
  return r.height !== undefined ? { status: r.status, height: r.height } : { status: r.status };
}

/** What a node answered to a submitted tx: taken into its pool or not, and the status or error code. */
export interface SubmitOutcome {
  accepted: boolean;
  /** The pool status ("pending", "queued") when accepted, the error code otherwise. */
  code: string;
}

/** Submits raw tx bytes (hex) and reports the outcome instead of throwing on a refusal. */
export async function submitRaw(c: RpcClient, hex: string): Promise<SubmitOutcome> {
  try {
    const r = await c.call<{ status: string }>("tx_submit", { tx: hex });
    return { accepted: true, code: r.status };
  } catch (err) {
    if (err instanceof RpcClientError && err.code !== "RPC_TRANSPORT")
      return { accepted: false, code: err.code };
    throw err;
  }
}

/**
 * The same signed tx with its chain id field rewritten to `chainId` (the signature kept): what a
 * replayer sends to another chain whose id check it wants to pass. It has a new id.
 */
export function withChainId(tx: SignedTx, chainId: number): SignedTx {
  const decoded = decodeTx(fromHex(tx.hex));
  const rewritten = { ...decoded, chainId };
  return { id: toHex(txId(rewritten)), hex: toHex(encodeTx(rewritten)), nonce: tx.nonce, to: tx.to };
}
