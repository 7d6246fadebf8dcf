import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/node/logger.ts";
import { ChainlabNode } from "../../../src/node/node.ts";
import { actor, easyGenesis, tempDir, transfer } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");
const miner = actor("miner");

describe("a mining node", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("mines signed transfers into a persistent chain", async () => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const genesis = easyGenesis([alice]);
    const node = await ChainlabNode.open(
      { dataDir: dir.path, genesis, produce: { beneficiary: miner.addressBytes } },
      silentLogger(),
    );
    const gh = node.chain.genesisHash;
    for (let n = 0; n < 5; n++) node.submitTx(transfer(alice, bob, gh, { nonce: n, amount: 100n }));
    const done = new Promise<void>((resolve) => {
      node.chain.onHeadChange(() => {
        if (node.chain.getAccount(bob.addressBytes).balance === 500n && node.chain.head().header.height >= 3)
          resolve();
      });
    });
    node.startProducing();
    await done;
    await node.stop();
    const height = node.chain.head().header.height;
    const root = node.chain.stateRoot();

    const reopened = await ChainlabNode.open({ dataDir: dir.path, genesis }, silentLogger());
    expect(reopened.chain.head().header.height).toBe(height);
    expect(reopened.chain.stateRoot()).toEqual(root);
    expect(reopened.chain.getAccount(bob.addressBytes).balance).toBe(500n);
    expect(reopened.chain.getAccount(alice.addressBytes).nonce).toBe(5);
    await reopened.stop();
  });
});
