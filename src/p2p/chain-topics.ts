/**
 * The blocks and txs topics: validators that hand each message to the node (import or mempool) and
 * map the outcome to a verdict, and the relay of locally mined blocks and locally submitted txs.
 * Blocks that arrive from the network (gossip or sync) are remembered while they import, so the
 * node's "block imported" event does not echo them back onto the topic.
 */
import type { ImportResult } from "../chain/chain.ts";
import { type Block, decodeBlock, encodeBlock, headerHash, MAX_BLOCK_SIZE } from "../core/block.ts";
import { ChainlabError, DecodeError } from "../core/errors.ts";
import { toHex } from "../core/hash.ts";
import { encodeTx } from "../core/tx.ts";
import { MempoolError } from "../mempool/index.ts";
import { accept, type GossipRouter, type GossipValidation, ignore, reject } from "./gossip.ts";
import { IgnoreThrottle } from "./ignore-throttle.ts";
import type { ImportSource, P2PNode } from "./node-port.ts";
import { BLOCK_INVALID_WEIGHT } from "./score-params.ts";
import type { ChainNames } from "./topics.ts";
import { decodeTxBatch, MAX_TX_BATCH_BYTES, TxBatcher } from "./tx-batch.ts";

/**
 * Blocks a peer may send us that we IGNORE (orphans, light forks, blocks off our finalized chain)
 * before it is throttled: honest peers send such blocks at about the rate blocks are made.
 */
const BLOCK_THROTTLE = { limit: 256, halfLifeMs: 60_000, throttleMs: 60_000, penalizeEvery: 4 };

/**
 * The verdict on a block message, from the error's own blame: errors of our head, clock or storage
 * (senderAtFault false) IGNORE; anything not typed is our bug, never the peer's fault.
 */
function blockVerdictOf(err: unknown): GossipValidation {
  if (err instanceof ChainlabError) return err.senderAtFault ? reject(err.code) : ignore(err.code);
  throw err;
}

/**
 * Tx errors that depend on our head state, which may lag or lead the sender's (a race, or the two
 * sides of a reorg): IGNORE. Every other TxError is invalid anywhere and is a REJECT.
 */
const TX_IGNORE_CODES = new Set(["TX_NONCE_TOO_LOW", "TX_INSUFFICIENT_FUNDS", "TX_EXPIRED"]);

/**
 * IGNOREd txs a peer is held to account for (see IgnoreThrottle): head-state failures and nonces far
 * ahead. Duplicates, a full pool and underpriced replacements are normal gossip and are not counted.
 */
const TX_THROTTLED_CODES = new Set([...TX_IGNORE_CODES, "MEMPOOL_NONCE_GAP"]);

/** Maps a thrown error to a verdict: typed errors are the peer's fault, anything else is ours. */
function verdictOf(err: unknown, ignoreCodes: ReadonlySet<string>): GossipValidation {
  if (err instanceof MempoolError) return ignore(err.code);
  if (err instanceof DecodeError) return reject(err.code);
  if (err instanceof ChainlabError) return ignoreCodes.has(err.code) ? ignore(err.code) : reject(err.code);
  throw err;
}

/** Validation and relay of the core topics for one node. */
export class ChainTopics {
  private readonly node: P2PNode;
  private readonly fromNetwork = new Set<string>();
  private readonly announced = new Set<string>();
  private readonly throttle: IgnoreThrottle;
  private readonly blockThrottle: IgnoreThrottle;
  private receivingTx = false;
  private txBatcher: TxBatcher | undefined;

  constructor(
    node: P2PNode,
    throttle = new IgnoreThrottle(),
    blockThrottle = new IgnoreThrottle(BLOCK_THROTTLE),
  ) {
    this.node = node;
    this.throttle = throttle;
    this.blockThrottle = blockThrottle;
  }

  /** Imports `block` as coming from the network (not re-published by the relay). */
  async importFromNetwork(
    block: Block,
    source: ImportSource,
    hashHex = toHex(headerHash(block.header)),
  ): Promise<ImportResult> {
    this.fromNetwork.add(hashHex);
    try {
      return await this.node.importBlock(block, source);
    } finally {
      this.fromNetwork.delete(hashHex);
    }
  }

