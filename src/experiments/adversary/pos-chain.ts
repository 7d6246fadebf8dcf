/**
 * A PoS testnet's chain as the experiments read it: its genesis parameters and signing domain
 * (from genesis.json, overrides included; the genesis hash from a node, since it names the p2p
 * protocols), slot times, and canonical blocks fetched raw over blocks_by_range and decoded with
 * the node's own codecs (audit.ts).
 */
import {
  decodePosBody,
  genesisConfigHash,
  type PosBody,
  type PosParams,
  parsePosParams,
} from "../../consensus/pos/audit.ts";
import { type Block, decodeBlock, headerHash } from "../../core/block.ts";
import { type Hash, hashFromHex, toHex } from "../../core/hash.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import { encodeRangeRequest, MAX_BLOCKS_PER_REQUEST } from "../../p2p/messages.ts";
import { chainNames } from "../../p2p/topics.ts";
import type { RpcClient } from "../../rpc/index.ts";
import type { Manifest, NodeEntry } from "../../testnet/index.ts";
import { ExperimentError } from "../errors.ts";
import { startHostile } from "./raw-peer.ts";

/** The chain a PoS testnet runs. */
export interface PosChain {
  params: PosParams;
  /** The signing domain (genesisConfigHash). */
  domain: Hash;
  /** When slot 0 starts (ms). */
  genesisTime: number;
  /** Hex, as the nodes report it. */
  genesisHash: string;
}

/** Reads the testnet's genesis.json back, and its genesis hash from the node behind `c`. */
export async function readPosChain(m: Manifest, c: RpcClient): Promise<PosChain> {
  const genesis = await readGenesisFile(m.genesisFile);
  const info = await c.call<{ genesisHash: string }>("node_info");
  return {
    params: parsePosParams(genesis.consensus.params),
    domain: genesisConfigHash(genesis),
    genesisTime: genesis.timestamp,
    genesisHash: info.genesisHash,
  };
}

/** When slot `slot` starts. */
export function slotStart(c: PosChain, slot: number): number {
  return c.genesisTime + slot * c.params.slotMs;
}

/** A block fetched raw, with its hash and decoded PoS body. */
export interface RawPosBlock {
  hash: string;
  block: Block;
  body: PosBody;
}

/**
 * The canonical blocks in [from, to] of node `n`, fetched over blocks_by_range by a short-lived
 * raw peer connected to that node alone (so it bridges no partition).
 */
export async function fetchPosBlocks(
  c: Pick<PosChain, "genesisHash" | "params">,
  n: NodeEntry,
  from: number,
  to: number,
): Promise<RawPosBlock[]> {
  if (n.multiaddr === undefined || n.peerId === undefined)
    throw new ExperimentError("EXPERIMENT_FAILED", `${n.name} has no p2p address`);
  const names = chainNames(hashFromHex(c.genesisHash));
  const peer = await startHostile(names);
  const out: RawPosBlock[] = [];
  try {
    await peer.dial(n.multiaddr);
    for (let h = from; h <= to; ) {
      const count = Math.min(MAX_BLOCKS_PER_REQUEST, to - h + 1);
      const got = await peer.request(
        n.peerId,
        names.blocksByRange,
        encodeRangeRequest({ startHeight: h, count }),
        15_000,
      );
      for (const bytes of got) {
        const block = decodeBlock(bytes);
        out.push({
          hash: toHex(headerHash(block.header)),
          block,
          body: decodePosBody(block.engineBody, c.params),
        });
      }
      if (got.length < count) break;
      h += got.length;
    }
  } finally {
    await peer.stop();
  }
  return out;
}
