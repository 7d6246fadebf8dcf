/** `chainlab attack list | SCENARIO [options] | run FILE.ts [--param k=v]`: thin over experiments/. */
import type { Command } from "commander";
import {
  builtinScenarios,
  createProgress,
  findScenario,
  loadScenarioFile,
  parseAssignments,
  type Report,
  type RunResult,
  rerenderReports,
  runScenario,
  type Scenario,
} from "../../experiments/index.ts";
import { CliError } from "../errors.ts";
import { printJson } from "../output.ts";
import { collect, parseInteger } from "../parse.ts";

interface CommonOptions {
  trials?: string;
  seed?: string;
  quick?: boolean;
  out?: string;
  json?: boolean;
  param?: string[];
}

const fmt = (x: number): string => (x === 0 ? "0" : x < 0.001 ? x.toExponential(2) : x.toFixed(4));

/** Scenario options given as --name value or --name=value after the scenario name. */
export function parseScenarioOptions(tokens: readonly string[]): Record<string, string> {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const m = /^--([A-Za-z][A-Za-z0-9-]{0,63})(?:=(.*))?$/s.exec(t);
    if (!m) throw new CliError(`unexpected argument "${t.slice(0, 40)}" (scenario options are --name value)`);
    if (m[2] !== undefined) out.push(`${m[1]}=${m[2]}`);
    else {
      const v = tokens[i + 1];
      if (v === undefined || v.startsWith("--")) throw new CliError(`--${m[1]} needs a value`);
      out.push(`${m[1]}=${v}`);
      i++;
    }
  }
  return parseAssignments(out);
}

function summary(r: Report, result: Pick<RunResult, "written">): string {
  const lines = [
    `${r.scenario}: ${r.trials.length} trials in ${(r.durationMs / 1000).toFixed(1)} s, seed ${r.seed}`,
  ];
  for (const p of r.points) {
    const theory = p.predicted[p.primary];
    lines.push(
      `  ${p.id.padEnd(16)} measured ${fmt(p.estimate)} (${p.successes}/${p.trials}) 95% [${fmt(p.lo)}, ${fmt(p.hi)}]  predicted ${p.primary} ${theory === undefined ? "-" : fmt(theory)}  ${p.theoryInside ? "inside" : "OUTSIDE"}`,
    );
  }
  lines.push(
    `  fit: chi2 ${r.fit.chiSquare.toFixed(2)} on ${r.fit.degreesOfFreedom} dof, p = ${r.fit.pValue.toFixed(3)}`,
    `report: ${result.written.dir}/report.md, report.json${result.written.charts.map((c) => `, ${c}`).join("")}`,
  );
  return lines.join("\n");
}

async function runAndPrint(
  scenario: Scenario,
  o: CommonOptions,
  params: Record<string, string>,
): Promise<void> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  try {
    const result = await runScenario(scenario, {
      out: o.out ?? `attack-${scenario.name}`,
      ...(o.seed !== undefined ? { seed: parseInteger(o.seed, "seed", 0, 2 ** 32 - 1) } : {}),
      ...(o.trials !== undefined ? { trials: parseInteger(o.trials, "trials", 1, 100_000) } : {}),
      quick: o.quick === true,
      params,
      progress: createProgress(process.stderr),
      signal: controller.signal,
    });
    if (o.json) printJson(result.report);
    else process.stdout.write(`${summary(result.report, result)}\n`);
  } finally {
    process.off("SIGINT", onSignal);
  }
}

function common(c: Command): Command {
  return c
    .option("--trials <n>", "trials per point (default: the scenario's)")
    .option("--seed <s>", "RNG seed (the same seed gives the same schedule of trials)")
    .option("--quick", "a small run (CI)")
    .option("--out <dir>", "output dir for report.json, report.md and the charts (default attack-SCENARIO)")
    .option("--json", "print the report JSON");
}

/** Registers `attack`. */
export function registerAttack(program: Command): void {
  const attack = common(
    program
      .command("attack")
      .description("run an attack scenario on real nodes and compare with theory (see `attack list`)")
      .argument("<scenario>", "a built-in scenario name")
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption("-h, --help"),
  ).action(async (name: string, o: CommonOptions, cmd: Command) => {
    const scenario = findScenario(name);
    await runAndPrint(scenario, o, parseScenarioOptions(cmd.args.slice(1)));
  });

  attack
    .command("list")
    .description("the built-in scenarios and their parameters")
    .option("--json", "print JSON")
    .action((o: { json?: boolean }) => {
      if (o.json) {
        printJson(
          builtinScenarios.map((s) => ({ name: s.name, description: s.description, params: s.params })),
        );
        return;
      }
      for (const s of builtinScenarios) {
        process.stdout.write(`${s.name}: ${s.description}\n`);
        for (const [k, p] of Object.entries(s.params)) {
          const d = Array.isArray(p.default) ? p.default.join(",") : String(p.default);
          process.stdout.write(`  --${k.padEnd(12)} ${p.description} (default ${d})\n`);
        }
      }
    });

  attack
    .command("report")
    .description(
      "render report.md and the charts again from report.json; several dirs are merged into one table (runs of one scenario pool their trials per point)",
    )
    .argument("<dirs...>", "report dirs (or report.json files)")
    .option("--out <dir>", "where to write (default: the dir itself, or attack-merged for several)")
    .option("--json", "print the (merged) report JSON")
    .action(async (dirs: string[], _o: unknown, cmd: Command) => {
      // --out and --json may be taken by the parent command too.
      const o = cmd.optsWithGlobals<{ out?: string; json?: boolean }>();
      const result = await rerenderReports(dirs, o.out);
      if (o.json) printJson(result.report);
      else process.stdout.write(`${summary(result.report, result)}\n`);
    });

  common(
    attack
      .command("run")
      .description(
        "run your own scenario file (a module exporting { name, description, params, trials, run })",
      )
      .argument("<file>", "scenario file (.ts or .js)")
      .option("--param <k=v>", "a scenario parameter (repeatable)", collect),
  ).action(async (file: string, _o: CommonOptions, cmd: Command) => {
    // --trials, --seed, --quick, --out and --json may be taken by the parent command too.
    const o = cmd.optsWithGlobals<CommonOptions>();
    const scenario = await loadScenarioFile(file);
    await runAndPrint(scenario, o, parseAssignments(o.param ?? []));
  });
}
