/**
 * The whole LevelDB key schema of a node, in one place (like geth's core/rawdb/schema.go).
 * Keys and values are bytes. A prefix is never reused for another meaning. Heights are u64
 * big-endian so that key order is height order. The RPC layer keeps its records in level
 * sublevels, whose keys start with "!" (0x21) and so never collide with the prefixes below.
 */

/** Key prefixes. Each comment gives the full key layout and the value. */
export const Prefix = {
  /** "G" -> genesis hash (32). Written once; opening with another genesis fails. */
  genesis: 0x47,
  /** "H" -> head hash (32) | LtHash accumulator of the head state (2048). */
  head: 0x48,
  /** "b" | hash(32) -> block encoding. Absent for blocks known only to be invalid. */
  block: 0x62,
  /** "m" | hash(32) -> block meta: status u8 | engine metadata u8-length-prefixed | header encoding. */
  meta: 0x6d,
  /** "c" | height u64 BE -> canonical block hash (32). */
  canonical: 0x63,
  /** "s" | state key -> state value (accounts: 0x01 | address(20) -> balance u64 | nonce u64). */
  state: 0x73,
  /** "u" | hash(32) -> undo data of a connected block (see core/undo.ts). */
  undo: 0x75,
  /** "t" | tx id(32) -> block hash (32) | index u32, for canonical blocks only. */
  txIndex: 0x74,
  /** "e" | engine-defined key -> engine data (attestations, checkpoints). */
  engine: 0x65,
} as const;

function prefixed(prefix: number, rest: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + rest.length);
  k[0] = prefix;
  k.set(rest, 1);
  return k;
}

export const genesisKey = (): Uint8Array => Uint8Array.of(Prefix.genesis);
export const headKey = (): Uint8Array => Uint8Array.of(Prefix.head);
export const blockKey = (hash: Uint8Array): Uint8Array => prefixed(Prefix.block, hash);
export const metaKey = (hash: Uint8Array): Uint8Array => prefixed(Prefix.meta, hash);
export const stateKey = (key: Uint8Array): Uint8Array => prefixed(Prefix.state, key);
export const undoKey = (hash: Uint8Array): Uint8Array => prefixed(Prefix.undo, hash);
export const txIndexKey = (id: Uint8Array): Uint8Array => prefixed(Prefix.txIndex, id);
export const engineKey = (key: Uint8Array): Uint8Array => prefixed(Prefix.engine, key);

export function canonicalKey(height: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = Prefix.canonical;
  new DataView(k.buffer).setBigUint64(1, BigInt(height));
  return k;
}

/** The range [gte, lt) of all keys with one prefix byte. */
export function prefixRange(prefix: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) };
}

/**
 * Block status in its meta record. Since the engine seam every stored block is executed before it
 * is written (status valid); `stored` and `invalid` records come only from older data dirs, and
 * opening drops them.
 */
export const BlockStatus = {
  /** Older data dirs: header and body checked, state not executed (never written now). */
  stored: 0,
  /** Fully validated and executed. */
  valid: 1,
  /** Older data dirs: failed execution (never written now). */
  invalid: 2,
} as const;
export type BlockStatus = (typeof BlockStatus)[keyof typeof BlockStatus];
