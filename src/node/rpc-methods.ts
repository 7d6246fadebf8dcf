/** The chain, tx, account, mempool, node and miner JSON-RPC methods, registered on the RPC server. */
import { decodeBlock, headerHash } from "../core/block.ts";
import { ChainlabError } from "../core/errors.ts";
import { fromHex, hashFromHex, toHex } from "../core/hash.ts";
import { decodeAddress, encodeAddress } from "../crypto/address.ts";
import type { GossipFault } from "../p2p/index.ts";
import { noParams, params, type RpcServer, v } from "../rpc/index.ts";
import { blockToJson, txToJson } from "./format.ts";
import type { ChainlabNode } from "./node.ts";
import { chainlabVersion } from "./version.ts";

/** Networking operations the RPC exposes when p2p runs. */
export interface NetControl {
  peers(): unknown[];
  info(): { peerId: string; multiaddrs: string[] };
  partition(peerIds: string[]): Promise<void> | void;
  heal(): Promise<void> | void;
  connect?(multiaddr: string): Promise<void>;
  stats?(): unknown;
  setGossipFaults?(faults: GossipFault[]): void;
  gossipFaults?(): GossipFault[];
}

const ADDRESS = v.string({ min: 10, max: 100 });

function parseAddressParam(s: string): Uint8Array {
  try {
    return decodeAddress(s);
  } catch (err) {
    throw new ChainlabError("BAD_ADDRESS", (err as Error).message);
  }
}

