/**
 * Node configuration from three sources with a fixed precedence: command-line flags, then
 * environment variables CHAINLAB_*, then DIR/config.toml, then defaults. Every value is validated
 * and an invalid one fails with a one-line error naming the key and where it came from.
 */
import { readFile } from "node:fs/promises";
import { parse as parseToml } from "smol-toml";
import { ChainlabError } from "../core/errors.ts";
import { decodeAddress } from "../crypto/address.ts";
import { LOG_LEVELS } from "./logger.ts";

/** A configuration value that cannot be used. */
export class ConfigError extends ChainlabError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super("CONFIG_INVALID", message, data);
  }
}

type Kind = "string" | "int" | "bool" | "list" | "duration" | "number";

interface KeySpec {
  kind: Kind;
  env: string;
  default: unknown;
  min?: number;
  max?: number;
  check?: (v: unknown) => string | undefined;
}

/** Every configuration key: dotted TOML path -> type, environment variable, default. */
export const CONFIG_KEYS = {
  "log.level": {
    kind: "string",
    env: "CHAINLAB_LOG_LEVEL",
    default: "info",
    check: (v) =>
      (LOG_LEVELS as readonly string[]).includes(v as string)
        ? undefined
        : `must be one of ${LOG_LEVELS.join(", ")}`,
  },
  "log.file": { kind: "string", env: "CHAINLAB_LOG_FILE", default: "" },
  "rpc.host": { kind: "string", env: "CHAINLAB_RPC_HOST", default: "127.0.0.1" },
  "rpc.port": { kind: "int", env: "CHAINLAB_RPC_PORT", default: 8645, min: 0, max: 65535 },
  "rpc.enabled": { kind: "bool", env: "CHAINLAB_RPC_ENABLED", default: true },
  "rpc.timestamp_window": {
    kind: "duration",
    env: "CHAINLAB_RPC_TIMESTAMP_WINDOW",
    default: 30_000,
    min: 1000,
    max: 3_600_000,
  },
  "rpc.rate_limit": { kind: "number", env: "CHAINLAB_RPC_RATE_LIMIT", default: 200, min: 1, max: 1e7 },
  "rpc.rate_burst": { kind: "number", env: "CHAINLAB_RPC_RATE_BURST", default: 400, min: 1, max: 1e7 },
  "rpc.max_body_bytes": {
    kind: "int",
    env: "CHAINLAB_RPC_MAX_BODY_BYTES",
    default: 1 << 20,
    min: 1024,
    max: 64 << 20,
  },
  "rpc.metrics_public": { kind: "bool", env: "CHAINLAB_RPC_METRICS_PUBLIC", default: false },
  "rpc.allow_remote": { kind: "bool", env: "CHAINLAB_RPC_ALLOW_REMOTE", default: false },
  "rpc.allowed_hosts": { kind: "list", env: "CHAINLAB_RPC_ALLOWED_HOSTS", default: [] },
  "rpc.allowed_origins": { kind: "list", env: "CHAINLAB_RPC_ALLOWED_ORIGINS", default: [] },
  "rpc.max_connections": {
    kind: "int",
    env: "CHAINLAB_RPC_MAX_CONNECTIONS",
    default: 256,
    min: 1,
    max: 100_000,
  },
  "p2p.enabled": { kind: "bool", env: "CHAINLAB_P2P_ENABLED", default: true },
  "p2p.listen": { kind: "list", env: "CHAINLAB_LISTEN", default: ["/ip4/127.0.0.1/tcp/0"] },
  "p2p.bootstrap": { kind: "list", env: "CHAINLAB_BOOTSTRAP", default: [] },
  "p2p.max_peers": { kind: "int", env: "CHAINLAB_MAX_PEERS", default: 50, min: 1, max: 10_000 },
  /** How often peers' status is refreshed (and a heavier peer synced); attack experiments stretch it. */
  "p2p.status_interval": {
    kind: "duration",
    env: "CHAINLAB_STATUS_INTERVAL",
    default: 5000,
    min: 10,
    max: 86_400_000 * 30,
  },
  "p2p.ban_duration": {
    kind: "duration",
    env: "CHAINLAB_BAN_DURATION",
    default: 600_000,
    min: 1000,
    max: 86_400_000 * 30,
  },
  /** Block production, whatever the engine (PoW mines, PoS proposes). */
  "produce.enabled": { kind: "bool", env: "CHAINLAB_PRODUCE", default: false },
  "produce.beneficiary": {
    kind: "string",
    env: "CHAINLAB_BENEFICIARY",
    default: "",
    check: (v) => checkAddress(v as string),
  },
  // Engine sections: `<engine type>.<key>`; the node hands its engine's section over unread.
  "pow.threads": { kind: "int", env: "CHAINLAB_POW_THREADS", default: 0, min: 0, max: 256 },
  "pow.hashrate": { kind: "number", env: "CHAINLAB_POW_HASHRATE", default: 0, min: 0, max: 1e12 },
  "pos.keys_dir": { kind: "string", env: "CHAINLAB_POS_KEYS_DIR", default: "" },
  "pos.passphrase_file": { kind: "string", env: "CHAINLAB_POS_PASSPHRASE_FILE", default: "" },
  "pos.unsafe_equivocate": { kind: "bool", env: "CHAINLAB_POS_UNSAFE_EQUIVOCATE", default: false },
  "mempool.max_txs": {
    kind: "int",
    env: "CHAINLAB_MEMPOOL_MAX_TXS",
    default: 50_000,
    min: 1,
    max: 10_000_000,
  },
  "mempool.max_per_sender": {
    kind: "int",
    env: "CHAINLAB_MEMPOOL_MAX_PER_SENDER",
    default: 1024,
    min: 1,
    max: 1_000_000,
  },
  "mempool.max_bytes": {
    kind: "int",
    env: "CHAINLAB_MEMPOOL_MAX_BYTES",
    default: 64 * 1024 * 1024,
    min: 64 * 1024,
    max: 4 * 1024 * 1024 * 1024,
  },
  "mempool.max_queued": {
    kind: "int",
    env: "CHAINLAB_MEMPOOL_MAX_QUEUED",
    default: 12_500,
    min: 0,
    max: 10_000_000,
  },
  "mempool.queued_ttl": {
    kind: "duration",
    env: "CHAINLAB_MEMPOOL_QUEUED_TTL",
    default: 20 * 60_000,
    min: 1000,
    max: 86_400_000,
  },
  "block.max_txs": { kind: "int", env: "CHAINLAB_BLOCK_MAX_TXS", default: 2000, min: 1, max: 20_000 },
  /** Signature-verification worker threads; 0 = one per core (at most 8). */
  "verify.threads": { kind: "int", env: "CHAINLAB_VERIFY_THREADS", default: 0, min: 0, max: 64 },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Keys renamed when engine options moved into the engines' own sections. */
const RENAMED_KEYS: Record<string, string> = {
  "mining.enabled": "produce.enabled",
  "mining.coinbase": "produce.beneficiary",
  "mining.threads": "pow.threads",
  "mining.hashrate": "pow.hashrate",
};

/** The `<engine>.*` section of the settings with the prefix stripped (handed to the engine unread). */
export function engineSection(settings: NodeSettings, engineType: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = `${engineType}.`;
  for (const [k, v] of Object.entries(settings)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** Resolved configuration: every key with a validated value. */
export type NodeSettings = {
  [K in ConfigKey]: (typeof CONFIG_KEYS)[K]["default"] extends readonly unknown[]
    ? string[]
    : (typeof CONFIG_KEYS)[K]["default"] extends boolean
      ? boolean
      : (typeof CONFIG_KEYS)[K]["default"] extends number
        ? number
        : string;
};

function checkAddress(v: string): string | undefined {
  if (v === "") return undefined;
  try {
    decodeAddress(v);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const DURATION = /^([0-9]+)(ms|s|m|h|d)$/;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function coerce(key: ConfigKey, raw: unknown, source: string): unknown {
  const spec: KeySpec = CONFIG_KEYS[key];
  const fail = (why: string): never => {
    throw new ConfigError(`config ${key} (from ${source}): ${why}`, { key, source });
  };
  let v: unknown = raw;
  switch (spec.kind) {
    case "string":
      if (typeof v !== "string") fail("must be a string");
      break;
    case "bool":
      if (typeof v === "string") {
        if (/^(1|true|yes|on)$/i.test(v)) v = true;
        else if (/^(0|false|no|off)$/i.test(v)) v = false;
      }
      if (typeof v !== "boolean") fail("must be true or false");
      break;
    case "int":
    case "number": {
      if (typeof v === "string" && /^-?[0-9]+(\.[0-9]+)?$/.test(v)) v = Number(v);
      if (typeof v === "bigint") v = Number(v);
      if (typeof v !== "number" || !Number.isFinite(v)) fail("must be a number");
      const n = v as number;
      if (spec.kind === "int" && !Number.isInteger(n)) fail("must be an integer");
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        fail(`must be in [${spec.min}, ${spec.max}]`);
      }
      break;
    }
    case "duration": {
      if (typeof v === "string") {
        const m = DURATION.exec(v);
        if (!m) fail('must be a duration like "30s", "10m" or "24h"');
        v = Number(m![1]) * UNITS[m![2]!]!;
      }
      if (typeof v !== "number" || !Number.isInteger(v)) fail("must be a duration");
      const n = v as number;
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        fail(`must be between ${spec.min} ms and ${spec.max} ms`);
      }
      break;
    }
    case "list":
      if (typeof v === "string")
        v = v
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) fail("must be a list of strings");
      break;
  }
  const problem = spec.check?.(v);
  if (problem !== undefined) fail(problem);
  return v;
}

function flattenToml(
  obj: Record<string, unknown>,
  prefix = "",
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date))
      flattenToml(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

/** Reads DIR/config.toml (absent is fine); unknown keys and syntax errors are ConfigErrors. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  const flat = flattenToml(parsed);
  for (const k of Object.keys(flat)) {
    const renamed = RENAMED_KEYS[k];
    if (renamed !== undefined) {
      throw new ConfigError(`config ${k} (from ${path}): renamed to ${renamed}`, { key: k, renamed });
    }
    if (!(k in CONFIG_KEYS)) throw new ConfigError(`config ${k} (from ${path}): unknown key`, { key: k });
  }
  return flat;
}

/** Resolves every key: flags > env > file > default. */
export function resolveSettings(
  flags: Partial<Record<ConfigKey, unknown>>,
  env: Record<string, string | undefined>,
  file: Record<string, unknown>,
  filePath = "config.toml",
): NodeSettings {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_KEYS) as ConfigKey[]) {
    const spec: KeySpec = CONFIG_KEYS[key];
    if (flags[key] !== undefined) out[key] = coerce(key, flags[key], "command line");
    else if (env[spec.env] !== undefined && env[spec.env] !== "")
      out[key] = coerce(key, env[spec.env], spec.env);
    else if (file[key] !== undefined) out[key] = coerce(key, file[key], filePath);
    else out[key] = spec.default;
  }
  return out as NodeSettings;
}

/** The mempool limits of a node from its settings. */
export function mempoolOptions(settings: NodeSettings): {
  maxTxs: number;
  maxPerSender: number;
  maxBytes: number;
  maxQueued: number;
  queuedTtlMs: number;
} {
  return {
    maxTxs: settings["mempool.max_txs"],
    maxPerSender: settings["mempool.max_per_sender"],
    maxBytes: settings["mempool.max_bytes"],
    maxQueued: settings["mempool.max_queued"],
    queuedTtlMs: settings["mempool.queued_ttl"],
  };
}
