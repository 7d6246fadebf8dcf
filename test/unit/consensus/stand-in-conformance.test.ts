import { actor } from "../../helpers/fixtures.ts";
import { StandInEngine, standInGenesis } from "../../helpers/stand-in-engine.ts";
import { runEngineConformance } from "./engine-conformance.ts";

runEngineConformance("stand-in", () => {
  const alice = actor("alice");
  const bob = actor("bob");
  return {
    genesis: standInGenesis({ [alice.address]: 1_000_000n, [bob.address]: 1_000_000n }),
    funded: [alice, bob],
    createEngine: (genesis) => new StandInEngine(genesis),
    nextTimestamp: (parent) => parent.header.timestamp + 1000,
    sealBlock: (block) => block,
    now: Date.now,
  };
});
