/** `chainlab chain head|block`: inspect a data dir's chain. */
import type { Command } from "commander";
import { ChainlabError } from "../../core/errors.ts";
import { blockToJson } from "../../node/format.ts";
import { DataDirReader } from "../../node/inspect.ts";
import { CliError } from "../errors.ts";
import { printFields, printJson } from "../output.ts";
import { rpcClientFor } from "../rpc-target.ts";

function summary(json: Record<string, unknown>): Record<string, unknown> {
  const { txs: _txs, ...rest } = json;
  return rest;
}

/** Opens the data dir, or returns undefined when a running node holds it (then use its RPC). */
async function openOrRunning(dataDir: string): Promise<DataDirReader | undefined> {
  try {
    return await DataDirReader.open(dataDir);
  } catch (err) {
    if (err instanceof ChainlabError && err.code === "STORAGE_LOCKED") return undefined;
    throw err;
  }
}

/** Registers the chain commands. */
export function registerChain(program: Command): void {
  const chain = program.command("chain").description("inspect a node's chain");

  chain
    .command("head")
    .description("the head block of a data dir")
    .requiredOption("--data-dir <dir>", "node data dir")
    .option("--json", "print JSON")
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const reader = await openOrRunning(opts.dataDir);
      if (reader === undefined) {
        const json = await (await rpcClientFor({ dataDir: opts.dataDir })).call<Record<string, unknown>>(
          "chain_getHead",
        );
        if (opts.json) printJson(json);
        else printFields(summary(json));
        return;
      }
      try {
        const head = await reader.head();
        const json = blockToJson(head.hash, head.block, reader.engine, { canonical: true, meta: head.meta });
        if (opts.json) printJson(json);
        else printFields(summary(json));
      } finally {
        await reader.close();
      }
    });

  chain
    .command("block")
    .description("a block by height (canonical) or hash")
    .argument("<height|hash>", "block height or 64-hex-digit hash")
    .requiredOption("--data-dir <dir>", "node data dir")
    .option("--json", "print JSON (with full transactions)")
    .action(async (ref: string, opts: { dataDir: string; json?: boolean }) => {
      const reader = await openOrRunning(opts.dataDir);
      if (reader === undefined) {
        const client = await rpcClientFor({ dataDir: opts.dataDir });
        const json = /^[0-9]{1,16}$/.test(ref)
          ? await client.call("chain_getBlockByHeight", { height: Number(ref), full: true })
          : await client.call("chain_getBlockByHash", { hash: ref, full: true });
        if (json === null) throw new CliError(`no block ${ref} in ${opts.dataDir}`);
        if (opts.json) printJson(json);
        else printFields(json as Record<string, unknown>);
        return;
      }
      try {
        const found = await reader.find(ref);
        if (found === undefined) throw new CliError(`no block ${ref} in ${opts.dataDir}`);
        const json = blockToJson(found.hash, found.block, reader.engine, {
          full: true,
          canonical: found.canonical,
        });
        if (opts.json) printJson(json);
        else printFields(json);
      } finally {
        await reader.close();
      }
    });
}
