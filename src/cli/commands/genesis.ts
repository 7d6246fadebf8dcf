/** `chainlab genesis new`: write a genesis file. */
import type { Command } from "commander";
import { createEngine, ENGINE_TYPES, genesisParams } from "../../consensus/registry.ts";
import { headerHash } from "../../core/block.ts";
import { U64_MAX } from "../../core/encoding.ts";
import { buildGenesis, type Genesis, genesisToJson, parseGenesis } from "../../core/genesis.ts";
import { toHex } from "../../core/hash.ts";
import { writeGenesisFile } from "../../node/genesis-file.ts";
import { CliError } from "../errors.ts";
import { printFields, printJson } from "../output.ts";
import { collect, parseAddress, parseAmount, parseInteger, parsePositive } from "../parse.ts";

/** Options of `genesis new`. */
export interface GenesisNewOptions {
  consensus: string;
  alloc?: string[];
  blockTime: string;
  chainId: string;
  minFee: string;
  reward?: string;
  difficulty?: string;
  timestamp?: string;
}

/** Builds a Genesis from `genesis new` options (shared with `dev` and the testnet generator). */
export function genesisFromOptions(opts: GenesisNewOptions): Genesis {
  if (!(ENGINE_TYPES as readonly string[]).includes(opts.consensus)) {
    throw new CliError(
      `--consensus ${opts.consensus} is not available (supported: ${ENGINE_TYPES.join(", ")})`,
    );
  }
  const blockTimeMs = Math.round(parsePositive(opts.blockTime, "block-time") * 1000);
  if (blockTimeMs < 10) throw new CliError("--block-time must be at least 0.01 s");
  const params = genesisParams(opts.consensus, {
    blockTimeMs,
    ...(opts.reward !== undefined ? { blockReward: parseAmount(opts.reward, "reward") } : {}),
    ...(opts.difficulty !== undefined
      ? { expectedHashesPerBlock: parsePositive(opts.difficulty, "difficulty") }
      : {}),
  });
  const alloc: Record<string, bigint> = {};
  let total = 0n;
  for (const entry of opts.alloc ?? []) {
    const eq = entry.indexOf("=");
    if (eq <= 0) throw new CliError(`--alloc must be ADDRESS=AMOUNT, got "${entry}"`);
    const addr = entry.slice(0, eq);
    parseAddress(addr, "alloc");
    if (addr in alloc) throw new CliError(`--alloc lists ${addr} twice`);
    alloc[addr] = parseAmount(entry.slice(eq + 1), "alloc amount");
    total += alloc[addr];
  }
  if (total > U64_MAX) throw new CliError("--alloc total exceeds 2^64-1");
  const g = {
    chainId: parseInteger(opts.chainId, "chain-id", 0, 0xffffffff),
    timestamp: opts.timestamp !== undefined ? parseInteger(opts.timestamp, "timestamp") : Date.now(),
    minFee: parseAmount(opts.minFee, "min-fee"),
    consensus: { type: opts.consensus, params },
    alloc,
  };
  return parseGenesis(genesisToJson(g));
}

/** The hash of a genesis (builds its engine and genesis block). */
export function genesisHashOf(g: Genesis): string {
  const engine = createEngine(g);
  return toHex(
    headerHash(buildGenesis(g, engine.genesisFields(), (s) => engine.genesisState(s)).block.header),
  );
}

/** Registers the genesis commands. */
export function registerGenesis(program: Command): void {
  const genesis = program.command("genesis").description("create chain definitions");
  genesis
    .command("new")
    .description("write a genesis file: chain id, consensus engine and parameters, allocations")
    .option("--consensus <type>", "consensus engine: pow", "pow")
    .option("--alloc <address=amount>", "prefund an address (repeatable)", collect)
    .option("--block-time <seconds>", "target block time", "2")
    .option("--chain-id <n>", "chain id (u32)", "1337")
    .option("--min-fee <units>", "minimum fee per transaction", "1")
    .option("--reward <units>", "PoW block reward (halves every 210000 blocks)")
    .option("--difficulty <hashes>", "PoW initial difficulty as expected hashes per block", String(1 << 20))
    .option("--timestamp <ms>", "genesis time in unix ms (default: now)")
    .requiredOption("--out <file>", "genesis file to write (never overwritten)")
    .option("--json", "print JSON")
    .action(async (opts: GenesisNewOptions & { out: string; json?: boolean }) => {
      const g = genesisFromOptions(opts);
      await writeGenesisFile(opts.out, g);
      const out = {
        file: opts.out,
        genesisHash: genesisHashOf(g),
        chainId: g.chainId,
        consensus: g.consensus.type,
        accounts: Object.keys(g.alloc).length,
      };
      if (opts.json) printJson(out);
      else printFields(out);
    });
}
