/** The testnets the built-in scenarios run on: PoW with fixed difficulty and throttled miners; PoS with chosen parameters. */
import { copyFile, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateTestnet, type PosParamOverrides, Testnet } from "../../testnet/index.ts";
import { validatorKeyFile } from "../../testnet/validator-keys.ts";
import { setNodeConfig } from "../adversary/node-config.ts";
import { ExperimentError } from "../errors.ts";
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

/** Shape of a PoS scenario's testnet. */
export interface PosTestnetOptions {
  nodes: number;
  /** Validators bonded at genesis (the minimum stake each). */
  validators: number;
  /** The node of each validator (default: validator j on node j mod nodes). */
  validatorNodes?: readonly number[];
  slotMs: number;
  epochSlots: number;
  /** Genesis parameters other than the defaults (slashing off, a faster leak). */
  posParams?: PosParamOverrides;
  /** Nodes whose validator clients sign conflicting messages (`[pos] unsafe_equivocate`). */
  equivocators?: readonly number[];
  /**
   * Validator -> extra nodes that also load its key (each with its own slashing-protection DB, so
   * on two sides of a partition the copies sign conflicting votes). Each extra node must hold a
   * validator of its own (it needs a validator client).
   */
  alsoOn?: Readonly<Record<number, readonly number[]>>;
  accounts?: number;
  processes: boolean;
}

/** Starts a fresh PoS testnet in the scenario's work dir (generated first, so configs can be edited). */
export async function startPosTestnet(ctx: ScenarioContext, o: PosTestnetOptions): Promise<Testnet> {
  const dir = join(ctx.workDir, "testnet");
  await rm(dir, { recursive: true, force: true });
  const shape = {
    nodes: o.nodes,
    miners: 0,
    accounts: o.accounts ?? 1,
    blockTimeSeconds: o.slotMs / 1000,
    hashratePerMiner: 1,
  };
  const manifest = await generateTestnet({
    dir,
    consensus: "pos",
    ...shape,
    validators: o.validators,
    epochSlots: o.epochSlots,
    ...(o.validatorNodes !== undefined ? { validatorNodes: o.validatorNodes } : {}),
    ...(o.posParams !== undefined ? { posParams: o.posParams } : {}),
  });
  for (const i of o.equivocators ?? []) {
    const node = manifest.nodes[i];
    if (node !== undefined) await setNodeConfig(node, "pos", "unsafe_equivocate", true);
  }
  for (const [j, extra] of Object.entries(o.alsoOn ?? {})) {
    const validator = Number(j);
    const home = manifest.nodes.find((n) => n.validators?.includes(validator));
    for (const i of extra) {
      const node = manifest.nodes[i];
      if (home === undefined || node === undefined || (node.validators ?? []).length === 0) {
        throw new ExperimentError(
          "EXPERIMENT_BAD_PARAM",
          `validator ${validator} cannot also go on node ${i} (it needs a validator of its own there)`,
        );
      }
      const file = validatorKeyFile(join(home.dataDir, "validators"), validator);
      await copyFile(file, validatorKeyFile(join(node.dataDir, "validators"), validator));
    }
  }
  return Testnet.start({
    dir,
    fresh: false,
    ...shape,
    inProcess: !o.processes,
    onProgress: (m) => ctx.log(m),
  });
}
