/**
 * The engine-agnostic conformance suite: what chain/ relies on from any ConsensusEngine. It sees the
 * engine only through consensus/engine.ts and real chains on LevelDB; each engine supplies a fixture
 * that knows how to time and seal its blocks. PoW runs it in engine-conformance.test.ts, and the PoS
 * engine is meant to run the same suite unchanged.
 */
import { describe, expect, it } from "vitest";
import type { Chain } from "../../../src/chain/chain.ts";
import {
  type BlockMeta,
  type ChainView,
  type ConsensusEngine,
  ConsensusError,
} from "../../../src/consensus/engine.ts";
import { type Block, type Header, headerHash } from "../../../src/core/block.ts";
import { ChainlabError } from "../../../src/core/errors.ts";
import type { Genesis } from "../../../src/core/genesis.ts";
import { toHex } from "../../../src/core/hash.ts";
import { StateOverlay } from "../../../src/core/state.ts";
import { cleanupAfterEach, openChain } from "../../helpers/chain.ts";
import { type Actor, transfer } from "../../helpers/fixtures.ts";

/** What an engine provides to run the suite. */
export interface EngineFixture {
  /** A genesis of the engine's type that funds `funded` with at least 1,000 base units each. */
  genesis: Genesis;
  funded: [Actor, Actor, ...Actor[]];
  createEngine(genesis: Genesis): ConsensusEngine;
  /** The timestamp of the next block on `parent` (the engine's schedule or slot). */
  nextTimestamp(parent: BlockMeta, view: ChainView): number;
  /** Seals an unsealed template built on `view`'s head (a nonce search, a proposer signature...). */
  sealBlock(block: Block, view: ChainView): Block;
  /** The wall clock the chain's header checks use. */
  now(): number;
  /** The beneficiary of produced blocks (default: a fixed address). */
  beneficiary?: Uint8Array;
}

interface Node {
  chain: Chain;
  engine: ConsensusEngine;
  path: string;
  close(): Promise<void>;
}

const isJsonRoundTrip = (v: unknown): boolean => {
  try {
    return JSON.stringify(JSON.parse(JSON.stringify(v))) === JSON.stringify(v);
  } catch {
    return false;
  }
};

