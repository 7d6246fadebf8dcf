/** The PoW testnet the built-in scenarios run on: fixed difficulty, throttled miners. */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateTestnet, Testnet } from "../../testnet/index.ts";
import type { ParamSpec, ScenarioContext } from "../scenario.ts";

/** Shape of a scenario's testnet. */
export interface PowTestnetOptions {
  nodes: number;
  miners: number;
  accounts?: number;
  /** Mean block interval at the full hashrate (ms). */
  blockMs: number;
  /** Total hashrate of all miners (hashes/s). */
  hashrate: number;
  processes: boolean;
  /**
   * Stretch the nodes' periodic status refresh (p2p.status_interval) so they never sync a chain a
   * peer withholds from gossip; status is still exchanged when a connection opens.
   */
  noStatusRefresh?: boolean;
}

/** A status refresh interval longer than any run. */
const NO_REFRESH = "24h";

/** Starts a fresh testnet in the scenario's work dir, one block per `blockMs` at `hashrate`. */
export async function startPowTestnet(ctx: ScenarioContext, o: PowTestnetOptions): Promise<Testnet> {
  const dir = join(ctx.workDir, "testnet");
  const shape = {
    nodes: o.nodes,
    miners: o.miners,
    accounts: o.accounts ?? 1,
    blockTimeSeconds: o.blockMs / 1000,
    hashratePerMiner: o.hashrate / o.miners,
    // Fixed difficulty: ASERT would retarget each branch to its own hashrate mid-race.
    halfLifeSeconds: 1e9,
  };
  if (o.noStatusRefresh === true) {
    await rm(dir, { recursive: true, force: true });
    const manifest = await generateTestnet({ dir, consensus: "pow", ...shape });
    for (const n of manifest.nodes) {
      const file = join(n.dataDir, "config.toml");
      const text = await readFile(file, "utf8");
      await writeFile(file, text.replace(/^\[p2p\]$/m, `[p2p]\nstatus_interval = "${NO_REFRESH}"`));
    }
  }
  return Testnet.start({
    dir,
    fresh: o.noStatusRefresh !== true,
    ...shape,
    inProcess: !o.processes,
    onProgress: (m) => ctx.log(m),
  });
}

/** The testnet parameters every PoW scenario takes: block interval, hashrate, processes. */
export function powTestnetParams(blockMs: number, quickBlockMs?: number): Record<string, ParamSpec> {
  return {
    "block-ms": {
      type: "integer",
      default: blockMs,
      ...(quickBlockMs !== undefined ? { quick: quickBlockMs } : {}),
      min: 20,
      max: 60_000,
      description: "mean block interval at the full hashrate (ms)",
    },
    hashrate: {
      type: "integer",
      default: 200_000,
      min: 1000,
      max: 100_000_000,
      description: "total throttled hashrate of all miners (hashes/s)",
    },
    processes: {
      type: "boolean",
      default: false,
      description: "run the nodes as child processes instead of in this process",
    },
  };
}
