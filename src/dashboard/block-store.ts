/**
 * The blocks the dashboard has seen on any node, as a bounded tree: each block with the poll time
 * at which each node first had it (as head or under its head), which node is on which tip, and the
 * reorgs seen when a node's head moved to a block that does not descend from its previous head.
 */

/** A block as the dashboard keeps it (from chain_getBlockByHash / ByHeight). */
export interface BlockInfo {
  hash: string;
  height: number;
  parentHash: string;
  timestamp: number;
  beneficiary: string;
  txCount: number;
  /** The fork-choice weight the node reported, when the engine reports one (PoW: cumulative work). */
  weight?: bigint;
}

/** A stored block with its sightings. */
export interface StoredBlock extends BlockInfo {
  /** node name -> poll time (ms) at which that node first had this block. */
  seen: Map<string, number>;
  /** Nodes that had this block before the dashboard looked (no sighting time). */
  held: Set<string>;
}

/** A reorg seen on one node. */
export interface Reorg {
  node: string;
  at: number;
  /** Blocks taken off the node's chain. */
  depth: number;
  /** Blocks put on instead. */
  added: number;
  forkHeight: number;
  from: string;
  to: string;
}

/** Options of BlockStore. */
export interface BlockStoreOptions {
  /** Blocks kept below the best height (older ones are dropped, at most keepHeights / 64 and 32 heights late). */
  keepHeights?: number;
  /** Reorgs kept. */
  keepReorgs?: number;
}

/** How far back a head walk goes before it gives up (bounded work per poll). */
const MAX_WALK = 512;
/** At most this many heights of slack before a prune runs (a prune scans every block kept). */
const PRUNE_STEP = 32;

/** A bounded block tree with per-node sightings and reorg detection. */
export class BlockStore {
  private readonly blocks = new Map<string, StoredBlock>();
  readonly heads = new Map<string, string>();
  readonly reorgs: Reorg[] = [];
  private readonly keepHeights: number;
  private readonly keepReorgs: number;
  private readonly pruneStep: number;
  private maxHeight = 0;
  private prunedTo = 0;

  constructor(o: BlockStoreOptions = {}) {
    this.keepHeights = o.keepHeights ?? 2000;
    this.keepReorgs = o.keepReorgs ?? 500;
    this.pruneStep = Math.max(1, Math.min(PRUNE_STEP, Math.floor(this.keepHeights / 64)));
  }

  get size(): number {
    return this.blocks.size;
  }

  has(hash: string): boolean {
    return this.blocks.has(hash);
  }

  get(hash: string): StoredBlock | undefined {
    return this.blocks.get(hash);
  }

  all(): IterableIterator<StoredBlock> {
    return this.blocks.values();
  }

  /** Adds a block (a known one is left as it is). */
  add(b: BlockInfo): void {
    if (this.blocks.has(b.hash)) return;
    this.blocks.set(b.hash, { ...b, seen: new Map(), held: new Set() });
    if (b.height > this.maxHeight) {
      this.maxHeight = b.height;
      this.prune();
    }
  }

  /** The block and its known ancestors, newest first, at most `limit`. */
  *ancestry(hash: string, limit = MAX_WALK): Generator<StoredBlock> {
    let b = this.blocks.get(hash);
    for (let i = 0; b !== undefined && i < limit; i++) {
      yield b;
      b = this.blocks.get(b.parentHash);
    }
  }

  /** Whether `descendant` is `ancestor` or lies above it (within the kept window). */
  descends(descendant: string, ancestor: string): boolean {
    const a = this.blocks.get(ancestor);
    if (a === undefined) return false;
    for (const b of this.ancestry(descendant)) {
      if (b.hash === ancestor) return true;
      if (b.height <= a.height) return false;
    }
    return false;
  }

  /**
   * Records that `node` has head `hash` at poll time `at` (the block must be stored). Marks the
   * sightings of the head and of its ancestors the node did not have yet; when `quiet` (a node's
   * first poll, or its first after being down) marks them held instead: it had them before we
   * looked, so they carry no sighting time. Returns the
   * reorg if the new head does not descend from the previous one.
   */
  observeHead(node: string, hash: string, at: number, quiet = false): Reorg | undefined {
    const prev = this.heads.get(node);
    this.heads.set(node, hash);
    for (const b of this.ancestry(hash)) {
      if (b.seen.has(node) || b.held.has(node)) break;
      if (quiet) b.held.add(node);
      else b.seen.set(node, at);
    }
    if (prev === undefined || prev === hash || this.descends(hash, prev)) return undefined;
    const reorg = this.findReorg(node, prev, hash, at);
    if (reorg) {
      this.reorgs.push(reorg);
      if (this.reorgs.length > this.keepReorgs) this.reorgs.splice(0, this.reorgs.length - this.keepReorgs);
    }
    return reorg;
  }

  private findReorg(node: string, from: string, to: string, at: number): Reorg | undefined {
    const oldChain = new Map<string, number>();
    for (const b of this.ancestry(from)) oldChain.set(b.hash, b.height);
    const fromBlock = this.blocks.get(from);
    const toBlock = this.blocks.get(to);
    if (fromBlock === undefined || toBlock === undefined) return undefined;
    for (const b of this.ancestry(to)) {
      if (oldChain.has(b.hash)) {
        const added = toBlock.height - b.height;
        // A head that moved back down its own chain (a restart on an older head) is no reorg.
        if (added === 0) return undefined;
        return { node, at, depth: fromBlock.height - b.height, added, forkHeight: b.height, from, to };
      }
    }
    return undefined;
  }

  /** Drops blocks below the floor once it has moved `pruneStep` heights (amortized cost). */
  private prune(): void {
    const floor = this.maxHeight - this.keepHeights;
    if (floor < this.prunedTo + this.pruneStep) return;
    this.prunedTo = floor;
    for (const [hash, b] of this.blocks) if (b.height < floor) this.blocks.delete(hash);
  }
}
