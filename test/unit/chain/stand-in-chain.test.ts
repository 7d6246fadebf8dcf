/**
 * The chain driven by an engine that is not PoW: a fork choice moved by messages, finality that
 * moves, and validation that fails by switch. Shows the chain assumes no pairwise head comparison
 * and no finality at genesis.
 */
import { describe, expect, it } from "vitest";
import type { Chain, HeadChange } from "../../../src/chain/chain.ts";
import { type Block, headerHash } from "../../../src/core/block.ts";
import { ChainlabError } from "../../../src/core/errors.ts";
import { toHex } from "../../../src/core/hash.ts";
import { blockKey, metaKey, undoKey } from "../../../src/storage/schema.ts";
import { cleanupAfterEach, openChain } from "../../helpers/chain.ts";
import { actor, transfer } from "../../helpers/fixtures.ts";
import { StandInEngine, standInGenesis } from "../../helpers/stand-in-engine.ts";

const alice = actor("alice");
const bob = actor("bob");
const genesis = standInGenesis({ [alice.address]: 1_000_000n, [bob.address]: 1_000_000n });
const hex = (b: Block): string => toHex(headerHash(b.header));

/** A block on `chain`'s head with engine score `score` (the stand-in needs no seal). */
function next(chain: Chain, score = 1, txs: Parameters<typeof transfer>[] = []): Block {
  const parent = chain.head();
  return chain.buildTemplate({
    beneficiary: new Uint8Array(20).fill(7),
    timestamp: parent.header.timestamp + 1000,
    engineFields: Uint8Array.of(score),
    txs: txs.map((a) => transfer(...a)),
  });
}

async function grow(chain: Chain, n: number, score = 1): Promise<Block[]> {
  const out: Block[] = [];
  for (let i = 0; i < n; i++) {
    const b = next(chain, score);
    await chain.importBlock(b);
    out.push(b);
  }
  return out;
}

async function codeOf(run: Promise<unknown>): Promise<[string, boolean]> {
  try {
    await run;
    return ["OK", false];
  } catch (err) {
    if (!(err instanceof ChainlabError)) throw err;
    return [err.code, err.senderAtFault];
  }
}

