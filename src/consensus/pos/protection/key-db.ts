/**
 * One validator key's protection DB: its own LevelDB, every check and its insert run one at a time,
 * and an allowed message is written in one batch synced to disk before the call returns. The
 * history is complete (every record kept), the low watermarks are the lowest slot, source and
 * target in it (Lighthouse's lower bounds), and re-signing a stored signing root is allowed.
 */
import { chmod, readdir } from "node:fs/promises";
import { join } from "node:path";
import { U64_MAX } from "../../../core/encoding.ts";
import { type ChainDb, openChainDb } from "../../../storage/chain-store.ts";
import { ProtectionError } from "./errors.ts";
import type { AttestationRecord, BlockRecord, KeyRecords } from "./interchange.ts";
import {
  BLOCK,
  decodeRoot,
  encodeRoot,
  keyU64,
  META_KEY,
  mergeRoots,
  recordKey,
  SOURCE,
  TARGET,
} from "./records.ts";

/** What an allowed check did: recorded a new message, or found the same signing root stored. */
export interface SigningCheck {
  repeat: boolean;
}

type Put = { type: "put"; key: Uint8Array; value: Uint8Array };

const equalRoots = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(b);
const SYNC = { sync: true } as const;

/** A key's DB; open with `KeyDb.open`. */
export class KeyDb {
  readonly pubkey: string;
  private readonly db: ChainDb;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(pubkey: string, db: ChainDb) {
    this.pubkey = pubkey;
    this.db = db;
  }

