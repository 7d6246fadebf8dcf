/**
 * Forged gossip payloads for floods: malformed bytes, txs with broken signatures (well-formed and
 * funded, so the victim pays for a signature check), and blocks whose seal cannot hold.
 */
import { decodeBlock, encodeBlock, headerHash } from "../../core/block.ts";
import { encodeTx, TxKind } from "../../core/tx.ts";
import { decodeAddress } from "../../crypto/address.ts";
import type { Rng } from "../rng.ts";
import type { ChainIdentity, Wallet } from "./transactions.ts";

/** `min` to `max` random bytes from `rng` (a seeded stream, so a run can be repeated). */
export function garbage(rng: Rng, min: number, max: number): Uint8Array {
  const out = new Uint8Array(min + rng.int(max - min + 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

/**
 * A transfer from `w` (funded, with its next nonce: it passes every state check) whose signature is
 * random bytes: the victim must pay a signature check to refuse it, the attacker paid no signing.
 */
export function badSignatureTx(
  w: Wallet,
  id: ChainIdentity,
  to: string,
  nonce: number,
  amount: bigint,
  rng: Rng,
): Uint8Array {
  return encodeTx({
    kind: TxKind.transfer,
    chainId: id.chainId,
    from: w.publicKey,
    to: decodeAddress(to),
    amount,
    fee: 1n,
    nonce,
    expiresAt: 0,
    payload: new Uint8Array(0),
    signature: garbage(rng, 64, 64),
  });
}

/**
 * The block `encoded` with its timestamp moved by `shift` ms or more, so that its header hash is at
 * least 2^248: above the PoW target of any difficulty from 256 up, the seal check must fail.
 */
export function brokenSealBlock(encoded: Uint8Array, shift: number): Uint8Array {
  const block = decodeBlock(encoded);
  for (let t = block.header.timestamp + shift; ; t++) {
    const header = { ...block.header, timestamp: t };
    if (headerHash(header)[0]! !== 0) return encodeBlock({ ...block, header });
  }
}