describe("the chain with the stand-in engine", () => {
  const defer = cleanupAfterEach();

  /** Node a with branch A (a1, a2); node b with branch B (b1 with a transfer, b2); a also holds B. */
  async function twoBranches() {
    const engine = new StandInEngine();
    const a = await openChain(genesis, defer, { engine });
    const b = await openChain(genesis, defer, { engine: new StandInEngine() });
    const branchA = await grow(a.chain, 2);
    const gh = b.chain.genesisHash;
    const b1 = next(b.chain, 1, [[alice, bob, gh, { nonce: 0, amount: 5n, chainId: genesis.chainId }]]);
    await b.chain.importBlock(b1);
    const [b2] = await grow(b.chain, 1);
    const statuses = [(await a.chain.importBlock(b1)).status, (await a.chain.importBlock(b2!)).status];
    return { engine, a, b, branchA, branchB: [b1, b2!], statuses };
  }

  it("stores an equal-score branch as side blocks and keeps the first-seen head", async () => {
    const { a, branchA, statuses } = await twoBranches();
    expect([statuses, toHex(a.chain.head().hash)]).toEqual([["side", "side"], hex(branchA[1]!)]);
  });

  it("moves the head on a message alone, reverting A and applying B's transfer", async () => {
    const { a, b, branchB } = await twoBranches();
    const changes: HeadChange[] = [];
    a.chain.onHeadChange((c) => changes.push(c));
    await a.chain.onEngineMessage({ kind: "vote", block: headerHash(branchB[1]!.header) });
    expect([
      toHex(a.chain.head().hash),
      toHex(a.chain.stateRoot()),
      changes.map((c) => [c.connected.length, c.disconnected.length]),
      a.chain.getAccount(bob.addressBytes).balance,
    ]).toEqual([hex(branchB[1]!), toHex(b.chain.stateRoot()), [[2, 2]], 1_000_005n]);
  });

  it("ticks the fork choice through the chain's queue", async () => {
    const { engine, a } = await twoBranches();
    await a.chain.tick();
    await a.chain.tick();
    expect(engine.forkChoice?.ticks).toBe(2);
  });

  it("marks a header that fails verification invalid (REJECT), and its children", async () => {
    const { engine, a } = await twoBranches();
    engine.switches.failHeaderScore = 9;
    const bad = next(a.chain, 9);
    const child = {
      ...bad,
      header: { ...bad.header, height: bad.header.height + 1, parentHash: headerHash(bad.header) },
    };
    expect([
      await codeOf(a.chain.importBlock(bad)),
      await codeOf(a.chain.importBlock(bad)),
      await codeOf(a.chain.importBlock(child)),
    ]).toEqual([
      ["BLOCK_BAD_SEAL", true],
      ["BLOCK_KNOWN_INVALID", true],
      ["BLOCK_INVALID_ANCESTOR", true],
    ]);
  });

  it("refuses a block whose stateful engine rules fail, storing nothing", async () => {
    const { engine, a } = await twoBranches();
    const bad = next(a.chain);
    engine.switches.failApplyAtHeight = 3;
    const h = headerHash(bad.header);
    const db = a.chain.store.db;
    expect([
      await codeOf(a.chain.importBlock(bad)),
      [await db.get(blockKey(h)), await db.get(metaKey(h)), await db.get(undoKey(h))],
      a.chain.head().header.height,
    ]).toEqual([["BLOCK_BAD_ENGINE_BODY", true], [undefined, undefined, undefined], 2]);
  });

  it("prunes the branch that does not descend from a new finalized block, from memory and disk", async () => {
    const { engine, a, branchA, branchB } = await twoBranches();
    const a2 = headerHash(branchA[1]!.header);
    engine.switches.finalized = { height: 2, hash: a2 };
    await a.chain.updateHead();
    const db = a.chain.store.db;
    const gone = [];
    for (const b of branchB) {
      const h = headerHash(b.header);
      gone.push([a.chain.view.getMeta(h), await db.get(blockKey(h)), await db.get(metaKey(h))]);
    }
    expect([gone, a.chain.view.getMeta(a2) !== undefined]).toEqual([
      [
        [undefined, undefined, undefined],
        [undefined, undefined, undefined],
      ],
      true,
    ]);
  });

  it("refuses a block that does not descend from the finalized block, blamelessly", async () => {
    const { engine, a, b, branchA, branchB } = await twoBranches();
    engine.switches.finalized = { height: 2, hash: headerHash(branchA[1]!.header) };
    await a.chain.updateHead();
    const [b3] = await grow(b.chain, 1);
    const onGenesis = await openChain(genesis, defer, { engine: new StandInEngine() });
    const [g1] = await grow(onGenesis.chain, 1, 5);
    const b3Status = (await a.chain.importBlock(b3!)).status;
    expect([
      b3Status,
      await codeOf(a.chain.importBlock(g1!)),
      await codeOf(a.chain.importBlock(branchB[1]!)),
    ]).toEqual([
      "orphan",
      ["BLOCK_NOT_FINALIZED_DESCENDANT", false],
      ["BLOCK_NOT_FINALIZED_DESCENDANT", false],
    ]);
  });

  it("reopens with the fork choice restored from the database alone", async () => {
    const { a, branchA } = await twoBranches();
    await a.close();
    const reopened = await openChain(genesis, defer, { path: a.path, engine: new StandInEngine() });
    const [a3] = await grow(reopened.chain, 1, 3);
    expect([
      toHex(reopened.chain.view.getMeta(headerHash(branchA[1]!.header))!.hash),
      toHex(reopened.chain.head().hash),
    ]).toEqual([hex(branchA[1]!), hex(a3!)]);
  });
});
