/** Accounts and their state keys: { balance, nonce }, keyed by 20-byte address. */
import { Reader, Writer } from "./encoding.ts";

/** An account's state. `nonce` is the nonce its next transaction must carry. */
export interface Account {
  balance: bigint;
  nonce: number;
}

export const EMPTY_ACCOUNT: Readonly<Account> = Object.freeze({ balance: 0n, nonce: 0 });

/** State-key prefix byte of accounts: 0x01 || address(20). Engines use other prefixes (>= 0x10). */
export const ACCOUNT_KEY_PREFIX = 0x01;

export function accountKey(address: Uint8Array): Uint8Array {
  const k = new Uint8Array(21);
  k[0] = ACCOUNT_KEY_PREFIX;
  k.set(address, 1);
  return k;
}

/** balance u64 | nonce u64 */
export function encodeAccount(a: Account): Uint8Array {
  return new Writer(16).u64(a.balance).uint(a.nonce).finish();
}

export function decodeAccount(bytes: Uint8Array): Account {
  const r = new Reader(bytes, "account");
  const a = { balance: r.u64("balance"), nonce: r.uint("nonce") };
  r.end();
  return a;
}
