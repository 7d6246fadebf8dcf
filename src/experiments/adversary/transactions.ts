/** Crafting and signing transactions, including two conflicting spends of one nonce. */
import { readFile } from "node:fs/promises";
import { hashFromHex, toHex } from "../../core/hash.ts";
import { encodeTx, signTx, TxKind, txId } from "../../core/tx.ts";
import { decodeAddress } from "../../crypto/address.ts";
import { decryptKeystore } from "../../crypto/keystore.ts";
import type { RpcClient } from "../../rpc/index.ts";
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
