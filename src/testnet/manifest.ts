/** testnet.json: what a testnet dir holds and how to reach its nodes. */
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ChainlabError } from "../core/errors.ts";

/** Errors of testnet control. */
export class TestnetError extends ChainlabError {}

/** One node of a testnet. */
export interface NodeEntry {
  name: string;
  index: number;
  dataDir: string;
  logFile: string;
  adminKeyFile: string;
  /** Whether the node produces blocks (PoW: mines; PoS: holds validator keys). */
  miner: boolean;
  coinbase?: string;
  /** PoS: the genesis indexes of the validators whose keys this node holds. */
  validators?: number[];
  rpcUrl?: string;
  multiaddr?: string;
  peerId?: string;
  pid?: number;
}

/** A prefunded account. */
export interface AccountEntry {
  name: string;
  address: string;
  keystore: string;
}

/** The manifest written to DIR/testnet.json. */
export interface Manifest {
  version: 1;
  consensus: string;
  createdAt: string;
  genesisFile: string;
  genesisHash: string;
  passphraseFile: string;
  blockTimeSeconds: number;
  hashratePerMiner: number;
  nodes: NodeEntry[];
  accounts: AccountEntry[];
}

export const MANIFEST_FILE = "testnet.json";

export function manifestPath(dir: string): string {
  return join(dir, MANIFEST_FILE);
}

/** Reads DIR/testnet.json; TESTNET_NOT_FOUND when there is none. */
export async function readManifest(dir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(manifestPath(dir), "utf8");
  } catch {
    throw new TestnetError(
      "TESTNET_NOT_FOUND",
      `no testnet in ${dir} (no ${MANIFEST_FILE}); run "chainlab testnet up --dir ${dir}"`,
    );
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (err) {
    throw new TestnetError("TESTNET_CORRUPT", `${manifestPath(dir)} is not JSON: ${(err as Error).message}`);
  }
  if (m.version !== 1 || !Array.isArray(m.nodes) || !Array.isArray(m.accounts)) {
    throw new TestnetError("TESTNET_CORRUPT", `${manifestPath(dir)} is not a chainlab testnet manifest`);
  }
  return m;
}

/** Writes the manifest atomically. */
export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  const tmp = `${manifestPath(dir)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(m, null, 2)}\n`);
  await rename(tmp, manifestPath(dir));
}

/** A node by name ("node-2") or index ("2"). */
export function findNode(m: Manifest, ref: string): NodeEntry {
  const n = /^[0-9]+$/.test(ref) ? m.nodes[Number(ref)] : m.nodes.find((x) => x.name === ref);
  if (n === undefined) {
    throw new TestnetError(
      "TESTNET_NO_SUCH_NODE",
      `no node "${ref}" (nodes: ${m.nodes.map((x) => x.name).join(", ")})`,
    );
  }
  return n;
}
