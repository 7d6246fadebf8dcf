/** Parameter values of a scenario from its specs, --quick, and k=v strings (hostile input). */
import { ExperimentError } from "./errors.ts";
import type { ParamSpec, ParamValue } from "./scenario.ts";

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function bad(name: string, why: string): never {
  throw new ExperimentError("EXPERIMENT_BAD_PARAM", `--${name} ${why}`, { param: name });
}

function parseNumber(
  name: string,
  text: string,
  spec: { min?: number; max?: number },
  integer: boolean,
): number {
  if (!NUMBER.test(text)) bad(name, `must be a number, got "${text.slice(0, 40)}"`);
  const v = Number(text);
  if (integer && !Number.isSafeInteger(v)) bad(name, `must be an integer, got "${text.slice(0, 40)}"`);
  if (spec.min !== undefined && v < spec.min) bad(name, `must be >= ${spec.min}, got ${v}`);
  if (spec.max !== undefined && v > spec.max) bad(name, `must be <= ${spec.max}, got ${v}`);
  return v;
}

/** Parses one value according to its spec. */
export function parseParam(name: string, spec: ParamSpec, text: string): ParamValue {
  if (text.length > 1000) bad(name, "is too long");
  switch (spec.type) {
    case "number":
      return parseNumber(name, text, spec, false);
    case "integer":
      return parseNumber(name, text, spec, true);
    case "numbers": {
      const parts = text.split(",").map((s) => s.trim());
      if (parts.length === 0 || parts.length > 64 || parts.some((p) => p === ""))
        bad(name, `must be a comma-separated list of 1 to 64 numbers, got "${text.slice(0, 40)}"`);
      const values = parts.map((p) => parseNumber(name, p, spec, spec.integer === true));
      if (new Set(values).size !== values.length) bad(name, "lists a value twice");
      return values;
    }
    case "boolean":
      if (text === "true" || text === "1" || text === "") return true;
      if (text === "false" || text === "0") return false;
      return bad(name, `must be true or false, got "${text.slice(0, 40)}"`);
  }
}

/** Every parameter's value: the override, else the quick value in quick mode, else the default. */
export function resolveParams(
  specs: Record<string, ParamSpec>,
  overrides: Record<string, string>,
  quick: boolean,
): Record<string, ParamValue> {
  for (const k of Object.keys(overrides)) {
    if (!Object.hasOwn(specs, k)) {
      const known = Object.keys(specs).join(", ") || "none";
      throw new ExperimentError(
        "EXPERIMENT_BAD_PARAM",
        `unknown parameter "${k.slice(0, 40)}" (known: ${known})`,
        {
          param: k,
        },
      );
    }
  }
  const out: Record<string, ParamValue> = {};
  for (const [k, spec] of Object.entries(specs)) {
    const given = overrides[k];
    if (given !== undefined) out[k] = parseParam(k, spec, given);
    else out[k] = quick && spec.quick !== undefined ? spec.quick : spec.default;
  }
  return out;
}

/** Parses "k=v" strings (--param) into a map. */
export function parseAssignments(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const m = /^([A-Za-z][A-Za-z0-9_-]{0,63})=(.*)$/s.exec(item);
    if (!m) {
      throw new ExperimentError("EXPERIMENT_BAD_PARAM", `--param must be k=v, got "${item.slice(0, 40)}"`);
    }
    out[m[1]!] = m[2]!;
  }
  return out;
}
