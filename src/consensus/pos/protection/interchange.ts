/**
 * EIP-3076 interchange format version 5: parsing (every field checked, bounded in bytes and in
 * records, before anything is written) and the JSON shape export produces.
 */
import { ProtectionError } from "./errors.ts";
import { normalizePubkey, parseRoot, parseU64 } from "./input.ts";

/** Largest interchange text accepted, in bytes. */
export const MAX_INTERCHANGE_BYTES = 64 * 1024 * 1024;
/** Most entries, blocks and attestations (together) one interchange may hold. */
export const MAX_INTERCHANGE_RECORDS = 1_000_000;

/** The interchange JSON (format version 5) as exported. */
export interface InterchangeJson {
  metadata: { interchange_format_version: "5"; genesis_validators_root: string };
  data: {
    pubkey: string;
    signed_blocks: { slot: string; signing_root?: string }[];
    signed_attestations: { source_epoch: string; target_epoch: string; signing_root?: string }[];
  }[];
}

/** One signed block of a key's history; `root` undefined = unknown. */
export interface BlockRecord {
  slot: bigint;
  root: Uint8Array | undefined;
}

/** One signed attestation of a key's history. */
export interface AttestationRecord {
  source: bigint;
  target: bigint;
  root: Uint8Array | undefined;
}

/** A key's records; duplicate entries of one pubkey in a file are merged into one. */
export interface KeyRecords {
  blocks: BlockRecord[];
  attestations: AttestationRecord[];
}

function bad(message: string): ProtectionError {
  return new ProtectionError("PROTECTION_BAD_INTERCHANGE", message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Field checks raise PROTECTION_BAD_INTERCHANGE naming where in the file they failed. */
function at<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof ProtectionError && err.code === "PROTECTION_BAD_INPUT")
      throw bad(`${where}: ${err.message}`);
    throw err;
  }
}

function list(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw bad(`${where}: expected an array`);
  return v;
}

/**
 * Parses interchange text (or already parsed JSON) for the chain `genesisRootHex` (lowercase, no
 * 0x); throws PROTECTION_BAD_INTERCHANGE, PROTECTION_UNSUPPORTED_VERSION or
 * PROTECTION_GENESIS_MISMATCH.
 */
export function parseInterchange(input: unknown, genesisRootHex: string): Map<string, KeyRecords> {
  let raw = input;
  if (typeof input === "string") {
    const bytes = Buffer.byteLength(input, "utf8");
    if (bytes > MAX_INTERCHANGE_BYTES) {
      throw bad(`interchange is ${bytes} bytes, more than the ${MAX_INTERCHANGE_BYTES} allowed`);
    }
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw bad(`interchange is not JSON: ${(err as Error).message}`);
    }
  }
  if (!isObject(raw) || !isObject(raw.metadata)) throw bad("interchange: expected an object with metadata");
  const metadata = raw.metadata;
  const version = metadata.interchange_format_version;
  if (version !== "5") {
    throw new ProtectionError(
      "PROTECTION_UNSUPPORTED_VERSION",
      `interchange_format_version ${JSON.stringify(version)} is not supported (expected "5")`,
      { got: version, expected: "5" },
    );
  }
  const root = at("metadata.genesis_validators_root", () =>
    parseRoot(metadata.genesis_validators_root, "genesis_validators_root"),
  );
  const got = Buffer.from(root ?? []).toString("hex");
  if (got !== genesisRootHex) {
    throw new ProtectionError(
      "PROTECTION_GENESIS_MISMATCH",
      `interchange is for genesis_validators_root 0x${got}, this DB for 0x${genesisRootHex}`,
      { got: `0x${got}`, expected: `0x${genesisRootHex}` },
    );
  }
  const entries = list(raw.data, "data");
  let count = 0;
  for (const [i, entry] of entries.entries()) {
    if (!isObject(entry)) throw bad(`data[${i}]: expected an object`);
    count += list(entry.signed_blocks, `data[${i}].signed_blocks`).length;
    count += list(entry.signed_attestations, `data[${i}].signed_attestations`).length;
  }
  if (count + entries.length > MAX_INTERCHANGE_RECORDS) {
    throw bad(`interchange holds more than ${MAX_INTERCHANGE_RECORDS} records`);
  }
  const out = new Map<string, KeyRecords>();
  (entries as Record<string, unknown>[]).forEach((entry, i) => {
    const where = `data[${i}]`;
    const pubkey = at(`${where}.pubkey`, () => normalizePubkey(entry.pubkey));
    const records = out.get(pubkey) ?? { blocks: [], attestations: [] };
    out.set(pubkey, records);
    (entry.signed_blocks as unknown[]).forEach((b, j) => {
      const w = `${where}.signed_blocks[${j}]`;
      if (!isObject(b)) throw bad(`${w}: expected an object`);
      records.blocks.push(at(w, () => ({ slot: parseU64(b.slot, "slot"), root: parseRoot(b.signing_root) })));
    });
    (entry.signed_attestations as unknown[]).forEach((a, j) => {
      const w = `${where}.signed_attestations[${j}]`;
      if (!isObject(a)) throw bad(`${w}: expected an object`);
      records.attestations.push(
        at(w, () => ({
          source: parseU64(a.source_epoch, "source_epoch"),
          target: parseU64(a.target_epoch, "target_epoch"),
          root: parseRoot(a.signing_root),
        })),
      );
    });
  });
  return out;
}