  /** Opens (creating) the DB at `path` for `pubkey` on the chain `genesisRoot`; files are made 0600. */
  static async open(path: string, pubkey: string, genesisRoot: Uint8Array): Promise<KeyDb> {
    const db = await openChainDb(path);
    try {
      const meta = new Uint8Array(32 + pubkey.length / 2);
      meta.set(genesisRoot);
      meta.set(Buffer.from(pubkey, "hex"), 32);
      const stored = await db.get(META_KEY);
      if (stored === undefined) await db.batch([{ type: "put", key: META_KEY, value: meta }], SYNC);
      else if (!equalRoots(stored.subarray(0, 32), genesisRoot)) {
        const got = Buffer.from(stored.subarray(0, 32)).toString("hex");
        throw new ProtectionError(
          "PROTECTION_GENESIS_MISMATCH",
          `protection DB ${path} is for genesis_validators_root 0x${got}`,
          { got: `0x${got}`, expected: `0x${Buffer.from(genesisRoot).toString("hex")}` },
        );
      } else if (!equalRoots(stored, meta)) {
        throw new ProtectionError("PROTECTION_CORRUPT", `protection DB ${path} belongs to another pubkey`);
      }
      // LevelDB may delete an old log or table between the listing and the chmod.
      for (const name of await readdir(path)) await chmod(join(path, name), 0o600).catch(ignoreMissing);
      return new KeyDb(pubkey, db);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** Runs `f` after every earlier call on this key has finished. */
  private run<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => {
      if (this.closed) throw new ProtectionError("PROTECTION_CLOSED", "slashing protection is closed");
      return f();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async firstKey(prefix: number): Promise<Uint8Array | undefined> {
    const [key] = await this.db
      .keys({ gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1), limit: 1 })
      .all();
    return key;
  }

  /**
   * The first key of `prefix` (an index of vote pairs) whose first epoch is above `above` and
   * whose second is below `below`, as [first, second]. Honest histories have few votes above the
   * one being signed, so the scan is short.
   */
  private async findAboveBelow(
    prefix: number,
    above: bigint,
    below: bigint,
  ): Promise<[bigint, bigint] | undefined> {
    for await (const key of this.db.keys({
      gt: recordKey(prefix, above, U64_MAX),
      lt: Uint8Array.of(prefix + 1),
    })) {
      if (keyU64(key, 1) < below) return [keyU64(key, 0), keyU64(key, 1)];
    }
    return undefined;
  }

  private refuse(code: ConstructorParameters<typeof ProtectionError>[0], message: string, data: object) {
    return new ProtectionError(code, `${message} (pubkey 0x${this.pubkey.slice(0, 16)}…)`, {
      pubkey: `0x${this.pubkey}`,
      ...data,
    });
  }

  /** Allows and records a block at `slot` unless it is slashable against the history. */
  checkAndInsertBlock(slot: bigint, root: Uint8Array | undefined): Promise<SigningCheck> {
    return this.run(async () => {
      const key = recordKey(BLOCK, slot);
      const existing = await this.db.get(key);
      if (existing !== undefined) {
        const stored = decodeRoot(existing);
        if (root !== undefined && stored !== undefined && equalRoots(root, stored)) return { repeat: true };
        throw this.refuse("PROTECTION_DOUBLE_BLOCK", `a block at slot ${slot} was already signed`, {
          slot: String(slot),
        });
      }
      const min = await this.firstKey(BLOCK);
      if (min !== undefined && slot <= keyU64(min, 0)) {
        throw this.refuse("PROTECTION_BLOCK_BELOW_MIN", `slot ${slot} is not above the lowest signed slot`, {
          slot: String(slot),
          min: String(keyU64(min, 0)),
        });
      }
      await this.db.batch([{ type: "put", key, value: encodeRoot(root) }], SYNC);
      return { repeat: false };
    });
  }

  /** Allows and records an attestation unless it is slashable against the history. */
  checkAndInsertAttestation(
    source: bigint,
    target: bigint,
    root: Uint8Array | undefined,
  ): Promise<SigningCheck> {
    return this.run(async () => {
      const data = { source: String(source), target: String(target) };
      if (source > target) {
        throw this.refuse(
          "PROTECTION_SOURCE_AFTER_TARGET",
          `source ${source} is after target ${target}`,
          data,
        );
      }
      const same = await this.db
        .values({ gte: recordKey(TARGET, target, 0n), lte: recordKey(TARGET, target, U64_MAX) })
        .all();
      if (same.length > 0) {
        const repeat =
          root !== undefined &&
          same.every((v) => {
            const stored = decodeRoot(v);
            return stored !== undefined && equalRoots(stored, root);
          });
        if (repeat) return { repeat: true };
        throw this.refuse("PROTECTION_DOUBLE_VOTE", `target epoch ${target} was already voted for`, data);
      }
      // An earlier vote with a later source and an earlier target is surrounded by this one.
      const inner = await this.findAboveBelow(SOURCE, source, target);
      if (inner !== undefined) {
        throw this.refuse("PROTECTION_SURROUNDING_VOTE", `(${source}, ${target}) surrounds an earlier vote`, {
          ...data,
          existing: { source: String(inner[0]), target: String(inner[1]) },
        });
      }
      // An earlier vote with a later target and an earlier source surrounds this one.
      const outer = await this.findAboveBelow(TARGET, target, source);
      if (outer !== undefined) {
        throw this.refuse(
          "PROTECTION_SURROUNDED_VOTE",
          `(${source}, ${target}) is surrounded by an earlier vote`,
          {
            ...data,
            existing: { source: String(outer[1]), target: String(outer[0]) },
          },
        );
      }
      const minSource = await this.firstKey(SOURCE);
      if (minSource !== undefined && source < keyU64(minSource, 0)) {
        throw this.refuse(
          "PROTECTION_SOURCE_BELOW_MIN",
          `source ${source} is below the lowest signed source`,
          {
            ...data,
            min: String(keyU64(minSource, 0)),
          },
        );
      }
      const minTarget = await this.firstKey(TARGET);
      if (minTarget !== undefined && target <= keyU64(minTarget, 0)) {
        throw this.refuse(
          "PROTECTION_TARGET_BELOW_MIN",
          `target ${target} is not above the lowest signed target`,
          {
            ...data,
            min: String(keyU64(minTarget, 0)),
          },
        );
      }
      await this.db.batch(attestationPuts({ source, target, root }), SYNC);
      return { repeat: false };
    });
  }

  /** Merges imported records into the history in one synced batch; conflicting roots become unknown. */
  importRecords(records: KeyRecords): Promise<void> {
    return this.run(async () => {
      const blocks = new Map<bigint, BlockRecord>();
      for (const b of records.blocks) {
        const prior = blocks.get(b.slot) ?? (await this.storedBlock(b.slot)) ?? b;
        blocks.set(b.slot, { slot: b.slot, root: mergeRoots(prior.root, b.root) });
      }
      const atts = new Map<string, AttestationRecord>();
      for (const a of records.attestations) {
        const id = `${a.target}/${a.source}`;
        const prior = atts.get(id) ?? (await this.storedAttestation(a.source, a.target)) ?? a;
        atts.set(id, { ...a, root: mergeRoots(prior.root, a.root) });
      }
      const ops: Put[] = [];
      for (const b of blocks.values())
        ops.push({ type: "put", key: recordKey(BLOCK, b.slot), value: encodeRoot(b.root) });
      for (const a of atts.values()) ops.push(...attestationPuts(a));
      if (ops.length > 0) await this.db.batch(ops, SYNC);
    });
  }

  private async storedBlock(slot: bigint): Promise<BlockRecord | undefined> {
    const v = await this.db.get(recordKey(BLOCK, slot));
    return v === undefined ? undefined : { slot, root: decodeRoot(v) };
  }

  private async storedAttestation(source: bigint, target: bigint): Promise<AttestationRecord | undefined> {
    const v = await this.db.get(recordKey(TARGET, target, source));
    return v === undefined ? undefined : { source, target, root: decodeRoot(v) };
  }

  /** The whole history, blocks by slot and attestations by target then source. */
  exportRecords(): Promise<KeyRecords> {
    return this.run(async () => {
      const blocks: BlockRecord[] = [];
      for await (const [key, value] of this.db.iterator({
        gte: Uint8Array.of(BLOCK),
        lt: Uint8Array.of(BLOCK + 1),
      })) {
        blocks.push({ slot: keyU64(key, 0), root: decodeRoot(value) });
      }
      const attestations: AttestationRecord[] = [];
      for await (const [key, value] of this.db.iterator({
        gte: Uint8Array.of(TARGET),
        lt: Uint8Array.of(TARGET + 1),
      })) {
        attestations.push({ target: keyU64(key, 0), source: keyU64(key, 1), root: decodeRoot(value) });
      }
      return { blocks, attestations };
    });
  }

  /** Closes after every pending call has finished. */
  async close(): Promise<void> {
    await this.run(async () => {
      this.closed = true;
    });
    await this.db.close();
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== "ENOENT") throw err;
}

function attestationPuts(a: AttestationRecord): Put[] {
  return [
    { type: "put", key: recordKey(TARGET, a.target, a.source), value: encodeRoot(a.root) },
    { type: "put", key: recordKey(SOURCE, a.source, a.target), value: new Uint8Array(0) },
  ];
}
