import { describe, expect, it } from "vitest";
import type { HeadChange } from "../../../src/chain/chain.ts";
import { type Block, headerHash } from "../../../src/core/block.ts";
import { toHex } from "../../../src/core/hash.ts";
import { type Tx, txId } from "../../../src/core/tx.ts";
import {
  cleanupAfterEach,
  extend,
  importAll,
  mineOn,
  type OpenedChain,
  openChain,
  stateSnapshot,
} from "../../helpers/chain.ts";
import { actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");
const carol = actor("carol");
const genesis = easyGenesis([alice, bob, carol]);

const hashHex = (b: Block): string => toHex(headerHash(b.header));
const headHex = (c: OpenedChain): string => toHex(c.chain.head().hash);
const txIds = (blocks: Block[]): string[] => blocks.flatMap((b) => b.txs.map((t) => toHex(txId(t))));

/**
 * Two nodes on one genesis that share block 1 and then diverge:
 *   A: 1 - a2                 (alice -> carol, and carol -> bob)
 *   B: 1 - b2 - b3            (bob -> carol; alice -> bob with alice's same nonce, and carol -> bob)
 * B's branch is heavier. `twin` is a third node that follows A's branch and never sees B's.
 */
async function diverged(defer: (fn: () => Promise<void>) => void) {
  const a = await openChain(genesis, defer);
  const b = await openChain(genesis, defer);
  const twin = await openChain(genesis, defer);
  const gh = a.chain.genesisHash;
  const shared: Tx = transfer(carol, bob, gh, { nonce: 0, amount: 3n });
  const common = await extend(a.chain, 1, [[transfer(alice, bob, gh, { nonce: 0, amount: 100n })]]);
  await importAll(b.chain, common);
  const [a2] = await extend(a.chain, 1, [[transfer(alice, carol, gh, { nonce: 1, amount: 7n }), shared]]);
  const bBranch = await extend(b.chain, 2, [
    [transfer(bob, carol, gh, { nonce: 0, amount: 30n })],
    [transfer(alice, bob, gh, { nonce: 1, amount: 20n }), shared],
  ]);
  await importAll(twin.chain, [...common, a2!]);
  return { a, b, twin, gh, common, a2: a2!, bBranch, shared };
}

describe("a reorg to a heavier branch", () => {
  const defer = cleanupAfterEach();

  it("stores the first block of the other branch as a side block at equal weight", async () => {
    const { a, bBranch } = await diverged(defer);
    expect(await importAll(a.chain, [bBranch[0]!])).toEqual(["side"]);
  });

  it("keeps the first-seen head when a branch of equal weight arrives", async () => {
    const { a, a2, bBranch } = await diverged(defer);
    await importAll(a.chain, [bBranch[0]!]);
    expect(headHex(a)).toBe(hashHex(a2));
  });

  it("does not execute a side block: the state root stays that of the head", async () => {
    const { a, bBranch } = await diverged(defer);
    const before = toHex(a.chain.stateRoot());
    await importAll(a.chain, [bBranch[0]!]);
    expect(toHex(a.chain.stateRoot())).toBe(before);
  });

  it("switches the head to the heavier branch's tip", async () => {
    const { a, b, bBranch } = await diverged(defer);
    expect(await importAll(a.chain, bBranch)).toEqual(["side", "head"]);
    expect(headHex(a)).toBe(headHex(b));
  });

  it("ends with exactly the state of the node that built the branch", async () => {
    const { a, b, bBranch } = await diverged(defer);
    await importAll(a.chain, bBranch);
    expect([toHex(a.chain.stateRoot()), stateSnapshot(a.chain)]).toEqual([
      toHex(b.chain.stateRoot()),
      stateSnapshot(b.chain),
    ]);
  });

  it("reports the disconnected and connected blocks to head listeners", async () => {
    const { a, a2, bBranch } = await diverged(defer);
    const changes: HeadChange[] = [];
    a.chain.onHeadChange((c) => changes.push(c));
    await importAll(a.chain, bBranch);
    expect(changes.map((c) => [c.disconnected.map(hashHex), c.connected.map(hashHex)])).toEqual([
      [[hashHex(a2)], bBranch.map(hashHex)],
    ]);
  });

  it("reports the transactions of the disconnected blocks", async () => {
    const { a, a2, bBranch } = await diverged(defer);
    let disconnected: Block[] = [];
    a.chain.onHeadChange((c) => {
      disconnected = c.disconnected;
    });
    await importAll(a.chain, bBranch);
    expect(txIds(disconnected)).toEqual(txIds([a2]));
  });

  it("rewrites the canonical index to the new branch", async () => {
    const { a, common, bBranch } = await diverged(defer);
    await importAll(a.chain, bBranch);
    const canonical = [1, 2, 3].map((h) => toHex(a.chain.view.getCanonical(h)!.hash));
    expect(canonical).toEqual([...common, ...bBranch].map(hashHex));
  });

  it("removes the disconnected block's transactions from the stored tx index", async () => {
    const { a, a2, bBranch } = await diverged(defer);
    await importAll(a.chain, bBranch);
    const dropped = a2.txs[0]!;
    expect(await a.chain.store.getTxLocation(txId(dropped))).toBeUndefined();
  });

  it("re-indexes a transaction included on both branches at its new block", async () => {
    const { a, bBranch, shared } = await diverged(defer);
    await importAll(a.chain, bBranch);
    const loc = await a.chain.getTxLocation(txId(shared));
    expect(loc && { block: toHex(loc.blockHash), height: loc.height, index: loc.index }).toEqual({
      block: hashHex(bBranch[1]!),
      height: 3,
      index: 1,
    });
  });
});

describe("a reorg to a heavier branch and back", () => {
  const defer = cleanupAfterEach();

  /** After A reorgs to B's branch, the twin extends A's old branch by two and A imports them. */
  async function andBack() {
    const d = await diverged(defer);
    await importAll(d.a.chain, d.bBranch);
    const rootOnB = toHex(d.a.chain.stateRoot());
    const extension = await extend(d.twin.chain, 2);
    const statuses = await importAll(d.a.chain, extension);
    return { ...d, rootOnB, extension, statuses };
  }

  it("switches back once the old branch is heavier again", async () => {
    const { a, twin, statuses } = await andBack();
    expect([statuses, headHex(a)]).toEqual([["side", "head"], headHex(twin)]);
  });

  it("gives a state root identical to that of a node that never left the branch", async () => {
    const { a, twin } = await andBack();
    expect(toHex(a.chain.stateRoot())).toBe(toHex(twin.chain.stateRoot()));
  });

  it("gives every state entry identical to that of a node that never left the branch", async () => {
    const { a, twin } = await andBack();
    expect(stateSnapshot(a.chain)).toEqual(stateSnapshot(twin.chain));
  });

  it("gives the state root committed in the new head's header", async () => {
    const { a } = await andBack();
    expect(toHex(a.chain.stateRoot())).toBe(toHex(a.chain.head().header.stateRoot));
  });

  it("indexes the old branch's transactions again and forgets the other branch's", async () => {
    const { a, a2, bBranch } = await andBack();
    const located = async (t: Tx) => (await a.chain.store.getTxLocation(txId(t)))?.blockHash;
    const onA = await located(a2.txs[0]!);
    const onB = await located(bBranch[0]!.txs[0]!);
    expect([onA && toHex(onA), onB]).toEqual([hashHex(a2), undefined]);
  });
});

describe("a chain reopened after a reorg", () => {
  const defer = cleanupAfterEach();

  async function reopenedAfterReorg() {
    const d = await diverged(defer);
    await importAll(d.a.chain, d.bBranch);
    const before = {
      head: headHex(d.a),
      root: toHex(d.a.chain.stateRoot()),
      state: stateSnapshot(d.a.chain),
    };
    await d.a.close();
    const reopened = await openChain(genesis, defer, { path: d.a.path });
    return { ...d, before, reopened };
  }

  it("recovers the same head", async () => {
    const { before, reopened } = await reopenedAfterReorg();
    expect(headHex(reopened)).toBe(before.head);
  });

  it("recovers the same state root and state", async () => {
    const { before, reopened } = await reopenedAfterReorg();
    expect([toHex(reopened.chain.stateRoot()), stateSnapshot(reopened.chain)]).toEqual([
      before.root,
      before.state,
    ]);
  });

  it("keeps a tx index that points at canonical blocks only", async () => {
    const { reopened, common, a2, bBranch } = await reopenedAfterReorg();
    const all = [...common, a2, ...bBranch];
    const indexed = await Promise.all(
      all.flatMap((blk) =>
        blk.txs.map(async (t) => {
          const loc = await reopened.chain.store.getTxLocation(txId(t));
          return loc ? toHex(loc.blockHash) : "none";
        }),
      ),
    );
    const canonical = new Set([...common, ...bBranch].map(hashHex));
    expect(indexed.filter((h) => h !== "none" && !canonical.has(h))).toEqual([]);
  });

  it("can reorg back to the old branch using the stored side blocks and undo data", async () => {
    const { reopened, twin } = await reopenedAfterReorg();
    await importAll(reopened.chain, await extend(twin.chain, 2));
    expect(toHex(reopened.chain.stateRoot())).toBe(toHex(twin.chain.stateRoot()));
  });
});

describe("an import the database cannot complete", () => {
  const defer = cleanupAfterEach();

  /**
   * The database is closed under the chain, then a block arrives: for an extension the atomic batch
   * write is the first database access and fails; for a reorg reading the undo data fails first.
   */
  async function failedImport(kind: "extension" | "reorg") {
    const d = await diverged(defer);
    if (kind === "reorg") await importAll(d.a.chain, [d.bBranch[0]!]);
    const block = kind === "reorg" ? d.bBranch[1]! : mineOn(d.a.chain);
    const headBefore = headHex(d.a);
    const rootBefore = toHex(d.a.chain.stateRoot());
    await d.a.chain.store.close();
    const error = await d.a.chain.importBlock(block).then(
      () => undefined,
      (err: unknown) => err,
    );
    return { ...d, block, headBefore, rootBefore, error };
  }

  it.each(["extension", "reorg"] as const)("rejects the %s", async (kind) => {
    const { error } = await failedImport(kind);
    expect(error).toBeInstanceOf(Error);
  });

  it.each(["extension", "reorg"] as const)(
    "leaves the in-memory head and state root after a failed %s",
    async (kind) => {
      const { a, headBefore, rootBefore } = await failedImport(kind);
      expect([headHex(a), toHex(a.chain.stateRoot())]).toEqual([headBefore, rootBefore]);
    },
  );

  it.each(["extension", "reorg"] as const)(
    "does not take the block of a failed %s for invalid",
    async (kind) => {
      const { a, block } = await failedImport(kind);
      expect(a.chain.hasBlock(headerHash(block.header))).toBe(false);
    },
  );
});
