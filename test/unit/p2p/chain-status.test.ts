import { describe, expect, it } from "vitest";
import { headerHash } from "../../../src/core/block.ts";
import { finalityConflicts } from "../../../src/p2p/chain-status.ts";
import type { StatusMessage } from "../../../src/p2p/messages.ts";
import type { P2PNode } from "../../../src/p2p/node-port.ts";
import { cleanupAfterEach, openChain } from "../../helpers/chain.ts";
import { StandInEngine, standInGenesis } from "../../helpers/stand-in-engine.ts";

const genesis = standInGenesis({});

describe("a peer's finalized checkpoint against ours", () => {
  const defer = cleanupAfterEach();

  /** A chain of 4 blocks finalized at height 2, and a status maker. */
  async function finalizedAt2() {
    const engine = new StandInEngine();
    const { chain } = await openChain(genesis, defer, { engine });
    const blocks = [];
    for (let i = 0; i < 4; i++) {
      const parent = chain.head();
      const b = chain.buildTemplate({
        beneficiary: new Uint8Array(20),
        timestamp: parent.header.timestamp + 1000,
        engineFields: Uint8Array.of(1),
        txs: [],
      });
      await chain.importBlock(b);
      blocks.push(b);
    }
    engine.switches.finalized = { height: 2, hash: headerHash(blocks[1]!.header) };
    await chain.updateHead();
    const node = { chain } as unknown as P2PNode;
    const status = (height: number, hash: Uint8Array): StatusMessage => ({
      ...chain.status(),
      genesisHash: chain.genesisHash,
      headHeight: 10,
      finalized: { height, hash },
    });
    return { node, blocks, status };
  }

  it.each([
    ["on our canonical chain below our finality", 1, (b: Uint8Array[]) => b[0]!, false],
    ["our own finalized block", 2, (b: Uint8Array[]) => b[1]!, false],
    ["a block we know above our finality that descends from it", 3, (b: Uint8Array[]) => b[2]!, false],
    [
      "unknown to us, above our finality (it cannot be judged yet)",
      7,
      () => new Uint8Array(32).fill(7),
      false,
    ],
    ["another block at a height we finalized", 2, () => new Uint8Array(32).fill(9), true],
    ["another block below our finality", 1, () => new Uint8Array(32).fill(9), true],
  ])("a finalized block %s conflicts: %s", async (_name, height, pick, conflicts) => {
    const { node, blocks, status } = await finalizedAt2();
    const hashes = blocks.map((b) => headerHash(b.header));
    expect(finalityConflicts(node, status(height, pick(hashes)))).toBe(conflicts);
  });
});
