/** `chainlab node start`: the daemon. */
import type { Command } from "commander";
import { toHex } from "../../core/hash.ts";
import { encodeAddress } from "../../crypto/address.ts";
import {
  type ConfigKey,
  engineSection,
  mempoolOptions,
  readConfigFile,
  resolveSettings,
} from "../../node/config.ts";
import { startDaemon } from "../../node/daemon.ts";
import { dataDirPaths, resolveGenesis } from "../../node/data-dir.ts";
import { createLogger, type LogLevel } from "../../node/logger.ts";
import { createNetwork } from "../../node/network.ts";
import { CliError } from "../errors.ts";
import { collect, parseAddress } from "../parse.ts";

/** Flags of `node start`. */
export interface StartOptions {
  dataDir: string;
  genesis?: string;
  config?: string;
  mine?: boolean;
  produce?: boolean;
  coinbase?: string;
  beneficiary?: string;
  minerThreads?: string;
  hashrate?: string;
  logLevel?: string;
  logFile?: string;
  rpcHost?: string;
  rpcPort?: string;
  rpc?: boolean;
  p2p?: boolean;
  listen?: string[];
  bootstrap?: string[];
  maxPeers?: string;
  metricsPublic?: boolean;
  rpcAllowRemote?: boolean;
  validatorKeys?: string;
  validatorPassphraseFile?: string;
  unsafeEquivocate?: boolean;
}

function flagSettings(o: StartOptions): Partial<Record<ConfigKey, unknown>> {
  const f: Partial<Record<ConfigKey, unknown>> = {};
  if (o.logLevel !== undefined) f["log.level"] = o.logLevel;
  if (o.logFile !== undefined) f["log.file"] = o.logFile;
  if (o.rpcHost !== undefined) f["rpc.host"] = o.rpcHost;
  if (o.rpcPort !== undefined) f["rpc.port"] = o.rpcPort;
  if (o.rpc === false) f["rpc.enabled"] = false;
  if (o.p2p === false) f["p2p.enabled"] = false;
  if (o.listen !== undefined) f["p2p.listen"] = o.listen;
  if (o.bootstrap !== undefined) f["p2p.bootstrap"] = o.bootstrap;
  if (o.maxPeers !== undefined) f["p2p.max_peers"] = o.maxPeers;
  if (o.metricsPublic) f["rpc.metrics_public"] = true;
  if (o.rpcAllowRemote) f["rpc.allow_remote"] = true;
  if (o.mine || o.produce) f["produce.enabled"] = true;
  const beneficiary = o.beneficiary ?? o.coinbase;
  if (beneficiary !== undefined) f["produce.beneficiary"] = beneficiary;
  if (o.minerThreads !== undefined) f["pow.threads"] = o.minerThreads;
  if (o.hashrate !== undefined) f["pow.hashrate"] = o.hashrate;
  if (o.validatorKeys !== undefined) f["pos.keys_dir"] = o.validatorKeys;
  if (o.validatorPassphraseFile !== undefined) f["pos.passphrase_file"] = o.validatorPassphraseFile;
  if (o.unsafeEquivocate) f["pos.unsafe_equivocate"] = true;
  return f;
}

/** Runs a node until SIGINT/SIGTERM. */
export async function runNode(opts: StartOptions): Promise<void> {
  const file = await readConfigFile(opts.config ?? dataDirPaths(opts.dataDir).config);
  const settings = resolveSettings(flagSettings(opts), process.env, file, opts.config ?? "config.toml");
  if (settings["produce.enabled"] && settings["produce.beneficiary"] === "") {
    throw new CliError("--mine needs --coinbase ADDRESS (or produce.beneficiary in config.toml)");
  }
  const genesis = await resolveGenesis(opts.dataDir, opts.genesis);
  const log = createLogger({
    level: settings["log.level"] as LogLevel,
    ...(settings["log.file"] !== "" ? { file: settings["log.file"] } : {}),
  });
  const beneficiary =
    settings["produce.beneficiary"] !== ""
      ? parseAddress(settings["produce.beneficiary"], "coinbase")
      : undefined;
  const daemon = await startDaemon(
    {
      dataDir: opts.dataDir,
      genesis,
      // A CLI inspection of the data dir may hold its lock for a moment.
      waitForLockMs: 3000,
      maxBlockTxs: settings["block.max_txs"],
      mempool: mempoolOptions(settings),
      ...(settings["verify.threads"] > 0 ? { verify: { threads: settings["verify.threads"] } } : {}),
      engineConfig: engineSection(settings, genesis.consensus.type),
      ...(beneficiary ? { produce: { beneficiary }, autoProduce: settings["produce.enabled"] } : {}),
    },
    settings,
    log,
    createNetwork,
  );
  const { node } = daemon;
  const head = node.chain.head();
  log.info(
    {
      dataDir: opts.dataDir,
      genesisHash: toHex(node.chain.genesisHash),
      height: head.header.height,
      head: toHex(head.hash),
      consensus: node.engine.type,
      rpc: daemon.rpcUrl,
      adminKey: daemon.adminKeyPath,
      ...(daemon.net ? { peerId: daemon.net.info().peerId, multiaddrs: daemon.net.info().multiaddrs } : {}),
      mining: node.producing,
      ...(beneficiary ? { coinbase: encodeAddress(beneficiary) } : {}),
    },
    "node started",
  );

  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log.info({ signal }, "stopping");
      resolve();
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
  });
  await daemon.stop();
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
    .option("--config <file>", "TOML config file (default: DATA_DIR/config.toml)")
    .option("--mine", "produce blocks (same as --produce)")
    .option("--produce", "produce blocks")
    .option("--coinbase <address>", "address that receives block rewards and fees (same as --beneficiary)")
    .option("--beneficiary <address>", "address that receives block rewards and fees")
    .option("--miner-threads <n>", "PoW worker threads (default: one per core)")
    .option("--hashrate <h>", "throttle PoW to this many hashes/s (experiments)")
    .option("--validator-keys <dir>", "PoS: validate with every keystore in this dir (pos.keys_dir)")
    .option(
      "--validator-passphrase-file <file>",
      "PoS: the validator keystores' passphrase (pos.passphrase_file)",
    )
    .option("--unsafe-equivocate", "PoS experiments only: slashing protection off, validators double-sign")
    .option("--listen <multiaddr>", "p2p listen address, repeatable (default /ip4/127.0.0.1/tcp/0)", collect)
    .option("--bootstrap <multiaddr>", "peer to connect to, repeatable", collect)
    .option("--max-peers <n>", "maximum connected peers")
    .option("--no-p2p", "run without networking")
    .option("--rpc-host <host>", "RPC bind address (default 127.0.0.1)")
    .option("--rpc-port <port>", "RPC port (default 8645; 0 picks a free port)")
    .option("--rpc-allow-remote", "allow a non-loopback --rpc-host (plain HTTP: put TLS in front)")
    .option("--no-rpc", "run without the RPC server")
    .option("--metrics-public", "serve /metrics without authentication")
    .option("--log-level <level>", "trace|debug|info|warn|error|fatal|silent (default info)")
    .option("--log-file <file>", "write logs to a file instead of stdout")
    .action(runNode);
}
