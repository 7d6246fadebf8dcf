/**
 * Undo data: for each block, the prior value of every state key it changed, so a reorg can revert
 * it. Layout: count u32 | per entry: key u8-length-prefixed | present u8 (0/1) | prior
 * u16-length-prefixed (only when present) | value likewise (the value the block wrote, so the
 * state commitment can be rolled back without reading the state).
 */
import { Reader, Writer } from "./encoding.ts";
import type { StateChange } from "./state.ts";

const MAX_UNDO_ENTRIES = 1_000_000;

function writeOptional(w: Writer, v: Uint8Array | undefined): void {
  if (v === undefined) w.u8(0);
  else w.u8(1).varBytes(v, 2, 0xffff);
}

function readOptional(r: Reader, field: string): Uint8Array | undefined {
  const flag = r.u8(field);
  if (flag === 0) return undefined;
  if (flag !== 1) r.fail(`${field}: bad presence flag ${flag}`);
  return r.varBytes(2, 0xffff, field);
}

export function encodeUndo(changes: readonly StateChange[]): Uint8Array {
  const w = new Writer(64 + changes.length * 64);
  w.u32(changes.length);
  for (const c of changes) {
    w.varBytes(c.key, 1, 255);
    writeOptional(w, c.prior);
    writeOptional(w, c.value);
  }
  return w.finish();
}

export function decodeUndo(bytes: Uint8Array): StateChange[] {
  const r = new Reader(bytes, "undo");
  const n = r.count(4, MAX_UNDO_ENTRIES, "count");
  const out: StateChange[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.varBytes(1, 255, "key");
    const prior = readOptional(r, "prior");
    const value = readOptional(r, "value");
    out.push({ key, prior, value });
  }
  r.end();
  return out;
}