  /**
   * The blocks-topic validator. `onOrphan` starts the ancestor fetch from the sending peer.
   */
  async validateBlock(
    data: Uint8Array,
    from: string,
    onOrphan: (peer: string, block: Block, result: ImportResult) => void,
  ): Promise<GossipValidation> {
    let block: Block;
    try {
      block = decodeBlock(data);
    } catch (err) {
      return blockVerdictOf(err);
    }
    const hash = headerHash(block.header);
    if (this.node.chain.view.getMeta(hash) !== undefined) return ignore("duplicate");
    const decision = this.blockThrottle.check(from);
    if (decision === "penalize") return reject("BLOCK_IGNORE_FLOOD");
    if (decision === "skip") return ignore("throttled");
    let result: ImportResult;
    try {
      result = await this.importFromNetwork(
        block,
        { kind: "gossip", peer: from, bytes: data.length },
        toHex(hash),
      );
    } catch (err) {
      const verdict = blockVerdictOf(err);
      // A blameless refusal (a light fork, a block off our finalized chain, a full orphan share)
      // costs the sender nothing in gossipsub: counted here, a flood of them is throttled, then
      // penalized. Once is honest (its view differs); a stream is not.
      if (verdict.verdict === "ignore") this.blockThrottle.record(from, 1);
      return verdict;
    }
    switch (result.status) {
      case "head":
      case "side":
        return accept(result.status);
      case "duplicate":
        return ignore("duplicate");
      case "orphan":
        // Honest peers send orphans only at the rate blocks are made (we are behind); a stream
        // of them is a flood.
        this.blockThrottle.record(from, 1);
        onOrphan(from, block, result);
        return ignore("orphan");
    }
  }

  /**
   * The txs-topic validator: mempool admission of every tx in the batch (cheap checks run before any
   * signature, see createMempool). One tx that is invalid anywhere makes the message a REJECT. A batch
   * whose txs were all new or known is an ACCEPT (gossipsub relays it as is); one with IGNOREd txs is
   * an IGNORE, and the txs it did admit are re-batched by our relay, so IGNOREd txs never leave this
   * node. A peer whose IGNOREd txs pass the throttle's limit has its next batches skipped undecoded,
   * and keeping it up earns REJECTs (TX_IGNORE_FLOOD), which penalize it through the peer manager.
   */
  validateTx(data: Uint8Array, from = ""): GossipValidation {
    const decision = this.throttle.check(from);
    if (decision === "skip") return ignore("TX_THROTTLED");
    if (decision === "penalize") return reject("TX_IGNORE_FLOOD");
    let txs: Uint8Array[];
    try {
      txs = decodeTxBatch(data);
    } catch (err) {
      return verdictOf(err, TX_IGNORE_CODES);
    }
    const admitted: Uint8Array[] = [];
    let ignored: GossipValidation | undefined;
    let ignoredCount = 0;
    let accountable = 0;
    this.receivingTx = true;
    try {
      for (const tx of txs) {
        try {
          this.node.submitTx(tx);
          admitted.push(tx);
        } catch (err) {
          const verdict = verdictOf(err, TX_IGNORE_CODES);
          if (verdict.verdict === "reject") return verdict;
          if (verdict.reason !== "MEMPOOL_ALREADY_KNOWN") ignoredCount++;
          if (TX_THROTTLED_CODES.has(verdict.reason)) accountable++;
          ignored ??= verdict;
        }
      }
    } finally {
      this.receivingTx = false;
      this.throttle.record(from, accountable);
    }
    if (ignoredCount === 0) return admitted.length > 0 ? accept() : (ignored ?? ignore("empty"));
    for (const tx of admitted) this.txBatcher?.add(tx);
    return ignored ?? ignore("empty");
  }

  /** Publishes the txs waiting in the relay's batch now instead of after its short delay. */
  flushTxs(): void {
    this.txBatcher?.flush();
  }

  /** Registers the blocks and txs topics on `router`; `onOrphan` starts an ancestor fetch. */
  register(
    router: GossipRouter,
    names: ChainNames,
    onOrphan: (peer: string, block: Block, r: ImportResult) => void,
  ): void {
    router.register(names.blocksTopic, {
      name: "blocks",
      maxBytes: MAX_BLOCK_SIZE,
      invalidWeight: BLOCK_INVALID_WEIGHT,
      validate: (data, from) => this.validateBlock(data, from, onOrphan),
    });
    router.register(names.txsTopic, {
      name: "txs",
      maxBytes: MAX_TX_BATCH_BYTES,
      validate: (data, from) => this.validateTx(data, from),
    });
  }

  /** Remembers that a local block was published before its import, so the relay skips it. */
  markAnnounced(hashHex: string): void {
    if (this.announced.size >= 64) this.announced.delete(this.announced.values().next().value as string);
    this.announced.add(hashHex);
  }

  /** Publishes locally produced blocks and locally submitted txs; returns the unsubscribe function. */
  relay(publishBlock: (bytes: Uint8Array) => void, publishTx: (bytes: Uint8Array) => void): () => void {
    const offBlock = this.node.onBlockImported((block, result) => {
      const id = toHex(result.hash);
      if (this.fromNetwork.has(id) || this.announced.delete(id)) return;
      publishBlock(encodeBlock(block));
    });
    const batcher = new TxBatcher(publishTx);
    this.txBatcher = batcher;
    const offTx = this.node.mempool.onAdded((e) => {
      if (e.reinjected || this.receivingTx) return;
      batcher.add(encodeTx(e.tx));
    });
    return () => {
      offBlock();
      offTx();
      batcher.close();
      this.txBatcher = undefined;
    };
  }
}
