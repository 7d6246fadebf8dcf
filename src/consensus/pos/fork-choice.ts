/**
 * PoS fork choice: LMD-GHOST from the justified checkpoint over each validator's latest vote, with
 * Casper FFG's justified and finalized checkpoints taken from the executed blocks' metadata
 * (consensus-specs phase0 fork-choice.md; Lodestar's proto-array is the model for the bottom-up
 * weight pass). One head computation is O(blocks + votes): the votes are summed onto their blocks,
 * then every block's weight is added to its parent in reverse insertion order (parents are always
 * inserted before children), then the walk goes down from the justified root to the heaviest
 * viable child. Votes are keyed by validator index, so they are bounded by the validator set the
 * engine checked them against; equivocating validators' votes are dropped for good.
 */
import type { Header } from "../../core/block.ts";
import { bytesEqual, type Hash, toHex } from "../../core/hash.ts";
import type {
  BlockMeta,
  ChainView,
  Checkpoint,
  ConsensusError,
  ForkChoice,
  ForkChoiceRestore,
} from "../engine.ts";
import { type MetaCheckpoint, metaOf, type PosMeta, sameCheckpoint } from "./meta.ts";
import { encodeStatusWeight } from "./weight.ts";

/** A validator's vote for a head block, weighted by its effective stake. */
export interface VoteMessage {
  kind: "vote";
  validatorIndex: number;
  root: Hash;
  targetEpoch: number;
  weight: bigint;
}

/** Validators proven to have equivocated: their votes no longer count. */
export interface EquivocationMessage {
  kind: "equivocation";
  validatorIndices: readonly number[];
}

/** What the PoS fork choice accepts through onMessage. */
export type PosForkChoiceMessage = VoteMessage | EquivocationMessage;

interface ProtoNode {
  meta: BlockMeta;
  pos: PosMeta;
  parent: string | undefined;
  children: string[];
}

interface LatestVote {
  root: string;
  targetEpoch: number;
  weight: bigint;
}

/** LMD-GHOST + FFG over executed blocks. */
export class PosForkChoice implements ForkChoice {
  private readonly view: ChainView;
  private readonly nodes = new Map<string, ProtoNode>();
  /** Insertion order: every node after its parent. */
  private order: string[] = [];
  private readonly votes = new Map<number, LatestVote>();
  private readonly equivocators = new Set<number>();
  private storeJustified: MetaCheckpoint;
  private storeFinalized: MetaCheckpoint;
  private head: BlockMeta | undefined;
  private readonly weights = new Map<string, bigint>();
  /** Head computations and the votes, blocks and child edges they visited (for tests and profiling). */
  readonly work = { heads: 0, steps: 0 };
  /** Wall time of the last tick. */
  now = 0;

  private readonly onPrune: ((finalizedEpoch: number) => void) | undefined;

  /** `onPrune` hears of each new finalized epoch (the engine drops pooled messages below it). */
  constructor(view: ChainView, restore: ForkChoiceRestore, onPrune?: (finalizedEpoch: number) => void) {
    this.view = view;
    this.onPrune = onPrune;
    const g = view.genesis();
    const genesisCheckpoint: MetaCheckpoint = { epoch: 0, root: g.hash, height: 0 };
    this.storeJustified = genesisCheckpoint;
    this.storeFinalized = genesisCheckpoint;
    this.insert(g);
    for (const meta of restore.blocks) this.onBlock(meta);
  }

  private insert(meta: BlockMeta): void {
    const id = toHex(meta.hash);
    if (this.nodes.has(id)) return;
    const parentId = meta.header.height === 0 ? undefined : toHex(meta.header.parentHash);
    const parent = parentId === undefined ? undefined : this.nodes.get(parentId);
    // A block whose parent was pruned cannot be on the finalized chain.
    if (parentId !== undefined && parent === undefined) return;
    this.nodes.set(id, { meta, pos: metaOf(meta), parent: parentId, children: [] });
    parent?.children.push(id);
    this.order.push(id);
  }

  onBlock(meta: BlockMeta): void {
    this.insert(meta);
    const node = this.nodes.get(toHex(meta.hash));
    if (node === undefined) return;
    const { justified, finalized } = node.pos;
    if (finalized.epoch > this.storeFinalized.epoch) {
      this.storeFinalized = finalized;
      if (justified.epoch >= this.storeJustified.epoch || !this.descends(this.storeJustified, finalized)) {
        this.storeJustified = justified;
      }
    }
    if (justified.epoch > this.storeJustified.epoch) this.storeJustified = justified;
    this.head = undefined;
  }

  /** True when checkpoint `c`'s block descends from (or is) `ancestor`'s block. */
  private descends(c: MetaCheckpoint, ancestor: MetaCheckpoint): boolean {
    const node = this.nodes.get(toHex(c.root));
    if (node === undefined) return false;
    const at = this.view.ancestorAt(node.meta, ancestor.height);
    return at !== undefined && bytesEqual(at.hash, ancestor.root);
  }

