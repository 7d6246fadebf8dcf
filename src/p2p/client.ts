/**
 * The requester side of req/resp, with response checks: a blocks_by_range answer must be consecutive
 * canonical heights from the start, each block the child of the previous one; a blocks_by_hash answer
 * may only hold blocks we asked for. A violation is a P2P_BAD_RESPONSE (the peer is penalized).
 */
import type { Libp2p, PeerId } from "@libp2p/interface";
import { type Block, decodeBlock, headerHash, MAX_BLOCK_SIZE } from "../core/block.ts";
import { DecodeError } from "../core/errors.ts";
import { bytesEqual, type Hash, toHex } from "../core/hash.ts";
import { P2PError } from "./errors.ts";
import {
  decodeStatus,
  encodeHashRequest,
  encodeRangeRequest,
  encodeStatus,
  MAX_BLOCKS_PER_REQUEST,
  MAX_STATUS_SIZE,
  type StatusMessage,
} from "./messages.ts";
import { MAX_RESPONSE_BYTES } from "./protocols.ts";
import { sendRequest } from "./reqresp.ts";
import type { P2PStats } from "./stats.ts";
import type { ChainNames } from "./topics.ts";

/** A block with its hash, as received from a peer. */
export interface FetchedBlock {
  block: Block;
  hash: Hash;
}

function decodeFetched(bytes: Uint8Array, what: string): FetchedBlock {
  try {
    const block = decodeBlock(bytes);
    return { block, hash: headerHash(block.header) };
  } catch (err) {
    if (err instanceof DecodeError)
      throw new P2PError("P2P_BAD_RESPONSE", `${what}: ${err.message}`, { cause: err.code });
    throw err;
  }
}

/** Typed requests to one libp2p host's peers. */
export class PeerClient {
  private readonly libp2p: Libp2p;
  private readonly names: ChainNames;
  private readonly timeoutMs: number;
  private readonly stats: P2PStats;

  constructor(libp2p: Libp2p, names: ChainNames, timeoutMs: number, stats: P2PStats) {
    this.libp2p = libp2p;
    this.names = names;
    this.timeoutMs = timeoutMs;
    this.stats = stats;
  }

  private async request(
    peer: PeerId,
    protocol: string,
    kind: string,
    payload: Uint8Array,
    maxChunks: number,
    maxChunkBytes: number,
    maxTotalBytes: number,
  ): Promise<Uint8Array[]> {
    this.stats.count(this.stats.requestsOut, kind);
    try {
      return await sendRequest(this.libp2p, peer, protocol, payload, {
        timeoutMs: this.timeoutMs,
        maxChunks,
        maxChunkBytes,
        maxTotalBytes,
      });
    } catch (err) {
      this.stats.count(this.stats.requestErrors, err instanceof P2PError ? err.code : "INTERNAL");
      throw err;
    }
  }

  /** Sends our status, returns theirs. */
  async status(peer: PeerId, ours: StatusMessage): Promise<StatusMessage> {
    const [chunk] = await this.request(
      peer,
      this.names.status,
      "status",
      encodeStatus(ours),
      1,
      MAX_STATUS_SIZE,
      MAX_STATUS_SIZE,
    );
    if (chunk === undefined) throw new P2PError("P2P_BAD_RESPONSE", "status: empty response");
    try {
      return decodeStatus(chunk);
    } catch (err) {
      throw new P2PError("P2P_BAD_RESPONSE", `status: ${(err as Error).message}`);
    }
  }

  /** Up to `count` canonical blocks from `startHeight`, checked to form a chain. */
  async blocksByRange(peer: PeerId, startHeight: number, count: number): Promise<FetchedBlock[]> {
    const n = Math.min(count, MAX_BLOCKS_PER_REQUEST);
    const chunks = await this.request(
      peer,
      this.names.blocksByRange,
      "blocks_by_range",
      encodeRangeRequest({ startHeight, count: n }),
      n,
      MAX_BLOCK_SIZE,
      MAX_RESPONSE_BYTES,
    );
    const out: FetchedBlock[] = [];
    for (const bytes of chunks) {
      const f = decodeFetched(bytes, "blocks_by_range");
      const expected = startHeight + out.length;
      if (f.block.header.height !== expected) {
        throw new P2PError(
          "P2P_BAD_RESPONSE",
          `blocks_by_range: got height ${f.block.header.height}, expected ${expected}`,
        );
      }
      const prev = out[out.length - 1];
      if (prev !== undefined && !bytesEqual(f.block.header.parentHash, prev.hash)) {
        throw new P2PError(
          "P2P_BAD_RESPONSE",
          `blocks_by_range: block ${expected} does not extend block ${expected - 1}`,
        );
      }
      out.push(f);
    }
    return out;
  }

  /** The blocks among `hashes` that the peer has. */
  async blocksByHash(peer: PeerId, hashes: readonly Hash[]): Promise<FetchedBlock[]> {
    const wanted = new Set(hashes.map(toHex));
    const chunks = await this.request(
      peer,
      this.names.blocksByHash,
      "blocks_by_hash",
      encodeHashRequest(hashes),
      hashes.length,
      MAX_BLOCK_SIZE,
      MAX_RESPONSE_BYTES,
    );
    const out: FetchedBlock[] = [];
    for (const bytes of chunks) {
      const f = decodeFetched(bytes, "blocks_by_hash");
      if (!wanted.delete(toHex(f.hash)))
        throw new P2PError("P2P_BAD_RESPONSE", "blocks_by_hash: unrequested or repeated block");
      out.push(f);
    }
    return out;
  }
}
