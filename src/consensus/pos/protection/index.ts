/**
 * Slashing protection (DESIGN.md §10): a LevelDB per validator key under one directory, written
 * and synced before a signed block or attestation may leave the process, refusing anything
 * slashable against the key's history across restarts and crashes; EIP-3076 interchange (format
 * version 5) import and export. Imports core/ and storage/ only.
 *
 * An import merges the file into each key's history in one batch per key: a crash part way leaves
 * some keys imported, and importing the file again is idempotent. The history is kept complete,
 * so the checks match the interchange suite's `should_succeed_complete`.
 */
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { ProtectionError } from "./errors.ts";
import { normalizePubkey, parseRoot, parseU64 } from "./input.ts";
import { type InterchangeJson, parseInterchange } from "./interchange.ts";
import { KeyDb, type SigningCheck } from "./key-db.ts";

export { ProtectionError, type ProtectionErrorCode } from "./errors.ts";
export { type InterchangeJson, MAX_INTERCHANGE_BYTES, MAX_INTERCHANGE_RECORDS } from "./interchange.ts";
export type { SigningCheck } from "./key-db.ts";

/** The protection directory inside a node's data dir (what the producer and the CLI open). */
export function protectionDir(dataDir: string): string {
  return join(dataDir, "slashing-protection");
}

/** Options of openSlashingProtection. */
export interface ProtectionOptions {
  /** The chain's genesis_validators_root (genesisConfigHash): 32 bytes or their hex. */
  genesisValidatorsRoot: Uint8Array | string;
}

/** What an import merged. */
export interface ImportSummary {
  validators: number;
  blocks: number;
  attestations: number;
}

/** The slashing-protection DB of every validator key under one directory. */
export interface SlashingProtection {
  /** Records a block before it is signed; throws ProtectionError when it would be slashable. */
  checkAndInsertBlock(
    pubkeyHex: string,
    slot: number | bigint,
    signingRootHex?: string,
  ): Promise<SigningCheck>;
  /** Records an attestation before it is signed; throws ProtectionError when it would be slashable. */
  checkAndInsertAttestation(
    pubkeyHex: string,
    sourceEpoch: number | bigint,
    targetEpoch: number | bigint,
    signingRootHex?: string,
  ): Promise<SigningCheck>;
  /** Merges an EIP-3076 interchange (text or parsed JSON) into the history. */
  importInterchange(json: unknown): Promise<ImportSummary>;
  /** The complete history of every key as an EIP-3076 interchange. */
  exportInterchange(): Promise<InterchangeJson>;
  close(): Promise<void>;
}

/** Opens (creating, mode 0700) the protection directory `dir` for the chain `genesisValidatorsRoot`. */
export async function openSlashingProtection(
  dir: string,
  options: ProtectionOptions,
): Promise<SlashingProtection> {
  const root =
    typeof options.genesisValidatorsRoot === "string"
      ? parseRoot(options.genesisValidatorsRoot, "genesisValidatorsRoot")!
      : options.genesisValidatorsRoot;
  if (root.length !== 32) {
    throw new ProtectionError("PROTECTION_BAD_INPUT", "genesisValidatorsRoot: expected 32 bytes");
  }
  const rootHex = Buffer.from(root).toString("hex");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = new Map<string, Promise<KeyDb>>();
  let closed = false;

  const key = (pubkeyHex: string): Promise<KeyDb> => {
    if (closed)
      return Promise.reject(new ProtectionError("PROTECTION_CLOSED", "slashing protection is closed"));
    const pubkey = normalizePubkey(pubkeyHex);
    let db = keys.get(pubkey);
    if (db === undefined) {
      db = KeyDb.open(join(dir, pubkey), pubkey, root);
      keys.set(pubkey, db);
      db.catch(() => keys.delete(pubkey));
    }
    return db;
  };

  return {
    async checkAndInsertBlock(pubkeyHex, slot, signingRootHex) {
      const s = parseU64(slot, "slot");
      const r = parseRoot(signingRootHex);
      return (await key(pubkeyHex)).checkAndInsertBlock(s, r);
    },

    async checkAndInsertAttestation(pubkeyHex, sourceEpoch, targetEpoch, signingRootHex) {
      const s = parseU64(sourceEpoch, "sourceEpoch");
      const t = parseU64(targetEpoch, "targetEpoch");
      const r = parseRoot(signingRootHex);
      return (await key(pubkeyHex)).checkAndInsertAttestation(s, t, r);
    },

    async importInterchange(json) {
      const parsed = parseInterchange(json, rootHex);
      const summary: ImportSummary = { validators: parsed.size, blocks: 0, attestations: 0 };
      for (const [pubkey, records] of parsed) {
        await (await key(pubkey)).importRecords(records);
        summary.blocks += records.blocks.length;
        summary.attestations += records.attestations.length;
      }
      return summary;
    },

    async exportInterchange() {
      const names = (await readdir(dir, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && /^(?:[0-9a-f]{2})+$/.test(d.name))
        .map((d) => d.name)
        .sort();
      const data: InterchangeJson["data"] = [];
      for (const pubkey of names) {
        const records = await (await key(pubkey)).exportRecords();
        data.push({
          pubkey: `0x${pubkey}`,
          signed_blocks: records.blocks.map((b) => ({ slot: String(b.slot), ...rootField(b.root) })),
          signed_attestations: records.attestations.map((a) => ({
            source_epoch: String(a.source),
            target_epoch: String(a.target),
            ...rootField(a.root),
          })),
        });
      }
      return { metadata: { interchange_format_version: "5", genesis_validators_root: `0x${rootHex}` }, data };
    },

    async close() {
      if (closed) return;
      closed = true;
      const opened = await Promise.allSettled(keys.values());
      for (const r of opened) if (r.status === "fulfilled") await r.value.close();
    },
  };
}

function rootField(root: Uint8Array | undefined): { signing_root?: string } {
  return root === undefined ? {} : { signing_root: `0x${Buffer.from(root).toString("hex")}` };
}
