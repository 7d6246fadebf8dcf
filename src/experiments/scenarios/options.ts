/** Options the built-in scenarios share. */
import type { ParamSpec } from "../scenario.ts";

/** The `processes` option: the nodes as child processes instead of in this process. */
export function processesParam(
  description = "run the nodes as child processes instead of in this process",
): ParamSpec {
  return { type: "boolean", default: false, description };
}

/** The `block-ms` option: the mean block interval at the full hashrate (fixed difficulty). */
export function blockMsParam(
  value: { default: number; quick?: number },
  description = "mean block interval at the full hashrate (ms)",
): ParamSpec {
  return { type: "integer", ...value, min: 20, max: 60_000, description };
}

/** The `hashrate` option: the throttled hashes/s the miners share. */
export function hashrateParam(
  value: number,
  description = "total throttled hashrate of all miners (hashes/s)",
): ParamSpec {
  return { type: "integer", default: value, min: 1000, max: 100_000_000, description };
}
