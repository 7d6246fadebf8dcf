/**
 * cli/: the `chainlab` command. Thin: parse arguments, call node/, rpc/, testnet/ or experiments/,
 * print human text or --json. Every failure is one line on stderr and a non-zero exit code.
 */
import { Command, CommanderError } from "commander";
import { registerApiKey } from "./commands/apikey.ts";
import { registerAttack } from "./commands/attack.ts";
import { registerChain } from "./commands/chain.ts";
import { registerDashboard } from "./commands/dashboard.ts";
import { registerDev } from "./commands/dev.ts";
import { registerGenesis } from "./commands/genesis.ts";
import { registerKeys } from "./commands/keys.ts";
import { registerNode } from "./commands/node.ts";
import { registerRpc } from "./commands/rpc.ts";
import { registerTestnet } from "./commands/testnet.ts";
import { registerTx } from "./commands/tx.ts";
import { registerValidator } from "./commands/validator.ts";
import { errorLine, exitCodeOf } from "./errors.ts";

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
  registerValidator(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI with `argv`; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`${errorLine(err)}\n`);
    return exitCodeOf(err);
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${errorLine(err)}\n`);
      process.exitCode = 1;
    },
  );
}
