/**
 * State access for the state transition: a synchronous key-value view (the node keeps the whole
 * state in memory, persisted in LevelDB) and a copy-on-write overlay that records prior values,
 * which become the block's undo data, and updates the LtHash state commitment per changed key.
 */
import { type Account, accountKey, decodeAccount, EMPTY_ACCOUNT, encodeAccount } from "./account.ts";
import { bytesEqual, toHex } from "./hash.ts";
import type { LtHash } from "./lthash.ts";

/** Read access to state entries. */
export interface StateReader {
  get(key: Uint8Array): Uint8Array | undefined;
}

/** One changed key: its value before and after (undefined = absent). */
export interface StateChange {
  key: Uint8Array;
  prior: Uint8Array | undefined;
  value: Uint8Array | undefined;
}

interface Slot {
  key: Uint8Array;
  prior: Uint8Array | undefined;
  value: Uint8Array | undefined;
}

/** Copy-on-write changes over a StateReader. */
export class StateOverlay implements StateReader {
  private readonly base: StateReader;
  private readonly slots = new Map<string, Slot>();

  constructor(base: StateReader) {
    this.base = base;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const slot = this.slots.get(toHex(key));
    return slot ? slot.value : this.base.get(key);
  }

  private touch(key: Uint8Array): Slot {
    const id = toHex(key);
    let slot = this.slots.get(id);
    if (slot === undefined) {
      const prior = this.base.get(key);
      slot = { key: key.slice(), prior, value: prior };
      this.slots.set(id, slot);
    }
    return slot;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.touch(key).value = value;
  }

  delete(key: Uint8Array): void {
    this.touch(key).value = undefined;
  }

  getAccount(address: Uint8Array): Account {
    const raw = this.get(accountKey(address));
    return raw ? decodeAccount(raw) : { ...EMPTY_ACCOUNT };
  }

  setAccount(address: Uint8Array, account: Account): void {
    this.put(accountKey(address), encodeAccount(account));
  }

  /** The keys whose value differs from the base, in a deterministic (key) order. */
  changes(): StateChange[] {
    const out: StateChange[] = [];
    const ids = [...this.slots.keys()].sort();
    for (const id of ids) {
      const s = this.slots.get(id)!;
      if (s.prior === undefined && s.value === undefined) continue;
      if (s.prior !== undefined && s.value !== undefined && bytesEqual(s.prior, s.value)) continue;
      out.push({ key: s.key, prior: s.prior, value: s.value });
    }
    return out;
  }
}

/** Applies changes to an LtHash accumulator (forward: prior -> value; backward: value -> prior). */
export function updateLtHash(acc: LtHash, changes: readonly StateChange[], backward = false): void {
  for (const c of changes) {
    const from = backward ? c.value : c.prior;
    const to = backward ? c.prior : c.value;
    if (from !== undefined) acc.remove(c.key, from);
    if (to !== undefined) acc.add(c.key, to);
  }
}

/** The inverse of a change list: what restores the prior state. */
export function invertChanges(changes: readonly StateChange[]): StateChange[] {
  return changes.map((c) => ({ key: c.key, prior: c.value, value: c.prior }));
}

/** Reads through a stack of change lists applied on top of a base reader. */
export class MemoryState implements StateReader {
  private readonly map = new Map<string, Uint8Array>();

  get(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(toHex(key));
  }

  set(key: Uint8Array, value: Uint8Array | undefined): void {
    if (value === undefined) this.map.delete(toHex(key));
    else this.map.set(toHex(key), value);
  }

  apply(changes: readonly StateChange[]): void {
    for (const c of changes) this.set(c.key, c.value);
  }

  get size(): number {
    return this.map.size;
  }

  entries(): IterableIterator<[string, Uint8Array]> {
    return this.map.entries();
  }
}
