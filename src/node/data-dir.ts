/**
 * The layout of a node's data dir and the genesis it is bound to:
 *   DIR/genesis.json   copy of the chain's genesis, written on first start
 *   DIR/chain/         LevelDB (see storage/schema.ts)
 *   DIR/node.json      runtime info of the running node (pid, RPC url, multiaddrs); removed on stop
 *   DIR/admin.key      first-start admin API key, ID:SECRET, mode 0600
 *   DIR/peer.key       libp2p identity, mode 0600
 *   DIR/audit.log      RPC audit log (JSON lines)
 *   DIR/config.toml    optional configuration
 */
import { access, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { GenesisError } from "../core/errors.ts";
import { canonicalJson, type Genesis, genesisToJson } from "../core/genesis.ts";
import { readGenesisFile, writeGenesisFile } from "./genesis-file.ts";

/** Paths inside a data dir. */
export function dataDirPaths(dir: string) {
  return {
    genesis: join(dir, "genesis.json"),
    chain: join(dir, "chain"),
    runtime: join(dir, "node.json"),
    adminKey: join(dir, "admin.key"),
    peerKey: join(dir, "peer.key"),
    audit: join(dir, "audit.log"),
    config: join(dir, "config.toml"),
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The genesis of a data dir: the given file (copied into DIR on first use, and compared with the
 * copy afterwards) or DIR/genesis.json.
 */
export async function resolveGenesis(dir: string, genesisFile?: string): Promise<Genesis> {
  const stored = dataDirPaths(dir).genesis;
  const hasStored = await exists(stored);
  if (genesisFile === undefined) {
    if (!hasStored) {
      throw new GenesisError(
        "GENESIS_INVALID",
        `no genesis: pass --genesis FILE (${stored} does not exist yet)`,
      );
    }
    return readGenesisFile(stored);
  }
  const g = await readGenesisFile(genesisFile);
  if (!hasStored) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeGenesisFile(stored, g);
    return g;
  }
  const current = await readGenesisFile(stored);
  if (canonicalJson(genesisToJson(current)) !== canonicalJson(genesisToJson(g))) {
    throw new GenesisError(
      "GENESIS_MISMATCH",
      `${genesisFile} differs from the genesis this data dir was created with`,
    );
  }
  return g;
}

/** Runtime info a running node publishes in DIR/node.json. */
export interface RuntimeInfo {
  pid: number;
  rpcUrl?: string;
  multiaddrs?: string[];
  peerId?: string;
  startedAt: number;
}

/** Reads DIR/node.json, if a node wrote one. */
export async function readRuntimeInfo(dir: string): Promise<RuntimeInfo | undefined> {
  try {
    return JSON.parse(await readFile(dataDirPaths(dir).runtime, "utf8")) as RuntimeInfo;
  } catch {
    return undefined;
  }
}
