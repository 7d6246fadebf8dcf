/** `chainlab node start`: the daemon. */

import { rm, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { toHex } from "../../core/hash.ts";
import { encodeAddress } from "../../crypto/address.ts";
import { dataDirPaths, resolveGenesis } from "../../node/data-dir.ts";
import { createLogger, LOG_LEVELS, type LogLevel } from "../../node/logger.ts";
import { ChainlabNode } from "../../node/node.ts";
import { CliError } from "../errors.ts";
import { parseAddress, parseInteger, parsePositive } from "../parse.ts";

interface StartOptions {
  dataDir: string;
  genesis?: string;
  mine?: boolean;
  coinbase?: string;
  minerThreads?: string;
  hashrate?: string;
  logLevel: string;
}

/** Runs a node until SIGINT/SIGTERM. */
export async function runNode(opts: StartOptions): Promise<void> {
  if (!(LOG_LEVELS as readonly string[]).includes(opts.logLevel)) {
    throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  }
  if (opts.mine && opts.coinbase === undefined) throw new CliError("--mine needs --coinbase ADDRESS");
  const beneficiary = opts.coinbase !== undefined ? parseAddress(opts.coinbase, "coinbase") : undefined;
  const threads =
    opts.minerThreads !== undefined ? parseInteger(opts.minerThreads, "miner-threads", 1, 256) : undefined;
  const hashrate = opts.hashrate !== undefined ? parsePositive(opts.hashrate, "hashrate") : undefined;
  const genesis = await resolveGenesis(opts.dataDir, opts.genesis);
  const log = createLogger({ level: opts.logLevel as LogLevel });
  const node = await ChainlabNode.open(
    {
      dataDir: opts.dataDir,
      genesis,
      ...(beneficiary && opts.mine
        ? {
            produce: {
              beneficiary,
              ...(threads !== undefined ? { threads } : {}),
              ...(hashrate !== undefined ? { hashrate } : {}),
            },
          }
        : {}),
    },
    log,
  );
  const paths = dataDirPaths(opts.dataDir);
  await writeFile(paths.runtime, JSON.stringify({ pid: process.pid, startedAt: Date.now() }), {
    mode: 0o600,
  });
  const head = node.chain.head();
  log.info(
    {
      dataDir: opts.dataDir,
      genesisHash: toHex(node.chain.genesisHash),
      height: head.header.height,
      head: toHex(head.hash),
      consensus: node.engine.type,
      mining: opts.mine === true,
      ...(beneficiary ? { coinbase: encodeAddress(beneficiary) } : {}),
    },
    "node started",
  );
  node.startProducing();

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "stopping");
      resolve();
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
  });
  await node.stop();
  await rm(paths.runtime, { force: true });
  log.info({ height: node.chain.head().header.height }, "node stopped");
  log.flush();
}

/** Registers the node commands. */
export function registerNode(program: Command): void {
  const node = program.command("node").description("run a node");
  node
    .command("start")
    .description("start the node daemon (runs until SIGINT or SIGTERM)")
    .requiredOption("--data-dir <dir>", "data dir (created if missing)")
    .option("--genesis <file>", "genesis file (required on first start; copied into the data dir)")
    .option("--mine", "produce blocks")
    .option("--coinbase <address>", "address that receives block rewards and fees")
    .option("--miner-threads <n>", "PoW worker threads (default: one per core)")
    .option("--hashrate <h>", "throttle PoW to this many hashes/s (experiments)")
    .option("--log-level <level>", `log level: ${LOG_LEVELS.join("|")}`, "info")
    .action(runNode);
}