  onMessage(message: unknown): void {
    const m = message as PosForkChoiceMessage;
    if (m.kind === "vote") {
      if (this.equivocators.has(m.validatorIndex)) return;
      const prev = this.votes.get(m.validatorIndex);
      if (prev !== undefined && m.targetEpoch <= prev.targetEpoch) return;
      this.votes.set(m.validatorIndex, { root: toHex(m.root), targetEpoch: m.targetEpoch, weight: m.weight });
    } else if (m.kind === "equivocation") {
      for (const i of m.validatorIndices) {
        this.equivocators.add(i);
        this.votes.delete(i);
      }
    } else {
      return;
    }
    this.head = undefined;
  }

  onTick(now: number): void {
    this.now = now;
  }

  /** The latest vote of a validator (its root's hex and target epoch), if any. */
  latestVote(validatorIndex: number): { root: string; targetEpoch: number } | undefined {
    const v = this.votes.get(validatorIndex);
    return v === undefined ? undefined : { root: v.root, targetEpoch: v.targetEpoch };
  }

  /** Validators whose votes are ignored for equivocation. */
  equivocating(): number[] {
    return [...this.equivocators].sort((a, b) => a - b);
  }

  getHead(): BlockMeta {
    if (this.head === undefined) this.head = this.computeHead();
    return this.head;
  }

  /** The vote weight on a block's subtree as of the last head computation. */
  weightAt(hash: Hash): bigint {
    this.getHead();
    return this.weights.get(toHex(hash)) ?? 0n;
  }

  private leafViable(n: ProtoNode): boolean {
    const j = this.storeJustified;
    const f = this.storeFinalized;
    return (
      (j.epoch === 0 || sameCheckpoint(n.pos.justified, j)) &&
      (f.epoch === 0 || sameCheckpoint(n.pos.finalized, f))
    );
  }

  private computeHead(): BlockMeta {
    const weights = this.weights;
    weights.clear();
    // Each loop below visits every vote, block or child edge at most once.
    this.work.heads++;
    this.work.steps += this.votes.size + this.order.length;
    for (const [index, v] of this.votes) {
      if (this.equivocators.has(index) || !this.nodes.has(v.root)) continue;
      weights.set(v.root, (weights.get(v.root) ?? 0n) + v.weight);
    }
    const viable = new Set<string>();
    for (let i = this.order.length - 1; i >= 0; i--) {
      const id = this.order[i]!;
      const n = this.nodes.get(id)!;
      if (n.children.length === 0 ? this.leafViable(n) : n.children.some((c) => viable.has(c)))
        viable.add(id);
      if (n.parent !== undefined) {
        const w = weights.get(id);
        if (w !== undefined) weights.set(n.parent, (weights.get(n.parent) ?? 0n) + w);
      }
    }
    const start =
      this.nodes.get(toHex(this.storeJustified.root)) ?? this.nodes.get(toHex(this.storeFinalized.root));
    let cur = start ?? this.nodes.get(toHex(this.view.genesis().hash))!;
    for (;;) {
      let best: string | undefined;
      let bestWeight = -1n;
      this.work.steps += cur.children.length;
      for (const c of cur.children) {
        if (!viable.has(c)) continue;
        const w = weights.get(c) ?? 0n;
        // Ties go to the larger root, as in the spec's get_head.
        if (w > bestWeight || (w === bestWeight && best !== undefined && c > best)) {
          best = c;
          bestWeight = w;
        }
      }
      if (best === undefined) return cur.meta;
      cur = this.nodes.get(best)!;
    }
  }

  justified(): Checkpoint {
    return toCheckpoint(this.storeJustified);
  }

  finalized(): Checkpoint {
    return toCheckpoint(this.storeFinalized);
  }

  /** Forgets the removed blocks (they do not descend from the finalized block). */
  prune(_finalized: Checkpoint, removed: readonly BlockMeta[]): void {
    this.onPrune?.(this.storeFinalized.epoch);
    if (removed.length === 0) return;
    const gone = new Set(removed.map((m) => toHex(m.hash)));
    for (const id of gone) {
      const n = this.nodes.get(id);
      if (n === undefined) continue;
      this.nodes.delete(id);
      const parent = n.parent === undefined ? undefined : this.nodes.get(n.parent);
      if (parent !== undefined) parent.children = parent.children.filter((c) => c !== id);
    }
    this.order = this.order.filter((id) => !gone.has(id));
    this.head = undefined;
  }

  /** Number of blocks the fork choice holds (for tests and status). */
  get size(): number {
    return this.nodes.size;
  }

  /** PoS refuses no branch here: the chain already refuses blocks that do not descend from finality. */
  admits(_parent: BlockMeta, _header: Header): ConsensusError | undefined {
    return undefined;
  }

  /** The objective weight in the status message: finalized and justified epochs, then height. */
  weightOf(meta: BlockMeta): Uint8Array {
    const pos = metaOf(meta);
    return encodeStatusWeight({
      finalizedEpoch: pos.finalized.epoch,
      justifiedEpoch: pos.justified.epoch,
      height: meta.header.height,
    });
  }
}

function toCheckpoint(c: MetaCheckpoint): Checkpoint {
  return { height: c.height, hash: c.root, epoch: c.epoch };
}
