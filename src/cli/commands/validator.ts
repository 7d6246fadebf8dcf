/**
 * `chainlab validator protection import|export FILE --data-dir D`: EIP-3076 interchange files for
 * a data dir's slashing-protection DB (the node must be stopped: its validator client holds the
 * DB); `chainlab validator status`: one validator as a node's PoS RPC reports it (`pos_validator`;
 * a node without that method is asked for consensus_status, which lists slashed validators only).
 */
import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import {
  MAX_INTERCHANGE_BYTES,
  openSlashingProtection,
  protectionDir,
  type SlashingProtection,
} from "../../consensus/pos/protection/index.ts";
import { genesisConfigHash } from "../../core/genesis.ts";
import { resolveGenesis } from "../../node/data-dir.ts";
import { RpcClientError } from "../../rpc/index.ts";
import { writeSecretFileSync } from "../../rpc/secret-file.ts";
import { CliError } from "../errors.ts";
import { printFields, printJson } from "../output.ts";
import { parseInteger } from "../parse.ts";
import { type RpcTargetOptions, rpcClientFor } from "../rpc-target.ts";

/** Opens the protection DB of `dataDir` for its genesis; `f` runs with it, then it is closed. */
async function withProtection<T>(dataDir: string, f: (db: SlashingProtection) => Promise<T>): Promise<T> {
  const genesis = await resolveGenesis(dataDir);
  const db = await openSlashingProtection(protectionDir(dataDir), {
    genesisValidatorsRoot: genesisConfigHash(genesis),
  });
  try {
    return await f(db);
  } finally {
    await db.close();
  }
}

async function readInterchangeFile(file: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new CliError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (size > MAX_INTERCHANGE_BYTES) {
    throw new CliError(
      `${file} is ${size} bytes, more than the ${MAX_INTERCHANGE_BYTES} an interchange may have`,
    );
  }
  return readFile(file, "utf8");
}

function print(out: Record<string, unknown>, json: boolean | undefined): void {
  if (json) printJson(out);
  else printFields(out);
}

interface PosStatus {
  type?: string;
  epoch?: number;
  justified?: { epoch?: number };
  finalized?: { epoch?: number; height?: number };
  validators?: number;
  activeValidators?: number;
  slashed?: { index: number; publicKey: string; stake: string; evidence: unknown[] }[];
}

/** The validator asked for, from `pos_validator` or (slashed ones only) consensus_status. */
async function validatorStatus(
  opts: RpcTargetOptions & { index?: string; pubkey?: string },
): Promise<Record<string, unknown>> {
  if ((opts.index === undefined) === (opts.pubkey === undefined)) {
    throw new CliError("pass exactly one of --index N or --pubkey HEX");
  }
  const query =
    opts.index !== undefined
      ? { index: parseInteger(opts.index, "index") }
      : { publicKey: opts.pubkey!.replace(/^0x/, "").toLowerCase() };
  if (query.publicKey !== undefined && !/^[0-9a-f]{64}$/.test(query.publicKey)) {
    throw new CliError("--pubkey must be 32 bytes of hex");
  }
  const client = await rpcClientFor(opts);
  const [validator, status] = await client.batch([
    { method: "pos_validator", params: query },
    { method: "consensus_status" },
  ]);
  if (status instanceof Error) throw status;
  const st = status as PosStatus;
  if (st.type !== "pos") throw new CliError(`the node runs ${st.type ?? "an unknown"} consensus, not pos`);
  const chain = { epoch: st.epoch, justifiedEpoch: st.justified?.epoch, finalizedEpoch: st.finalized?.epoch };
  if (!(validator instanceof RpcClientError && validator.rpcCode === -32601)) {
    if (validator instanceof Error) throw validator;
    return { ...(validator as Record<string, unknown>), ...chain };
  }
  const slashed = st.slashed?.find((v) =>
    query.index !== undefined ? v.index === query.index : v.publicKey === query.publicKey,
  );
  if (slashed === undefined) {
    throw new CliError(
      `the node does not serve pos_validator; its consensus_status lists slashed validators only (${st.validators} validators, ${st.activeValidators} active)`,
    );
  }
  return { ...slashed, status: "slashed", slashed: true, ...chain };
}

/** Registers the validator commands. */
export function registerValidator(program: Command): void {
  const validator = program.command("validator").description("PoS validator tools");
  const protection = validator
    .command("protection")
    .description("the slashing-protection DB of a data dir (EIP-3076 interchange, format version 5)");

  validator
    .command("status")
    .description("one validator's stake, activation, exit and slashing as a node reports it")
    .option("--index <n>", "validator index")
    .option("--pubkey <hex>", "validator public key")
    .option("--rpc <url>", "node RPC URL")
    .option("--api-key-file <file>", "file holding ID:SECRET (else CHAINLAB_API_KEY)")
    .option("--data-dir <dir>", "ask the node running on this data dir")
    .option("--json", "print JSON")
    .action(async (opts: RpcTargetOptions & { index?: string; pubkey?: string; json?: boolean }) => {
      print(await validatorStatus(opts), opts.json);
    });

  protection
    .command("import")
    .description("merge an interchange file into the DB (stop the node first)")
    .argument("<file>", "EIP-3076 interchange JSON")
    .requiredOption("--data-dir <dir>", "node data dir (its genesis names the chain)")
    .option("--json", "print JSON")
    .action(async (file: string, opts: { dataDir: string; json?: boolean }) => {
      const text = await readInterchangeFile(file);
      const summary = await withProtection(opts.dataDir, (db) => db.importInterchange(text));
      print({ file, ...summary }, opts.json);
    });

  protection
    .command("export")
    .description("write the DB's complete history as an interchange file (mode 0600, never overwritten)")
    .argument("<file>", "interchange file to create")
    .requiredOption("--data-dir <dir>", "node data dir")
    .option("--json", "print JSON")
    .action(async (file: string, opts: { dataDir: string; json?: boolean }) => {
      const interchange = await withProtection(opts.dataDir, (db) => db.exportInterchange());
      try {
        writeSecretFileSync(file, `${JSON.stringify(interchange, null, 2)}\n`, { overwrite: false });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "error";
        throw new CliError(
          code === "EEXIST"
            ? `${file} already exists (refusing to overwrite)`
            : `cannot write ${file} (${code})`,
        );
      }
      print(
        {
          file,
          genesisValidatorsRoot: interchange.metadata.genesis_validators_root,
          validators: interchange.data.length,
          blocks: interchange.data.reduce((n, d) => n + d.signed_blocks.length, 0),
          attestations: interchange.data.reduce((n, d) => n + d.signed_attestations.length, 0),
        },
        opts.json,
      );
    });
}
