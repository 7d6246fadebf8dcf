/**
 * A bounded set of (tx id, signature) pairs already verified, so a transaction checked on mempool
 * admission is not verified again when its block is imported (Bitcoin Core's sigcache).
 */
import { toHex } from "../core/hash.ts";

/** Remembers verified signatures; evicts the oldest beyond `limit`. */
export class SignatureCache {
  private readonly limit: number;
  private readonly set = new Set<string>();

  constructor(limit = 100_000) {
    this.limit = limit;
  }

  private key(id: Uint8Array, signature: Uint8Array): string {
    return toHex(id) + toHex(signature);
  }

  has(id: Uint8Array, signature: Uint8Array): boolean {
    return this.set.has(this.key(id, signature));
  }

  add(id: Uint8Array, signature: Uint8Array): void {
    const k = this.key(id, signature);
    if (this.set.has(k)) return;
    if (this.set.size >= this.limit) this.set.delete(this.set.values().next().value as string);
    this.set.add(k);
  }
}
