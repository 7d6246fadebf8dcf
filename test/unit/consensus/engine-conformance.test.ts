import { PowEngine } from "../../../src/consensus/pow/engine.ts";
import { sealPow } from "../../helpers/chain.ts";
import { actor, easyGenesis } from "../../helpers/fixtures.ts";
import { runEngineConformance } from "./engine-conformance.ts";

runEngineConformance("pow", () => {
  const alice = actor("alice");
  const bob = actor("bob");
  return {
    genesis: easyGenesis([alice, bob]),
    funded: [alice, bob],
    createEngine: (genesis) => new PowEngine(genesis),
    nextTimestamp: (parent) => parent.header.timestamp + 1000,
    sealBlock: (block) => ({ ...block, header: sealPow(block.header) }),
    now: Date.now,
  };
});
