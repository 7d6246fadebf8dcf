/**
 * Finding the node a command talks to: --rpc URL with --api-key-file or CHAINLAB_API_KEY, or
 * --data-dir DIR of a running node (its DIR/node.json gives the URL and DIR/admin.key the key,
 * like bitcoin-cli and the cookie file).
 */
import { readFile } from "node:fs/promises";
import { dataDirPaths, readRuntimeInfo } from "../node/data-dir.ts";
import { createRpcClient, type RpcClient } from "../rpc/index.ts";
import { CliError } from "./errors.ts";

/** Options shared by the commands that call a node. */
export interface RpcTargetOptions {
  rpc?: string;
  apiKeyFile?: string;
  dataDir?: string;
}

async function readCredential(path: string): Promise<string> {
  try {
    return (await readFile(path, "utf8")).trim();
  } catch (err) {
    throw new CliError(`cannot read API key file ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
}

/** A signed RPC client for the target, or a CliError saying what is missing. */
export async function rpcClientFor(opts: RpcTargetOptions, env = process.env): Promise<RpcClient> {
  let url = opts.rpc;
  let credential: string | undefined;
  if (opts.apiKeyFile !== undefined) credential = await readCredential(opts.apiKeyFile);
  else if (env.CHAINLAB_API_KEY) credential = env.CHAINLAB_API_KEY.trim();
  if (opts.dataDir !== undefined) {
    if (url === undefined) {
      const info = await readRuntimeInfo(opts.dataDir);
      if (info?.rpcUrl === undefined) throw new CliError(`no running node with RPC found in ${opts.dataDir}`);
      url = info.rpcUrl;
    }
    credential ??= await readCredential(dataDirPaths(opts.dataDir).adminKey);
  }
  if (url === undefined)
    throw new CliError("no node to call: pass --rpc URL (or --data-dir of a running node)");
  if (credential === undefined) {
    throw new CliError("no API key: pass --api-key-file FILE or set CHAINLAB_API_KEY (format ID:SECRET)");
  }
  return createRpcClient({ url, credential });
}

/** Adds --rpc and --api-key-file to a command. */
export function rpcOptionHelp(): [string, string][] {
  return [
    ["--rpc <url>", "node RPC URL, e.g. http://127.0.0.1:8645"],
    ["--api-key-file <file>", "file holding ID:SECRET (else CHAINLAB_API_KEY)"],
  ];
}
