/**
 * experiments/compare/: `chainlab compare`, the same transfer load on a PoW and a PoS testnet of
 * real node processes, measured side by side (CPU and hashes per block, intervals, stale rate,
 * finality, issuance and rewards, attack costs, throughput and latency) into report.json,
 * report.md and SVG charts. It uses testnet/, the adversary readers and stats/; cli/ calls it.
 */
export type { SideMeasures } from "./measures.ts";
export { COMPARE_DEFAULTS, COMPARE_LIMITS, COMPARE_QUICK, type CompareOptions } from "./options.ts";
export type { CompareReport, WrittenCompare } from "./report.ts";
export type { Basis, Cell, Row } from "./rows.ts";
export { type CompareRunOptions, runCompare } from "./run.ts";
