import { describe, expect, it } from "vitest";
import { blockReward, parsePowParams } from "../../../src/consensus/pow/params.ts";
import { toHex } from "../../../src/core/hash.ts";
import { EMPTY_ROOT } from "../../../src/core/merkle.ts";
import { txId } from "../../../src/core/tx.ts";
import { cleanupAfterEach, mineOn, openChain } from "../../helpers/chain.ts";
import { actor, easyGenesis, sealPow, transfer } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");
const carol = actor("carol");
const miner = actor("miner");
const genesis = easyGenesis([alice, bob], { balance: 1000n });
const reward1 = blockReward(parsePowParams(genesis.consensus.params), 1);

describe("block templates", () => {
  const defer = cleanupAfterEach();

  async function fresh() {
    const { chain } = await openChain(genesis, defer);
    return { chain, gh: chain.genesisHash };
  }

  it("on an empty candidate list has the empty transaction root", async () => {
    const { chain } = await fresh();
    expect(toHex(mineOn(chain).header.txRoot)).toBe(toHex(EMPTY_ROOT));
  });

  it("builds on the head at the next height", async () => {
    const { chain } = await fresh();
    const block = mineOn(chain);
    expect([block.header.height, toHex(block.header.parentHash)]).toEqual([1, toHex(chain.head().hash)]);
  });

  it("keeps valid candidates in priority order", async () => {
    const { chain, gh } = await fresh();
    const txs = [transfer(bob, carol, gh, { nonce: 0 }), transfer(alice, carol, gh, { nonce: 0 })];
    expect(mineOn(chain, { txs }).txs.map((t) => toHex(txId(t)))).toEqual(txs.map((t) => toHex(txId(t))));
  });

  it("skips a candidate with a nonce gap and keeps the rest", async () => {
    const { chain, gh } = await fresh();
    const ok = transfer(alice, carol, gh, { nonce: 0 });
    const gap = transfer(bob, carol, gh, { nonce: 1 });
    const block = mineOn(chain, { txs: [gap, ok], allowSkipped: true });
    expect(block.txs.map((t) => toHex(txId(t)))).toEqual([toHex(txId(ok))]);
  });

  it("skips a candidate that an earlier candidate left without funds", async () => {
    const { chain, gh } = await fresh();
    const first = transfer(alice, carol, gh, { nonce: 0, amount: 900n });
    const second = transfer(alice, carol, gh, { nonce: 1, amount: 100n });
    expect(mineOn(chain, { txs: [first, second], allowSkipped: true }).txs).toHaveLength(1);
  });

  it("includes a chain of nonces from one sender", async () => {
    const { chain, gh } = await fresh();
    const txs = [0, 1, 2].map((nonce) => transfer(alice, carol, gh, { nonce }));
    expect(mineOn(chain, { txs }).txs).toHaveLength(3);
  });

  it("commits to the state root that importing it computes", async () => {
    const { chain, gh } = await fresh();
    const block = mineOn(chain, { txs: [transfer(alice, bob, gh, { nonce: 0, fee: 4n })] });
    await chain.importBlock(block);
    expect(toHex(chain.stateRoot())).toBe(toHex(block.header.stateRoot));
  });

  it("pays the block reward plus every fee to the beneficiary", async () => {
    const { chain, gh } = await fresh();
    const txs = [
      transfer(alice, carol, gh, { nonce: 0, fee: 4n }),
      transfer(bob, carol, gh, { nonce: 0, fee: 6n }),
    ];
    await chain.importBlock(mineOn(chain, { txs, beneficiary: miner.addressBytes }));
    expect(chain.getAccount(miner.addressBytes).balance).toBe(reward1 + 10n);
  });

  it("does not change the chain's state until the block is imported", async () => {
    const { chain, gh } = await fresh();
    const before = toHex(chain.stateRoot());
    mineOn(chain, { txs: [transfer(alice, carol, gh, { nonce: 0 })] });
    expect(toHex(chain.stateRoot())).toBe(before);
  });
});

describe("incremental templates (producer refresh)", () => {
  const defer = cleanupAfterEach();

  it("appending candidates in three refreshes gives the same block as one build, and it imports", async () => {
    const { chain } = await openChain(genesis, defer);
    const gh = chain.genesisHash;
    const txs = [0, 1, 2, 3, 4, 5].map((n) =>
      transfer(n % 2 ? bob : alice, carol, gh, { nonce: Math.floor(n / 2) }),
    );
    const parent = chain.head();
    const args = {
      beneficiary: miner.addressBytes,
      timestamp: parent.header.timestamp + 1000,
      engineFields: chain.engine.prepareFields(parent, chain.view, parent.header.timestamp + 1000),
    };
    const refresh = chain.templateBuilder();
    refresh({ ...args, txs: txs.slice(0, 2) });
    refresh({ ...args, txs: txs.slice(0, 4) }); // the first two are already in: only two are appended
    const incremental = refresh({ ...args, txs });
    const oneShot = chain.buildTemplate({ ...args, txs });
    expect(incremental.txs).toHaveLength(6);
    expect(toHex(incremental.header.stateRoot)).toBe(toHex(oneShot.header.stateRoot));
    expect(toHex(incremental.header.txRoot)).toBe(toHex(oneShot.header.txRoot));
    const r = await chain.importBlock({ ...incremental, header: sealPow(incremental).header });
    expect(r.status).toBe("head");
  });

  it("starts over on a new head", async () => {
    const { chain } = await openChain(genesis, defer);
    const gh = chain.genesisHash;
    const refresh = chain.templateBuilder();
    const at = (c: typeof chain) => {
      const p = c.head();
      return {
        beneficiary: miner.addressBytes,
        timestamp: p.header.timestamp + 1000,
        engineFields: c.engine.prepareFields(p, c.view, p.header.timestamp + 1000),
      };
    };
    const first = refresh({ ...at(chain), txs: [transfer(alice, carol, gh, { nonce: 0 })] });
    await chain.importBlock({ ...first, header: sealPow(first).header });
    const second = refresh({ ...at(chain), txs: [transfer(alice, carol, gh, { nonce: 1 })] });
    expect(second.header.height).toBe(2);
    expect(second.txs.map((t) => t.nonce)).toEqual([1]);
    expect((await chain.importBlock({ ...second, header: sealPow(second).header })).status).toBe("head");
  });
});
