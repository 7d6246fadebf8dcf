/** Running a command tree: exit codes and the one-line error, shared by every entry point. */
import { type Command, CommanderError } from "commander";
import { errorLine, exitCodeOf } from "./errors.ts";

/** Parses `argv` with `program` and runs the command; resolves to the exit code. */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
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

/** Runs an entry's main on this process's arguments and sets the exit code. */
export function runMain(main: (argv: string[]) => Promise<number>): void {
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
