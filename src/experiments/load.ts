/** Loading a user's scenario file (`chainlab attack run FILE.ts`) and checking its export. */
import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ExperimentError } from "./errors.ts";
import type { Scenario } from "./scenario.ts";

/** Checks that `value` has the shape of a scenario module's export. */
export function verifyScenario(value: unknown, where: string): Scenario {
  const s = value as Partial<Scenario> | null;
  const fail = (why: string): never => {
    throw new ExperimentError("EXPERIMENT_BAD_FILE", `${where}: ${why}`);
  };
  if (typeof s !== "object" || s === null) return fail("the default export is not a scenario object");
  if (typeof s.name !== "string" || !/^[a-z][a-z0-9-]{0,63}$/.test(s.name))
    fail("name must be a kebab-case string");
  if (typeof s.description !== "string") fail("description must be a string");
  if (typeof s.params !== "object" || s.params === null) fail("params must be an object");
  if (typeof s.run !== "function") fail("run(ctx) must be a function");
  const t = s.trials;
  if (
    typeof t !== "object" ||
    t === null ||
    !Number.isSafeInteger(t.default) ||
    !Number.isSafeInteger(t.quick)
  )
    fail("trials must be { default, quick } integers");
  return s as Scenario;
}

/** Imports FILE (a .ts or .js module) and returns its scenario (default export or `scenario`). */
export async function loadScenarioFile(file: string): Promise<Scenario> {
  const path = resolve(file);
  if (!/\.(ts|js|mjs|mts)$/.test(path)) {
    throw new ExperimentError("EXPERIMENT_BAD_FILE", `${file}: a scenario file must be .ts or .js`);
  }
  try {
    await access(path);
  } catch {
    throw new ExperimentError("EXPERIMENT_BAD_FILE", `${file}: no such file`);
  }
  let mod: { default?: unknown; scenario?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as typeof mod;
  } catch (err) {
    throw new ExperimentError(
      "EXPERIMENT_BAD_FILE",
      `${file}: cannot load: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  return verifyScenario(mod.default ?? mod.scenario, file);
}
