/**
 * testnet/: local multi-node testnets. It generates the genesis, keys, configs and API keys,
 * supervises `chainlab node` processes (or runs nodes in-process), writes DIR/testnet.json and
 * controls the nodes through the admin RPC: status, kill, restart, partition, heal, load. It may
 * import node/ and everything below it; cli/ and experiments/ use it.
 */
export { type GenerateOptions, generateTestnet } from "./generate.ts";
export { type LoadOptions, type LoadReport, runLoad } from "./load.ts";
export { findNode, type Manifest, type NodeEntry, readManifest, TestnetError } from "./manifest.ts";
export { isAlive } from "./processes.ts";
export { type NodeStatus, Testnet, type TestnetOptions } from "./testnet.ts";
export type { PosParamOverrides } from "./validator-keys.ts";
