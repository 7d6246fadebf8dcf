import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeWork } from "../../../src/consensus/pow/work.ts";
import { type Block, headerHash } from "../../../src/core/block.ts";
import { fromHex, toHex } from "../../../src/core/hash.ts";
import { type Tx, txId } from "../../../src/core/tx.ts";
import { importAll, mineOn, type OpenedChain, openChain, stateSnapshot } from "../../helpers/chain.ts";
import { type Actor, actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";

const actors = [actor("alice"), actor("bob"), actor("carol")] as const;
const genesis = easyGenesis([...actors], { balance: 10_000n });

/** One step of the script: a builder mines a block with some transfers, or syncs from another. */
type Step =
  | { kind: "mine"; builder: number; transfers: { from: number; to: number; amount: number }[] }
  | { kind: "sync"; builder: number; from: number };

const BUILDERS = 3;
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("mine" as const),
      builder: fc.nat({ max: BUILDERS - 1 }),
      transfers: fc.array(
        fc.record({
          from: fc.nat({ max: 2 }),
          to: fc.nat({ max: 2 }),
          amount: fc.integer({ min: 1, max: 500 }),
        }),
        { maxLength: 3 },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("sync" as const),
      builder: fc.nat({ max: BUILDERS - 1 }),
      from: fc.nat({ max: BUILDERS - 1 }),
    }),
  },
);

/** Transfers valid on the builder's head, with the senders' next nonces. */
function validTransfers(b: OpenedChain, transfers: { from: number; to: number; amount: number }[]): Tx[] {
  const nonces = new Map<Actor, number>();
  const out: Tx[] = [];
  for (const t of transfers) {
    const from = actors[t.from]!;
    const to = actors[(t.to === t.from ? t.to + 1 : t.to) % actors.length]!;
    const nonce = nonces.get(from) ?? b.chain.getAccount(from.addressBytes).nonce;
    nonces.set(from, nonce + 1);
    out.push(transfer(from, to, b.chain.genesisHash, { nonce, amount: BigInt(t.amount) }));
  }
  return out;
}

/** Runs `body` with a defer function whose cleanups run when it finishes (one property run). */
async function scoped<T>(body: (defer: (fn: () => Promise<void>) => void) => Promise<T>): Promise<T> {
  const fns: (() => Promise<void>)[] = [];
  try {
    return await body((fn) => {
      fns.push(fn);
    });
  } finally {
    for (const fn of fns.reverse()) await fn();
  }
}

describe("reorgs under arbitrary forks and arrival orders (property)", () => {
  /** Runs the script on the builders; returns every block they produced, in production order. */
  async function runScript(
    steps: Step[],
    defer: (fn: () => Promise<void>) => void,
  ): Promise<{ builders: OpenedChain[]; blocks: Block[] }> {
    const builders: OpenedChain[] = [];
    for (let i = 0; i < BUILDERS; i++) builders.push(await openChain(genesis, defer));
    const blocks: Block[] = [];
    for (const step of steps) {
      const b = builders[step.builder]!;
      if (step.kind === "mine") {
        const block = mineOn(b.chain, {
          txs: validTransfers(b, step.transfers),
          beneficiary: new Uint8Array(20).fill(step.builder + 1),
          allowSkipped: true,
        });
        await b.chain.importBlock(block);
        blocks.push(block);
      } else {
        const mine = blocks.filter((blk) => builders[step.from]!.chain.hasBlock(headerHash(blk.header)));
        await importAll(b.chain, mine);
      }
    }
    return { builders, blocks };
  }

  interface Imported {
    blocks: Block[];
    subject: OpenedChain;
    defer: (fn: () => Promise<void>) => void;
  }

  /** Checks `property` after a random script whose blocks a fresh chain imports in a random order. */
  function afterArbitraryImports(property: (x: Imported) => Promise<void>): Promise<void> {
    return fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 4, maxLength: 14 }),
        fc.infiniteStream(fc.nat()),
        (steps, order) =>
          scoped(async (defer) => {
            const { blocks } = await runScript(steps, defer);
            const subject = await openChain(genesis, defer);
            await importAll(subject.chain, shuffle(blocks, order));
            await property({ blocks, subject, defer });
          }),
      ),
      { numRuns: 12 },
    );
  }

  async function canonicalBlocks(c: OpenedChain): Promise<Block[]> {
    const out: Block[] = [];
    for (let h = 1; h <= c.chain.head().header.height; h++) out.push((await c.chain.getCanonicalBlock(h))!);
    return out;
  }

  it("the incrementally maintained state always equals a from-scratch replay of the canonical chain", () =>
    afterArbitraryImports(async ({ subject, defer }) => {
      const replay = await openChain(genesis, defer);
      await importAll(replay.chain, await canonicalBlocks(subject));
      expect([toHex(subject.chain.stateRoot()), stateSnapshot(subject.chain)]).toEqual([
        toHex(replay.chain.stateRoot()),
        stateSnapshot(replay.chain),
      ]);
    }));

  it("the head always has the greatest cumulative work of every block imported", () =>
    afterArbitraryImports(async ({ blocks, subject }) => {
      let best = 0n;
      for (const b of blocks) {
        const m = subject.chain.view.getMeta(headerHash(b.header));
        const w = m ? decodeWork(m.engineMeta) : -1n;
        if (w > best) best = w;
      }
      expect(decodeWork(subject.chain.head().engineMeta)).toBe(best);
    }));

  it("the stored tx index holds every canonical tx at its position and no other tx", () =>
    afterArbitraryImports(async ({ blocks, subject }) => {
      const expected = new Map<string, string>();
      for (const b of await canonicalBlocks(subject)) {
        for (const [i, t] of b.txs.entries())
          expected.set(toHex(txId(t)), `${toHex(headerHash(b.header))}:${i}`);
      }
      const all = new Set(blocks.flatMap((b) => b.txs.map((t) => toHex(txId(t)))));
      const mismatches: string[] = [];
      for (const id of all) {
        const loc = await subject.chain.store.getTxLocation(fromHex(id));
        const got = loc ? `${toHex(loc.blockHash)}:${loc.index}` : undefined;
        if (got !== expected.get(id)) mismatches.push(id);
      }
      expect(mismatches).toEqual([]);
    }));

  it("a restart recovers the same head, state root and state", () =>
    afterArbitraryImports(async ({ subject, defer }) => {
      const before = [
        toHex(subject.chain.head().hash),
        toHex(subject.chain.stateRoot()),
        stateSnapshot(subject.chain),
      ];
      await subject.close();
      const reopened = await openChain(genesis, defer, { path: subject.path });
      expect([
        toHex(reopened.chain.head().hash),
        toHex(reopened.chain.stateRoot()),
        stateSnapshot(reopened.chain),
      ]).toEqual(before);
    }));
});

/** A permutation of `items` driven by a stream of naturals (Fisher-Yates). */
function shuffle<T>(items: readonly T[], stream: fc.Stream<number>): T[] {
  const out = [...items];
  const it = stream[Symbol.iterator]();
  for (let i = out.length - 1; i > 0; i--) {
    const j = (it.next().value as number) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
