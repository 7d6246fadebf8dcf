/**
 * Genesis: the JSON file that defines a chain, and the genesis block built from it.
 * The genesis block's parentHash is SHA-256("chainlab/genesis/v1" || canonical JSON of the file), so
 * the genesis hash commits to every parameter, not only to the allocations.
 */
import { decodeAddress } from "../crypto/address.ts";
import { type Block, HEADER_VERSION } from "./block.ts";
import { U64_MAX } from "./encoding.ts";
import { GenesisError } from "./errors.ts";
import { type Hash, sha256, toHex, utf8 } from "./hash.ts";
import { LtHash } from "./lthash.ts";
import { EMPTY_ROOT } from "./merkle.ts";
import { type StateChange, StateOverlay, updateLtHash } from "./state.ts";

/** A JSON value as found in genesis files. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A parsed, validated genesis file. */
export interface Genesis {
  chainId: number;
  /** Unix milliseconds of the genesis block. */
  timestamp: number;
  /** Minimum fee of every transaction, in base units. */
  minFee: bigint;
  consensus: { type: string; params: Record<string, Json> };
  /** address -> balance, in base units. */
  alloc: Record<string, bigint>;
}

/** RFC 8785-style canonical JSON: sorted keys, no whitespace, integers only. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value))
      throw new GenesisError("GENESIS_INVALID", `non-integer number ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`).join(",")}}`;
}

function fail(field: string, why: string): never {
  throw new GenesisError("GENESIS_INVALID", `genesis ${field}: ${why}`, { field });
}

function parseUnits(v: unknown, field: string): bigint {
  if (typeof v !== "string" && typeof v !== "number") fail(field, "must be an integer string");
  // JSON.parse has already rounded a larger number: reject it rather than use a different amount.
  if (typeof v === "number" && !Number.isSafeInteger(v)) fail(field, "numbers above 2^53 must be strings");
  const s = String(v);
  if (!/^(0|[1-9][0-9]*)$/.test(s)) fail(field, `"${s}" is not a non-negative integer`);
  const n = BigInt(s);
  if (n > U64_MAX) fail(field, "exceeds u64");
  return n;
}

/** Validates an untrusted JSON value as a genesis file; throws GenesisError naming the field. */
export function parseGenesis(raw: unknown): Genesis {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("file", "must be a JSON object");
  const o = raw as Record<string, unknown>;
  const known = new Set(["chainId", "timestamp", "minFee", "consensus", "alloc"]);
  for (const k of Object.keys(o)) if (!known.has(k)) fail(k, "unknown field");
  const chainId = o.chainId;
  if (typeof chainId !== "number" || !Number.isInteger(chainId) || chainId < 0 || chainId > 0xffffffff) {
    fail("chainId", "must be an integer in [0, 2^32)");
  }
  const timestamp = o.timestamp;
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    fail("timestamp", "must be unix milliseconds");
  }
  const minFee = parseUnits(o.minFee ?? "0", "minFee");
  const c = o.consensus;
  if (typeof c !== "object" || c === null || Array.isArray(c)) fail("consensus", "must be an object");
  const cc = c as Record<string, unknown>;
  // Only type and params reach genesisToJson: any other key would be ignored and left out of the hash.
  for (const k of Object.keys(cc))
    if (k !== "type" && k !== "params") fail(`consensus.${k}`, "unknown field");
  if (typeof cc.type !== "string" || cc.type.length === 0) fail("consensus.type", "must be a string");
  const params = cc.params ?? {};
  if (typeof params !== "object" || params === null || Array.isArray(params))
    fail("consensus.params", "must be an object");
  const allocRaw = o.alloc ?? {};
  if (typeof allocRaw !== "object" || allocRaw === null || Array.isArray(allocRaw))
    fail("alloc", "must be an object");
  const alloc: Record<string, bigint> = {};
  const seen = new Map<string, string>();
  let total = 0n;
  for (const [addr, amount] of Object.entries(allocRaw as Record<string, unknown>)) {
    let bytes: Uint8Array;
    try {
      bytes = decodeAddress(addr);
    } catch (err) {
      fail(`alloc.${addr.slice(0, 20)}`, (err as Error).message);
    }
    // bech32m accepts upper and lower case, so two keys can name one account; the later one would
    // silently replace the earlier balance in the genesis state.
    const id = toHex(bytes);
    const previous = seen.get(id);
    if (previous !== undefined) fail(`alloc.${addr}`, `same address as ${previous}`);
    seen.set(id, addr);
    alloc[addr] = parseUnits(amount, `alloc.${addr}`);
    total += alloc[addr];
    if (total > U64_MAX) fail("alloc", "total supply exceeds u64");
  }
  return {
    chainId,
    timestamp,
    minFee,
    consensus: { type: cc.type, params: params as Record<string, Json> },
    alloc,
  };
}

/** The genesis as JSON (amounts as strings), for writing genesis.json. */
export function genesisToJson(g: Genesis): { [key: string]: Json } {
  const alloc: Record<string, Json> = {};
  for (const [a, v] of Object.entries(g.alloc)) alloc[a] = v.toString();
  return {
    chainId: g.chainId,
    timestamp: g.timestamp,
    minFee: g.minFee.toString(),
    consensus: { type: g.consensus.type, params: g.consensus.params },
    alloc,
  };
}

/** SHA-256 commitment to the whole genesis file (the genesis block's parentHash). */
export function genesisConfigHash(g: Genesis): Hash {
  return sha256(utf8("chainlab/genesis/v1"), utf8(canonicalJson(genesisToJson(g))));
}

/** The genesis block, its state changes and the state accumulator after it. */
export interface GenesisBuild {
  block: Block;
  changes: StateChange[];
  acc: LtHash;
}

/**
 * Builds the genesis block. `engineFields` and `engineState` come from the chain's consensus
 * engine (for example the PoW starting bits, or the PoS validator set).
 */
export function buildGenesis(
  g: Genesis,
  engineFields: Uint8Array,
  engineState: (state: StateOverlay) => void = () => {},
): GenesisBuild {
  const state = new StateOverlay({ get: () => undefined });
  for (const [addr, amount] of Object.entries(g.alloc)) {
    state.setAccount(decodeAddress(addr), { balance: amount, nonce: 0 });
  }
  engineState(state);
  const changes = state.changes();
  const acc = new LtHash();
  updateLtHash(acc, changes);
  const block: Block = {
    header: {
      version: HEADER_VERSION,
      height: 0,
      parentHash: genesisConfigHash(g),
      txRoot: EMPTY_ROOT,
      stateRoot: acc.root(),
      beneficiary: new Uint8Array(20),
      timestamp: g.timestamp,
      engine: engineFields,
    },
    txs: [],
    engineBody: new Uint8Array(0),
  };
  return { block, changes, acc };
}
