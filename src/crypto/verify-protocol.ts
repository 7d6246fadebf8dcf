/**
 * What the signature-verification pool and its workers share: the packed layout of a chunk of
 * (signature, public key, message) items, sent to a worker as one transferred ArrayBuffer, and the
 * messages. Layout per item: signature 64 | public key 32 | message length u16 (big-endian) | message.
 */
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE } from "./ed25519-node.ts";

/** One signature to check. */
export interface SignatureItem {
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
}

/** Longest message an item may carry (u16 length); longer ones are verified in the calling thread. */
export const MAX_ITEM_MESSAGE = 0xffff;
const ITEM_OVERHEAD = SIGNATURE_SIZE + PUBLIC_KEY_SIZE + 2;

/** A job for a worker: `count` packed items. */
export interface VerifyJob {
  id: number;
  count: number;
  packed: ArrayBuffer;
}

/** A worker's answer: one byte per item, 1 = valid. */
export interface VerifyResult {
  id: number;
  valid: Uint8Array;
}

/** Packed size of an item (only for items with well-sized keys and signatures). */
export function itemBytes(item: SignatureItem): number {
  return ITEM_OVERHEAD + item.message.length;
}

/** Packs items into one buffer (the caller checked sizes with `packable`). */
export function packItems(items: readonly SignatureItem[]): ArrayBuffer {
  let total = 0;
  for (const it of items) total += itemBytes(it);
  const out = new Uint8Array(total);
  let o = 0;
  for (const it of items) {
    out.set(it.signature, o);
    out.set(it.publicKey, o + SIGNATURE_SIZE);
    o += SIGNATURE_SIZE + PUBLIC_KEY_SIZE;
    out[o] = it.message.length >>> 8;
    out[o + 1] = it.message.length & 0xff;
    out.set(it.message, o + 2);
    o += 2 + it.message.length;
  }
  return out.buffer;
}

/** Calls `visit` with each packed item's parts (views into `packed`, not copies). */
export function forEachPacked(
  packed: ArrayBuffer,
  count: number,
  visit: (signature: Uint8Array, publicKey: Uint8Array, message: Uint8Array, index: number) => void,
): void {
  const bytes = new Uint8Array(packed);
  let o = 0;
  for (let i = 0; i < count; i++) {
    const signature = bytes.subarray(o, o + SIGNATURE_SIZE);
    const publicKey = bytes.subarray(o + SIGNATURE_SIZE, o + SIGNATURE_SIZE + PUBLIC_KEY_SIZE);
    o += SIGNATURE_SIZE + PUBLIC_KEY_SIZE;
    const len = (bytes[o]! << 8) | bytes[o + 1]!;
    const message = bytes.subarray(o + 2, o + 2 + len);
    o += 2 + len;
    visit(signature, publicKey, message, i);
  }
}

/** True when an item can travel packed (right key and signature sizes, message within u16). */
export function packable(item: SignatureItem): boolean {
  return (
    item.signature.length === SIGNATURE_SIZE &&
    item.publicKey.length === PUBLIC_KEY_SIZE &&
    item.message.length <= MAX_ITEM_MESSAGE
  );
}
