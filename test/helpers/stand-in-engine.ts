/**
 * A stand-in consensus engine for tests (reth's TestConsensus): it implements the whole seam of
 * consensus/engine.ts with no seal and no timing, and has switches a test flips to make validation
 * fail, to move finality, and to steer the head by messages instead of blocks. chain/, p2p/ and
 * the conformance suite run against it to show they assume nothing PoW-specific (no pairwise head
 * comparison, no bigint weight, no finality at genesis).
 *
 * Header engine fields: one nonzero byte, the block's "score" (fork choice: most cumulative score, then
 * most votes, first seen wins). Engine metadata: cumulative score, u32 big-endian.
 */
import {
  type BlockMeta,
  type BlockProducer,
  type ChainStatus,
  type ChainView,
  type Checkpoint,
  type ConsensusEngine,
  ConsensusError,
  type EngineTopic,
  type ForkChoice,
  type ForkChoiceRestore,
  verifyExtendsParent,
} from "../../src/consensus/engine.ts";
import type { Block, Header } from "../../src/core/block.ts";
import type { Genesis } from "../../src/core/genesis.ts";
import { bytesEqual, type Hash, toHex } from "../../src/core/hash.ts";
import type { TxKind } from "../../src/core/tx.ts";

/** The switches a test flips. */
export interface StandInSwitches {
  /** verifyHeader throws BLOCK_BAD_SEAL for headers whose score byte is this value. */
  failHeaderScore?: number;
  /** applyBlock throws BLOCK_BAD_ENGINE_BODY (a stateful rule) for blocks at this height. */
  failApplyAtHeight?: number;
  /** The finalized checkpoint the fork choice reports (must be an executed block). */
  finalized?: Checkpoint;
}

/** A vote message: the fork choice prefers the branch with the most votes at equal score. */
export interface StandInVote {
  kind: "vote";
  block: Hash;
}

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
const readU32 = (b: Uint8Array): number => {
  if (b.length !== 4) throw new ConsensusError("BLOCK_BAD_ENGINE_FIELDS", "stand-in metadata is 4 bytes");
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
};

/** The fork choice of the stand-in engine. */
class StandInForkChoice implements ForkChoice {
  private readonly view: ChainView;
  private readonly switches: StandInSwitches;
  private readonly blocks: BlockMeta[] = [];
  private readonly votes = new Map<string, number>();
  private readonly first: BlockMeta;
  readonly messages: unknown[] = [];
  ticks = 0;

  constructor(view: ChainView, restore: ForkChoiceRestore, switches: StandInSwitches) {
    this.view = view;
    this.switches = switches;
    this.first = restore.head;
    this.blocks.push(restore.head);
    for (const b of restore.blocks) if (!bytesEqual(b.hash, restore.head.hash)) this.blocks.push(b);
    if (!this.blocks.some((b) => bytesEqual(b.hash, view.genesis().hash))) this.blocks.push(view.genesis());
  }

  onBlock(meta: BlockMeta): void {
    this.blocks.push(meta);
  }

  onMessage(message: unknown): void {
    this.messages.push(message);
    const m = message as StandInVote;
    if (m?.kind === "vote") this.votes.set(toHex(m.block), (this.votes.get(toHex(m.block)) ?? 0) + 1);
  }

  onTick(): void {
    this.ticks++;
  }

  /** Votes on a block and its ancestors. */
  private votesFor(meta: BlockMeta): number {
    let n = 0;
    for (let cur: BlockMeta | undefined = meta; cur !== undefined; ) {
      n += this.votes.get(toHex(cur.hash)) ?? 0;
      cur = cur.header.height === 0 ? undefined : this.view.getMeta(cur.header.parentHash);
    }
    return n;
  }

  getHead(): BlockMeta {
    const fin = this.finalized();
    let best: BlockMeta | undefined;
    for (const b of this.blocks) {
      if (this.view.getMeta(b.hash) === undefined) continue;
      const at = this.view.ancestorAt(b, fin.height);
      if (at === undefined || !bytesEqual(at.hash, fin.hash)) continue;
      if (best === undefined) {
        best = b;
        continue;
      }
      const ds = readU32(b.engineMeta) - readU32(best.engineMeta);
      if (ds > 0 || (ds === 0 && this.votesFor(b) > this.votesFor(best))) best = b;
    }
    return best ?? this.first;
  }

  justified(): Checkpoint {
    return this.finalized();
  }