/** Registers the conformance suite for one engine. `makeFixture` runs once per test. */
export function runEngineConformance(
  name: string,
  makeFixture: () => EngineFixture | Promise<EngineFixture>,
): void {
  describe(`consensus engine conformance: ${name}`, () => {
    const defer = cleanupAfterEach();

    async function open(f: EngineFixture, path?: string): Promise<Node> {
      const engine = f.createEngine(f.genesis);
      const opened = await openChain(f.genesis, defer, { engine, now: f.now, ...(path ? { path } : {}) });
      return { ...opened, engine };
    }

    /** A sealed block on the node's head with the given transactions (not imported). */
    function produce(f: EngineFixture, node: Node, txs = [] as Parameters<typeof transfer>[]): Block {
      const { chain, engine } = node;
      const parent = chain.head();
      const timestamp = f.nextTimestamp(parent, chain.view);
      const template = chain.buildTemplate({
        beneficiary: f.beneficiary ?? new Uint8Array(20).fill(0x42),
        timestamp,
        engineFields: engine.prepareFields(parent, chain.view, timestamp),
        txs: txs.map((args) => transfer(...args)),
      });
      expect(template.txs).toHaveLength(txs.length);
      return f.sealBlock(template, chain.view);
    }

    async function produceAndImport(f: EngineFixture, node: Node, count: number): Promise<Block[]> {
      const out: Block[] = [];
      for (let i = 0; i < count; i++) {
        const block = produce(f, node);
        await node.chain.importBlock(block);
        out.push(block);
      }
      return out;
    }

    const metaOf = (node: Node, block: Block): BlockMeta => {
      const meta = node.chain.view.getMeta(headerHash(block.header));
      if (meta === undefined) throw new Error("block is not in the tree");
      return meta;
    };

    /** The ConsensusError code `run` throws (or "OK"); any other error fails the test. */
    function consensusCode(run: () => unknown): string {
      try {
        run();
        return "OK";
      } catch (err) {
        if (!(err instanceof ConsensusError)) throw err;
        expect(err.code).toMatch(/^[A-Z_]+$/);
        return "CONSENSUS_ERROR";
      }
    }

    const withEngine = (h: Header, engineFields: Uint8Array): Header => ({ ...h, engine: engineFields });

    it("writes the engine's genesis fields into the genesis header", async () => {
      const f = await makeFixture();
      const node = await open(f);
      expect(toHex(node.chain.view.genesis().header.engine)).toBe(toHex(node.engine.genesisFields()));
    });

    it("decodes its own genesis fields into a JSON-serializable description", async () => {
      const f = await makeFixture();
      const node = await open(f);
      expect(isJsonRoundTrip(node.engine.describeFields(node.chain.view.genesis().header))).toBe(true);
    });

    it("verifies the header of a produced and sealed block on genesis", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const block = produce(f, node);
      const run = () =>
        node.engine.verifyHeader(block.header, node.chain.view.genesis(), node.chain.view, f.now());
      expect(consensusCode(run)).toBe("OK");
    });

    it("verifies the body of a produced block", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const block = produce(f, node);
      expect(consensusCode(() => node.engine.verifyBody(block, node.chain.view))).toBe("OK");
    });

    it("imports a produced block on genesis as the new head", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const block = produce(f, node);
      expect((await node.chain.importBlock(block)).status).toBe("head");
    });

    it("applies a transfer in a produced block", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const [alice, bob] = f.funded;
      const before = node.chain.getAccount(bob.addressBytes).balance;
      const gh = node.chain.genesisHash;
      await node.chain.importBlock(
        produce(f, node, [
          [alice, bob, gh, { nonce: 0, amount: 25n, fee: f.genesis.minFee, chainId: f.genesis.chainId }],
        ]),
      );
      expect(node.chain.getAccount(bob.addressBytes).balance).toBe(before + 25n);
    });

    it("rejects a header checked against a parent one height too low with a typed ConsensusError", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const [, second] = await produceAndImport(f, node, 2);
      const run = () =>
        node.engine.verifyHeader(second!.header, node.chain.view.genesis(), node.chain.view, f.now());
      expect(consensusCode(run)).toBe("CONSENSUS_ERROR");
    });

    it("rejects a header checked against another parent at the right height with a typed ConsensusError", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const other = await open(f);
      const [alice, bob] = f.funded;
      const gh = node.chain.genesisHash;
      const rival = produce(f, other, [
        [alice, bob, gh, { nonce: 0, fee: f.genesis.minFee, chainId: f.genesis.chainId }],
      ]);
      await produceAndImport(f, node, 1);
      await node.chain.importBlock(rival);
      const child = produce(f, node);
      // The child extends the head, whichever of the two the fork choice picked: check it against the other.
      const [first] = node.chain.view
        .childrenOf(node.chain.genesisHash)
        .filter((m) => toHex(m.hash) !== toHex(child.header.parentHash));
      const run = () =>
        node.engine.verifyHeader(child.header, first ?? metaOf(node, rival), node.chain.view, f.now());
      expect(consensusCode(run)).toBe("CONSENSUS_ERROR");
    });

    it.each([
      ["truncated by one byte", (e: Uint8Array) => e.slice(0, -1)],
      ["extended by one byte", (e: Uint8Array) => new Uint8Array([...e, 0])],
      ["all zero", (e: Uint8Array) => new Uint8Array(e.length)],
      ["empty", () => new Uint8Array(0)],
    ])(
      "rejects a sealed header whose engine fields are %s with a typed ConsensusError",
      async (_n, tamper) => {
        const f = await makeFixture();
        const node = await open(f);
        const block = produce(f, node);
        const header = withEngine(block.header, tamper(block.header.engine));
        const run = () =>
          node.engine.verifyHeader(header, node.chain.view.genesis(), node.chain.view, f.now());
        expect(consensusCode(run)).toBe("CONSENSUS_ERROR");
      },
    );

    it("refuses to import a block whose engine fields were tampered with, with a typed error", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const block = produce(f, node);
      const tampered = { ...block, header: withEngine(block.header, block.header.engine.slice(0, -1)) };
      await expect(node.chain.importBlock(tampered)).rejects.toBeInstanceOf(ChainlabError);
    });

    it("applies a block deterministically: two fresh chains reach the same state root", async () => {
      const f = await makeFixture();
      const producer = await open(f);
      const [alice, bob] = f.funded;
      const gh = producer.chain.genesisHash;
      const block = produce(f, producer, [
        [alice, bob, gh, { nonce: 0, amount: 9n, fee: f.genesis.minFee, chainId: f.genesis.chainId }],
      ]);
      const x = await open(f);
      const y = await open(f);
      await x.chain.importBlock(block);
      await y.chain.importBlock(block);
      expect([toHex(x.chain.stateRoot()), toHex(y.chain.stateRoot())]).toEqual([
        toHex(block.header.stateRoot),
        toHex(block.header.stateRoot),
      ]);
    });

    it("applies its block effects identically on two fresh overlays", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const block = produce(f, node);
      const effects = (): string[] => {
        const overlay = new StateOverlay(node.chain.state);
        node.engine.applyBlock(block, overlay, {
          view: node.chain.view,
          parent: node.chain.head(),
          fees: 3n,
        });
        return overlay.changes().map((c) => `${toHex(c.key)}=${c.value ? toHex(c.value) : "-"}`);
      };
      expect(effects()).toEqual(effects());
    });

    it("keeps the fork choice's head an executed block of the tree, descending from its finalized block", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const other = await open(f);
      const [alice, bob] = f.funded;
      const gh = node.chain.genesisHash;
      const side = produce(f, other, [
        [alice, bob, gh, { nonce: 0, fee: f.genesis.minFee, chainId: f.genesis.chainId }],
      ]);
      const problems: string[] = [];
      const check = (when: string) => {
        const fc = node.chain.forkChoice;
        const head = fc.getHead();
        const fin = fc.finalized();
        if (node.chain.view.getMeta(head.hash) === undefined) problems.push(`${when}: head not in the tree`);
        if (toHex(head.hash) !== toHex(node.chain.head().hash)) problems.push(`${when}: chain head differs`);
        const at = node.chain.view.ancestorAt(head, fin.height);
        if (fin.height > head.header.height || at === undefined || toHex(at.hash) !== toHex(fin.hash))
          problems.push(`${when}: finalized is not an ancestor of the head`);
      };
      check("genesis");
      for (let i = 0; i < 3; i++) {
        await produceAndImport(f, node, 1);
        check(`block ${i + 1}`);
      }
      await node.chain.importBlock(side);
      check("side block");
      expect(problems).toEqual([]);
    });

    it("returns the same engine metadata for a block on two fresh chains, within the meta record's bound", async () => {
      const f = await makeFixture();
      const producer = await open(f);
      const blocks = await produceAndImport(f, producer, 3);
      const x = await open(f);
      const y = await open(f);
      for (const b of blocks) {
        await x.chain.importBlock(b);
        await y.chain.importBlock(b);
      }
      const metas = (n: Node) => blocks.map((b) => toHex(metaOf(n, b).engineMeta));
      expect([metas(x), blocks.every((b) => metaOf(x, b).engineMeta.length <= 255)]).toEqual([
        metas(y),
        true,
      ]);
    });

    it("never calls a status ahead of itself, and calls a longer produced chain ahead of a shorter one", async () => {
      const f = await makeFixture();
      const short = await open(f);
      const long = await open(f);
      const blocks = await produceAndImport(f, long, 3);
      await short.chain.importBlock(blocks[0]!);
      const s = short.chain.status();
      const l = long.chain.status();
      expect([
        short.engine.isAhead(s, s),
        short.engine.isAhead(s, l),
        short.engine.isAhead(l, s),
        s.weight.length <= 64,
      ]).toEqual([false, true, false, true]);
    });

    it("restores the same fork choice head from the database alone", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const other = await open(f);
      const [alice, bob] = f.funded;
      const gh = node.chain.genesisHash;
      await produceAndImport(f, node, 2);
      const side = produce(f, other, [
        [alice, bob, gh, { nonce: 0, fee: f.genesis.minFee, chainId: f.genesis.chainId }],
      ]);
      await node.chain.importBlock(side);
      const before = [toHex(node.chain.forkChoice.getHead().hash), toHex(node.chain.finalized().hash)];
      await node.close();
      const reopened = await open(f, node.path);
      expect([
        toHex(reopened.chain.forkChoice.getHead().hash),
        toHex(reopened.chain.finalized().hash),
      ]).toEqual(before);
    });

    it("reports a JSON-serializable status naming its type", async () => {
      const f = await makeFixture();
      const node = await open(f);
      await produceAndImport(f, node, 2);
      const status = node.engine.status(node.chain.view, node.chain.forkChoice);
      expect([isJsonRoundTrip(status), status.type]).toEqual([true, node.engine.type]);
    });

    it("describes the engine fields of produced headers as JSON-serializable objects", async () => {
      const f = await makeFixture();
      const node = await open(f);
      const blocks = await produceAndImport(f, node, 2);
      expect(blocks.map((b) => isJsonRoundTrip(node.engine.describeFields(b.header)))).toEqual([true, true]);
    });

    it("recovers the head and state root of its blocks after a restart", async () => {
      const f = await makeFixture();
      const node = await open(f);
      await produceAndImport(f, node, 3);
      const before = [toHex(node.chain.head().hash), toHex(node.chain.stateRoot())];
      await node.close();
      const reopened = await open(f, node.path);
      expect([toHex(reopened.chain.head().hash), toHex(reopened.chain.stateRoot())]).toEqual(before);
    });

    it("keeps producing on a reopened chain", async () => {
      const f = await makeFixture();
      const node = await open(f);
      await produceAndImport(f, node, 2);
      await node.close();
      const reopened = await open(f, node.path);
      expect((await reopened.chain.importBlock(produce(f, reopened))).status).toBe("head");
    });
  });
}