/** Registers every node method on `server`. */
export function registerNodeMethods(
  server: RpcServer,
  node: ChainlabNode,
  extra: { net?: NetControl; info: () => Record<string, unknown> },
): void {
  const { chain, mempool, engine } = node;

  const blockJson = async (hash: Uint8Array, full: boolean) => {
    const block = await chain.getBlock(hash);
    if (block === undefined) return null;
    const meta = chain.tree.getMeta(hash);
    return blockToJson(hash, block, engine, {
      full,
      canonical: chain.tree.isCanonical(hash),
      ...(meta ? { meta } : {}),
    });
  };

  server.registerMethod("chain_getHead", {
    scope: "read",
    params: noParams,
    description: "the canonical head block (header and tx ids)",
    handler: async () => blockJson(chain.head().hash, false),
  });

  server.registerMethod("chain_getBlockByHeight", {
    scope: "read",
    params: params({ height: v.integer({ min: 0 }), full: v.optional(v.boolean()) }),
    description: "the canonical block at a height, or null",
    handler: async (p) => {
      const meta = chain.tree.getCanonical(p.height);
      return meta ? blockJson(meta.hash, p.full ?? false) : null;
    },
  });

  server.registerMethod("chain_getBlockByHash", {
    scope: "read",
    params: params({ hash: v.hex({ bytes: 32 }), full: v.optional(v.boolean()) }),
    description: "a block by hash (canonical or side branch), or null",
    handler: async (p) => blockJson(hashFromHex(p.hash), p.full ?? false),
  });

  server.registerMethod("tx_submit", {
    scope: "submit",
    params: params({ tx: v.hex({ maxBytes: 8192 }) }),
    description: "admit a raw signed transaction (hex) to the mempool; returns its id",
    handler: (p) => {
      const r = node.submitTx(fromHex(p.tx));
      return { id: toHex(r.id), status: r.status, ...(r.replaced ? { replaced: toHex(r.replaced) } : {}) };
    },
  });

  server.registerMethod("tx_get", {
    scope: "read",
    params: params({ id: v.hex({ bytes: 32 }) }),
    description: "a transaction's status: pending, included (block, height, index) or unknown",
    handler: async (p) => {
      const id = hashFromHex(p.id);
      const pooled = mempool.get(id);
      if (pooled) return { status: "pending", tx: txToJson(pooled, id) };
      const loc = await chain.getTxLocation(id);
      if (loc === undefined) return { status: "unknown", id: p.id };
      const block = await chain.getBlock(loc.blockHash);
      const tx = block?.txs[loc.index];
      return {
        status: "included",
        blockHash: toHex(loc.blockHash),
        height: loc.height,
        index: loc.index,
        confirmations: chain.head().header.height - loc.height + 1,
        ...(tx ? { tx: txToJson(tx, id) } : {}),
      };
    },
  });

  server.registerMethod("account_get", {
    scope: "read",
    params: params({ address: ADDRESS }),
    description: "balance and nonce at the head, and the next nonce counting pending txs",
    handler: (p) => {
      const addr = parseAddressParam(p.address);
      const a = chain.getAccount(addr);
      return {
        address: encodeAddress(addr),
        balance: a.balance.toString(),
        nonce: a.nonce,
        pendingNonce: mempool.pendingNonce(addr),
        height: chain.head().header.height,
      };
    },
  });

  server.registerMethod("mempool_status", {
    scope: "read",
    params: noParams,
    description: "pool counts, rejections and removals by reason",
    handler: () => ({
      ...mempool.status(),
      size: mempool.size,
      rejections: mempool.rejections(),
      removals: mempool.removals(),
    }),
  });

  server.registerMethod("consensus_status", {
    scope: "read",
    params: noParams,
    description: "the consensus engine's status (difficulty, hashrate, finality...)",
    handler: () => engine.status(chain.view, chain.forkChoice),
  });

  // The engine's own methods (PoS: pos_validator), registered by what they declare, never by engine type.
  for (const m of engine.rpcMethods?.() ?? []) {
    const shape = Object.fromEntries(
      Object.entries(m.params).map(([k, p]) => [
        k,
        v.optional<number | string>(p.kind === "integer" ? v.integer({ min: 0 }) : v.hex({ bytes: p.bytes })),
      ]),
    );
    server.registerMethod(m.name, {
      scope: "read",
      params: params(shape),
      description: m.description,
      handler: (p) => m.handler(p as Record<string, number | string | undefined>),
    });
  }

  server.registerMethod("node_info", {
    scope: "read",
    params: noParams,
    description: "chain id, genesis hash, engine, head, peer id, listen addresses and versions",
    handler: () => ({
      version: chainlabVersion(),
      runtime: `node ${process.version}`,
      chainId: chain.rules.chainId,
      genesisHash: toHex(chain.genesisHash),
      consensus: engine.type,
      height: chain.head().header.height,
      head: toHex(chain.head().hash),
      producing: node.producing,
      txsIncluded: node.txsIncluded,
      mempoolSize: mempool.size,
      ...extra.info(),
      ...(extra.net ? extra.net.info() : {}),
    }),
  });

  server.registerMethod("net_peers", {
    scope: "read",
    params: noParams,
    description: "connected peers with their status and score",
    handler: () => extra.net?.peers() ?? [],
  });

  server.registerMethod("miner_start", {
    scope: "admin",
    params: params({
      coinbase: v.optional(ADDRESS),
      threads: v.optional(v.integer({ min: 1, max: 256 })),
      hashrate: v.optional(v.integer({ min: 1 })),
    }),
    description: "start block production (coinbase defaults to the configured one)",
    handler: async (p) => {
      const configured = node.config.produce;
      const beneficiary = p.coinbase !== undefined ? parseAddressParam(p.coinbase) : configured?.beneficiary;
      if (beneficiary === undefined) {
        throw new ChainlabError("MINER_NO_COINBASE", "no coinbase configured: pass coinbase");
      }
      if (node.producing) await node.stopProducing();
      // threads and hashrate are the PoW section's keys, passed to the engine as overrides.
      node.startProducing({
        beneficiary,
        engine: {
          ...configured?.engine,
          ...(p.threads !== undefined ? { threads: p.threads } : {}),
          ...(p.hashrate !== undefined ? { hashrate: p.hashrate } : {}),
        },
      });
      return { producing: true, coinbase: encodeAddress(beneficiary) };
    },
  });

  server.registerMethod("miner_stop", {
    scope: "admin",
    params: noParams,
    description: "stop block production",
    handler: async () => {
      await node.stopProducing();
      return { producing: false };
    },
  });

  server.registerMethod("admin_partition", {
    scope: "admin",
    params: params({ peers: v.array(v.string({ min: 1, max: 200 }), { min: 1, max: 1000 }) }),
    description: "refuse and drop connections to these peer ids until admin_heal",
    handler: async (p) => {
      if (!extra.net) throw new ChainlabError("P2P_DISABLED", "p2p is not running on this node");
      await extra.net.partition(p.peers);
      return { blocked: p.peers };
    },
  });

  server.registerMethod("admin_heal", {
    scope: "admin",
    params: noParams,
    description: "lift every partition set by admin_partition",
    handler: async () => {
      if (!extra.net) throw new ChainlabError("P2P_DISABLED", "p2p is not running on this node");
      await extra.net.heal();
      return { healed: true };
    },
  });

  server.registerMethod("net_stats", {
    scope: "read",
    params: noParams,
    description: "p2p counters: messages by topic, rejections by reason, bans, sync progress",
    handler: () => extra.net?.stats?.() ?? {},
  });

  server.registerMethod("admin_gossipFault", {
    scope: "admin",
    params: params({
      delayMs: v.optional(v.integer({ min: 0, max: 60_000 })),
      dropProbability: v.optional(v.integer({ min: 0, max: 100 })),
      topic: v.optional(v.string({ min: 1, max: 64 })),
      peer: v.optional(v.string({ min: 1, max: 200 })),
    }),
    description:
      "experiments: delay incoming gossip by delayMs and/or drop dropProbability% of it, on one topic and from one peer if given (replaces the rule; all zero clears it)",
    handler: (p) => {
      if (!extra.net?.setGossipFaults)
        throw new ChainlabError("P2P_DISABLED", "p2p is not running on this node");
      const active = (p.delayMs ?? 0) > 0 || (p.dropProbability ?? 0) > 0;
      const rule = {
        ...(p.topic !== undefined ? { topic: p.topic } : {}),
        ...(p.peer !== undefined ? { peer: p.peer } : {}),
        delayMs: p.delayMs ?? 0,
        dropProbability: (p.dropProbability ?? 0) / 100,
      };
      extra.net.setGossipFaults(active ? [rule] : []);
      return { faults: extra.net.gossipFaults?.() ?? [] };
    },
  });

  server.registerMethod("admin_publishPolicy", {
    scope: "admin",
    params: params({
      action: v.oneOf(["send", "withhold", "drop", "delay"] as const),
      topic: v.optional(v.string({ min: 1, max: 64 })),
      origin: v.optional(v.oneOf(["local", "relay"] as const)),
      delayMs: v.optional(v.integer({ min: 0, max: 600_000 })),
    }),
    description:
      "experiments: what the outbound publisher does with messages on a topic (blocks, txs, engine topics) from an origin (local or relay): send (clears), withhold, drop or delay",
    handler: (p) => {
      const rules =
        p.action === "send"
          ? []
          : [
              {
                action: p.action,
                ...(p.topic !== undefined ? { topic: p.topic } : {}),
                ...(p.origin !== undefined ? { origin: p.origin } : {}),
                ...(p.delayMs !== undefined ? { delayMs: p.delayMs } : {}),
              },
            ];
      node.outbound.setRules(rules);
      return { rules: node.outbound.currentRules() };
    },
  });

  server.registerMethod("admin_release", {
    scope: "admin",
    params: params({
      topic: v.optional(v.string({ min: 1, max: 64 })),
      until: v.optional(v.hex({ bytes: 32 })),
    }),
    description:
      "experiments: send the withheld messages (of one topic if given) at once, oldest first; with `until` (a block hash) only the withheld blocks up to and including that block",
    handler: async (p) => {
      if (p.until === undefined) {
        return { released: await node.outbound.release((m) => p.topic === undefined || m.topic === p.topic) };
      }
      const until = p.until.toLowerCase();
      const held = node.outbound.withheld().filter((m) => m.topic === "blocks");
      const last = held.findIndex((m) => toHex(headerHash(decodeBlock(m.data).header)) === until);
      if (last < 0) throw new ChainlabError("PUBLISHER_NOT_WITHHELD", `block ${p.until} is not withheld`);
      const chosen = new Set(held.slice(0, last + 1));
      return { released: await node.outbound.release((m) => chosen.has(m)) };
    },
  });

  server.registerMethod("net_publisher", {
    scope: "read",
    params: noParams,
    description:
      "the outbound publisher: policy rules, messages sent, dropped, delayed, withheld and released",
    handler: () => ({ rules: node.outbound.currentRules(), ...node.outbound.stats() }),
  });

  server.registerMethod("admin_connect", {
    scope: "admin",
    params: params({ multiaddr: v.string({ min: 1, max: 500 }) }),
    description: "dial a peer",
    handler: async (p) => {
      if (!extra.net?.connect) throw new ChainlabError("P2P_DISABLED", "p2p is not running on this node");
      await extra.net.connect(p.multiaddr);
      return { connected: p.multiaddr };
    },
  });
}
