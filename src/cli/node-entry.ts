/**
 * The entry point of the node processes a testnet starts: the `chainlab node` commands only, so a
 * node process does not load the rest of the CLI (dashboard, experiments, vega), which cost about
 * 35 MB of RSS and half a second of start-up per process. Same arguments as `chainlab node ...`.
 */
import { Command } from "commander";
import { registerNode } from "./commands/node.ts";
import { runMain, runProgram } from "./run.ts";

/** Runs `chainlab node ARGS...` (argv without the leading "node"). */
export function nodeMain(argv: string[]): Promise<number> {
  const program = new Command("chainlab").exitOverride().configureOutput({
    outputError: (str, write) => write(`${str.split("\n")[0]}\n`),
  });
  registerNode(program);
  for (const c of program.commands) c.exitOverride();
  return runProgram(program, ["node", ...argv]);
}

if (import.meta.main) runMain(nodeMain);
