/** `chainlab rpc METHOD [PARAMS]`: any JSON-RPC call, signed with an API key. */
import type { Command } from "commander";
import { CliError } from "../errors.ts";
import { printJson } from "../output.ts";
import { type RpcTargetOptions, rpcClientFor } from "../rpc-target.ts";

/** Registers the rpc and metrics commands. */
export function registerRpc(program: Command): void {
  program
    .command("metrics")
    .description("scrape a node's /metrics (Prometheus text), signed with an API key of read scope")
    .option("--rpc <url>", "node RPC URL, e.g. http://127.0.0.1:8645")
    .option("--api-key-file <file>", "file holding ID:SECRET (else CHAINLAB_API_KEY)")
    .option("--data-dir <dir>", "scrape the node running on this data dir with its admin key")
    .action(async (opts: RpcTargetOptions) => {
      process.stdout.write(await (await rpcClientFor(opts)).metrics());
    });

  program
    .command("rpc")
    .description("call any JSON-RPC method (prints the JSON result)")
    .argument("<method>", "method name, e.g. chain_getHead (rpc_methods lists them)")
    .argument("[params]", "params as JSON: an array (positional) or an object (named)")
    .option("--rpc <url>", "node RPC URL, e.g. http://127.0.0.1:8645")
    .option("--api-key-file <file>", "file holding ID:SECRET (else CHAINLAB_API_KEY)")
    .option("--data-dir <dir>", "call the node running on this data dir with its admin key")
    .option("--json", "print JSON (the default for this command)")
    .action(async (method: string, rawParams: string | undefined, opts: RpcTargetOptions) => {
      let params: unknown;
      if (rawParams !== undefined) {
        try {
          params = JSON.parse(rawParams);
        } catch (err) {
          throw new CliError(`params are not JSON: ${(err as Error).message}`);
        }
      }
      const client = await rpcClientFor(opts);
      printJson(await client.call(method, params));
    });
}
