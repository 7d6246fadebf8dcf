/**
 * cli/: the `chainlab` command. Thin: parse arguments, call node/, rpc/, testnet/ or experiments/,
 * print human text or --json. Every failure is one line on stderr and a non-zero exit code.
 */
import { Command } from "commander";
import { registerApiKey } from "./commands/apikey.ts";
import { registerAttack } from "./commands/attack.ts";
import { registerChain } from "./commands/chain.ts";
import { registerCompare } from "./commands/compare.ts";
import { registerDashboard } from "./commands/dashboard.ts";
import { registerDev } from "./commands/dev.ts";
import { registerGenesis } from "./commands/genesis.ts";
import { registerKeys } from "./commands/keys.ts";
import { registerNode } from "./commands/node.ts";
import { registerRpc } from "./commands/rpc.ts";
import { registerTestnet } from "./commands/testnet.ts";
import { registerTx } from "./commands/tx.ts";
import { registerValidator } from "./commands/validator.ts";
import { runMain, runProgram } from "./run.ts";

/** Builds the command tree. */
export function buildProgram(): Command {
  const program = new Command("chainlab")
    .description("a miniature peer-to-peer blockchain node for local testnets and attack experiments")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.split("\n")[0] + "\n") })
    .showSuggestionAfterError(true);
  registerKeys(program);
  registerGenesis(program);
  registerNode(program);
  registerChain(program);
  registerTx(program);
  registerRpc(program);
  registerApiKey(program);
  registerTestnet(program);
  registerDashboard(program);
  registerDev(program);
  registerAttack(program);
  registerCompare(program);
  registerValidator(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI with `argv`; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}

if (import.meta.main) runMain(main);