  finalized(): Checkpoint {
    return this.switches.finalized ?? { height: 0, hash: this.view.genesis().hash };
  }

  prune(_finalized: Checkpoint, removed: readonly BlockMeta[]): void {
    const gone = new Set(removed.map((m) => toHex(m.hash)));
    for (let i = this.blocks.length - 1; i >= 0; i--)
      if (gone.has(toHex(this.blocks[i]!.hash))) this.blocks.splice(i, 1);
  }

  admits(): ConsensusError | undefined {
    return undefined;
  }

  weightOf(meta: BlockMeta): Uint8Array {
    return meta.engineMeta;
  }
}

/** The stand-in engine; `switches` may be changed at any time. */
export class StandInEngine implements ConsensusEngine {
  readonly type = "standin";
  readonly txKinds: ReadonlySet<TxKind> = new Set();
  readonly tickMs = 0;
  readonly switches: StandInSwitches = {};
  forkChoice: StandInForkChoice | undefined;

  constructor(_genesis?: Genesis) {}

  genesisFields(): Uint8Array {
    return Uint8Array.of(1);
  }

  genesisState(): void {}

  genesisMeta(): Uint8Array {
    return u32(0);
  }

  private score(header: Header): number {
    if (header.engine.length !== 1 || header.engine[0] === 0) {
      throw new ConsensusError("BLOCK_BAD_ENGINE_FIELDS", "stand-in engine fields are one nonzero byte", {
        got: header.engine.length,
      });
    }
    return header.engine[0]!;
  }

  verifyHeaderIntrinsic(header: Header): void {
    if (this.score(header) === this.switches.failHeaderScore) {
      throw new ConsensusError("BLOCK_BAD_SEAL", "stand-in: header fails by switch");
    }
  }

  verifyHeader(header: Header, parent: BlockMeta): void {
    verifyExtendsParent(header, parent);
    this.verifyHeaderIntrinsic(header);
    if (header.timestamp <= parent.header.timestamp) {
      throw new ConsensusError("BLOCK_TIMESTAMP_TOO_OLD", "stand-in: timestamp must increase");
    }
  }

  verifyBodyCommitment(block: Block): void {
    if (block.engineBody.length !== 0)
      throw new ConsensusError("BLOCK_BODY_MISMATCH", "stand-in: no engine body");
  }

  verifyBody(): void {}

  applyEngineTx(): void {
    throw new ConsensusError("CONSENSUS_BAD_PARAMS", "stand-in has no engine transactions");
  }

  applyBlock(block: Block, _state: unknown, ctx: { parent: BlockMeta }): Uint8Array {
    if (block.header.height === this.switches.failApplyAtHeight) {
      throw new ConsensusError("BLOCK_BAD_ENGINE_BODY", "stand-in: block fails its stateful rules by switch");
    }
    return u32(readU32(ctx.parent.engineMeta) + this.score(block.header));
  }

  createForkChoice(view: ChainView, restore: ForkChoiceRestore): ForkChoice {
    this.forkChoice = new StandInForkChoice(view, restore, this.switches);
    return this.forkChoice;
  }

  isAhead(ours: ChainStatus, theirs: ChainStatus): boolean {
    return readU32(theirs.weight) > readU32(ours.weight);
  }

  prepareFields(): Uint8Array {
    return Uint8Array.of(1);
  }

  createProducer(): BlockProducer {
    return { start() {}, stop: async () => {}, running: false, stats: () => ({}) };
  }

  topics(): EngineTopic[] {
    return [];
  }

  start(): void {}

  async stop(): Promise<void> {}

  status(view: ChainView, fc: ForkChoice): Record<string, unknown> {
    return { type: this.type, headHeight: view.head().header.height, finalizedHeight: fc.finalized().height };
  }

  describeFields(header: Header): Record<string, unknown> {
    return { score: this.score(header) };
  }

  metrics(): [] {
    return [];
  }

  describeMeta(meta: BlockMeta): Record<string, unknown> {
    return { cumulativeScore: readU32(meta.engineMeta) };
  }
}

/** A genesis for the stand-in engine funding `alloc`. */
export function standInGenesis(alloc: Record<string, bigint>): Genesis {
  return {
    chainId: 4242,
    timestamp: 1_700_000_000_000,
    minFee: 1n,
    consensus: { type: "standin", params: {} },
    alloc,
  };
}
