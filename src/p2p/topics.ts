/** Names of the gossip topics and req/resp protocols, scoped by the first 8 hex digits of the genesis hash. */
import { type Hash, toHex } from "../core/hash.ts";

/** The first 8 hex digits of the genesis hash: the network id in every topic and protocol. */
export function networkId(genesisHash: Hash): string {
  return toHex(genesisHash).slice(0, 8);
}

/** `/chainlab/<genesis8>/<name>/1`, the form of every topic and protocol of a chain. */
export function scopedName(genesisHash: Hash, name: string, version = 1): string {
  return `/chainlab/${networkId(genesisHash)}/${name}/${version}`;
}

/** The gossip topic and req/resp protocol names of one chain. */
export interface ChainNames {
  blocksTopic: string;
  txsTopic: string;
  status: string;
  blocksByRange: string;
  blocksByHash: string;
}

/** All names for the chain with `genesisHash`. */
export function chainNames(genesisHash: Hash): ChainNames {
  return {
    blocksTopic: scopedName(genesisHash, "blocks"),
    txsTopic: scopedName(genesisHash, "txs"),
    status: scopedName(genesisHash, "status"),
    blocksByRange: scopedName(genesisHash, "blocks_by_range"),
    blocksByHash: scopedName(genesisHash, "blocks_by_hash"),
  };
}

const STATUS_PROTOCOL = /^\/chainlab\/([0-9a-f]{8})\/status\/1$/;

/** The network id of a peer's status protocol among its identify protocols, if any. */
export function peerNetworkIds(protocols: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of protocols) {
    const m = STATUS_PROTOCOL.exec(p);
    if (m) out.push(m[1]!);
  }
  return out;
}
