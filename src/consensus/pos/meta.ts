/**
 * The PoS engine metadata stored with every executed block (opaque bytes to the chain): the
 * block's slot and the justified and finalized checkpoints of its post-state, each with the height
 * of its root so the chain can find the block without walking. Layout (104 bytes, big-endian):
 *   slot u64 | justified: epoch u64, root 32, height u64 | finalized: epoch u64, root 32, height u64
 */
import { Reader, Writer } from "../../core/encoding.ts";
import { bytesEqual, type Hash, ZERO_HASH } from "../../core/hash.ts";
import { type BlockMeta, type ChainView, ConsensusError } from "../engine.ts";
import { epochStartSlot, type PosParams } from "./params.ts";

/** An FFG checkpoint with the height of its root block. */
export interface MetaCheckpoint {
  epoch: number;
  root: Hash;
  height: number;
}

/** What applyBlock returns for a block, decoded. */
export interface PosMeta {
  slot: number;
  justified: MetaCheckpoint;
  finalized: MetaCheckpoint;
}

export const POS_META_SIZE = 104;

function writeCheckpoint(w: Writer, c: MetaCheckpoint): void {
  w.u64(BigInt(c.epoch)).fixed(c.root, 32).u64(BigInt(c.height));
}

function readCheckpoint(r: Reader, what: string): MetaCheckpoint {
  const epoch = r.u64(`${what}.epoch`);
  const root = r.fixed(32, `${what}.root`);
  const height = r.u64(`${what}.height`);
  if (epoch > BigInt(Number.MAX_SAFE_INTEGER) || height > BigInt(Number.MAX_SAFE_INTEGER)) {
    r.fail(`${what} epoch or height out of range`);
  }
  return { epoch: Number(epoch), root, height: Number(height) };
}

/** Encodes the metadata (the canonical 104-byte layout). */
export function encodePosMeta(m: PosMeta): Uint8Array {
  const w = new Writer(POS_META_SIZE).u64(BigInt(m.slot));
  writeCheckpoint(w, m.justified);
  writeCheckpoint(w, m.finalized);
  return w.finish();
}

/** Decodes the metadata; throws DecodeError on any other length or an out-of-range number. */
export function decodePosMeta(bytes: Uint8Array): PosMeta {
  const r = new Reader(bytes, "pos meta");
  const slot = r.u64("slot");
  if (slot > BigInt(Number.MAX_SAFE_INTEGER)) r.fail("slot out of range");
  const justified = readCheckpoint(r, "justified");
  const finalized = readCheckpoint(r, "finalized");
  r.end();
  return { slot: Number(slot), justified, finalized };
}

/** The metadata of a block the engine executed (a record that no longer decodes throws DecodeError). */
export function metaOf(meta: BlockMeta): PosMeta {
  return decodePosMeta(meta.engineMeta);
}

/** Checkpoints are equal when epoch and root are. */
export function sameCheckpoint(a: MetaCheckpoint, b: MetaCheckpoint): boolean {
  return a.epoch === b.epoch && bytesEqual(a.root, b.root);
}

/** The block at or before `slot` on the chain ending at `parent` (a checkpoint or vote root). */
export function rootAtSlot(view: ChainView, parent: BlockMeta, slot: number): Hash {
  let cur: BlockMeta | undefined = parent;
  while (cur !== undefined && cur.header.height > 0 && metaOf(cur).slot > slot) {
    cur = view.getMeta(cur.header.parentHash);
  }
  if (cur === undefined) throw new ConsensusError("BLOCK_BAD_PARENT", `no ancestor at slot ${slot}`);
  return cur.header.height === 0 ? ZERO_HASH : cur.hash;
}

/** The root of checkpoint `epoch` on the chain ending at `parent`. */
export function checkpointRoot(
  view: ChainView,
  parent: BlockMeta,
  epoch: number,
  params: Pick<PosParams, "slotsPerEpoch">,
): Hash {
  return rootAtSlot(view, parent, epochStartSlot(epoch, params));
}
