/** `chainlab genesis new`: write a genesis file. */
import type { Command } from "commander";
import { createEngine, ENGINE_TYPES, genesisParams } from "../../consensus/registry.ts";
import { headerHash } from "../../core/block.ts";
import { U64_MAX } from "../../core/encoding.ts";
import { buildGenesis, type Genesis, genesisToJson, type Json, parseGenesis } from "../../core/genesis.ts";
import { toHex } from "../../core/hash.ts";
import { writeGenesisFile } from "../../node/genesis-file.ts";
import { CliError } from "../errors.ts";
import { printFields, printJson } from "../output.ts";
import { collect, parseAddress, parseAmount, parseInteger, parsePositive } from "../parse.ts";
import { type PosGenesisFlags, writePosValidators } from "./genesis-pos.ts";

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
  /** Engine params built elsewhere (PoS: posValidatorParams over the validator keys written first). */
  params?: Record<string, Json>;
}

/** Throws unless the node can run engine `type`. */
function checkEngineType(type: string): void {
  if (!(ENGINE_TYPES as readonly string[]).includes(type)) {
    throw new CliError(`--consensus ${type} is not available (supported: ${ENGINE_TYPES.join(", ")})`);
  }
}

/** Builds a Genesis from `genesis new` options (shared with `dev` and the testnet generator). */
export function genesisFromOptions(opts: GenesisNewOptions): Genesis {
  checkEngineType(opts.consensus);
  const params = opts.params ?? registryParams(opts);
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

function registryParams(opts: GenesisNewOptions): Record<string, Json> {
  const blockTimeMs = Math.round(parsePositive(opts.blockTime, "block-time") * 1000);
  if (blockTimeMs < 10) throw new CliError("--block-time must be at least 0.01 s");
  return genesisParams(opts.consensus, {
    blockTimeMs,
    ...(opts.reward !== undefined ? { blockReward: parseAmount(opts.reward, "reward") } : {}),
    ...(opts.difficulty !== undefined
      ? { expectedHashesPerBlock: parsePositive(opts.difficulty, "difficulty") }
      : {}),
  });
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
    .option("--consensus <type>", "consensus engine: pow or pos", "pow")
    .option("--alloc <address=amount>", "prefund an address (repeatable)", collect)
    .option("--block-time <seconds>", "target block time", "2")
    .option("--chain-id <n>", "chain id (u32)", "1337")
    .option("--min-fee <units>", "minimum fee per transaction", "1")
    .option("--reward <units>", "PoW block reward (halves every 210000 blocks)")
    .option("--difficulty <hashes>", "PoW initial difficulty as expected hashes per block", String(1 << 20))
    .option("--timestamp <ms>", "genesis time in unix ms (default: now)")
    .option("--validators <n>", "PoS: validators to create and bond at genesis")
    .option("--stake <units>", "PoS: bonded stake of each validator (default: the minimum stake)")
    .option("--slot-time <seconds>", "PoS: slot duration", "1")
    .option("--epoch-slots <n>", "PoS: slots per epoch", "8")
    .option("--keys-dir <dir>", "PoS: where to write the validator keystores (never overwritten)")
    .option(
      "--passphrase-file <file>",
      "PoS: keystore passphrase file (else CHAINLAB_PASSPHRASE, else a prompt)",
    )
    .option("--scrypt-log-n <n>", "PoS: keystore scrypt cost as log2(N), 10..20", "15")
    .requiredOption("--out <file>", "genesis file to write (never overwritten)")
    .option("--json", "print JSON")
    .action(async (opts: GenesisNewOptions & PosGenesisFlags & { out: string; json?: boolean }) => {
      checkEngineType(opts.consensus);
      const pos = opts.consensus === "pos" ? await writePosValidators(opts) : undefined;
      const g = genesisFromOptions({ ...opts, ...(pos ? { params: pos.params } : {}) });
      await writeGenesisFile(opts.out, g);
      const out = {
        file: opts.out,
        genesisHash: genesisHashOf(g),
        chainId: g.chainId,
        consensus: g.consensus.type,
        accounts: Object.keys(g.alloc).length,
        ...(pos ? pos.summary : {}),
      };
      if (opts.json) printJson(out);
      else printFields(out);
    });
}
