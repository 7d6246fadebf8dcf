/**
 * bench:pos — attestation throughput and finality of the PoS engine (issue 11).
 *
 * For 4, 16 and 64 validators (`--validators 4,16,64`):
 *   - gossip validation: every vote of the run through the engine's `attestations` topic validator
 *     (PosMessages.topics(), the function the node hands to gossipsub: length, epoch window,
 *     validator, assigned slot, duplicate, signature, pool), attestations/s;
 *   - block inclusion: processBlock of a block whose body holds every vote of the previous epoch
 *     (each validator's vote once), attestations/s net of the same slot's empty-block cost;
 *   - slots to finality in a pure-state simulation (the transition functions, one block per slot,
 *     every validator online, votes included in the next block): the slot at which the first
 *     finalized checkpoint appears and the mean steady-state lag head slot - finalized epoch start.
 * The baseline, measured in the same run: node:crypto ed25519 verify/s on one thread over the same
 * attestation signatures; the ratios say how much of the verify limit each path reaches.
 * For 4 validators also on real nodes (`--nodes`, default on): four in-process nodes over libp2p on
 * 127.0.0.1, 400 ms slots, 4 slots an epoch, the first finalized slot and the lag, wall clock.
 *
 *   npm run bench:pos -- [--validators 4,16,64] [--epochs 12] [--min-attestations 2000]
 *                        [--slots-per-epoch 8] [--node-epochs 6] [--no-nodes] [--json]
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { EngineLogger } from "../src/consensus/engine.ts";
import { SlotClock } from "../src/consensus/pos/clock.ts";
import { epochOf } from "../src/consensus/pos/params.ts";
import { dutiesLookup } from "../src/consensus/pos/shuffle.ts";
import { ATTESTATIONS_TOPIC, PosMessages } from "../src/consensus/pos/topics.ts";
import { processBlock } from "../src/consensus/pos/transition.ts";
import {
  type Attestation,
  attestationSigningRoot,
  encodeAttestation,
  randaoSigningRoot,
} from "../src/consensus/pos/types.ts";
import { readAllValidators, readPosState } from "../src/consensus/pos/validators.ts";
import { StateOverlay } from "../src/core/state.ts";
import { addressBytesOf } from "../src/crypto/address.ts";
import { sign, verify } from "../src/crypto/ed25519.ts";
import { silentLogger } from "../src/node/logger.ts";
import { PosHarness, posGenesis, ring, validatorActors } from "../test/integration/pos/harness.ts";
import { DOMAIN, PosSim } from "../test/unit/consensus/pos/sim.ts";

const { values } = parseArgs({
  options: {
    validators: { type: "string", default: "4,16,64" },
    epochs: { type: "string", default: "12" },
    "min-attestations": { type: "string", default: "2000" },
    "slots-per-epoch": { type: "string", default: "8" },
    "no-nodes": { type: "boolean", default: false },
    "node-epochs": { type: "string", default: "6" },
    json: { type: "boolean", default: false },
  },
});
const SIZES = values.validators.split(",").map(Number);
const EPOCHS = Number(values.epochs);
const MIN_ATTESTATIONS = Number(values["min-attestations"]);
const SPE = Number(values["slots-per-epoch"]);
const NODE_EPOCHS = Number(values["node-epochs"]);
const log = (msg: string) => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const silent = silentLogger() as unknown as EngineLogger;

interface FinalityFigures {
  /** The first slot whose post-state has a finalized checkpoint above genesis. */
  firstFinalizedSlot: number | undefined;
  firstFinalizedEpoch: number | undefined;
  /** Mean of head slot - start slot of the finalized epoch over the second half of the run. */
  steadyLagSlots: number | undefined;
  slotsPerEpoch: number;
}

/** Tracks finality per slot: the first finalized slot and the steady-state lag. */
class FinalityTracker {
  private first: { slot: number; epoch: number } | undefined;
  private readonly lags: number[] = [];
  private readonly spe: number;
  private readonly steadyFrom: number;

  constructor(spe: number, steadyFrom: number) {
    this.spe = spe;
    this.steadyFrom = steadyFrom;
  }

  observe(slot: number, finalizedEpoch: number): void {
    if (finalizedEpoch > 0 && this.first === undefined) this.first = { slot, epoch: finalizedEpoch };
    if (slot >= this.steadyFrom) this.lags.push(slot - finalizedEpoch * this.spe);
  }

  figures(): FinalityFigures {
    return {
      firstFinalizedSlot: this.first?.slot,
      firstFinalizedEpoch: this.first?.epoch,
      steadyLagSlots:
        this.lags.length === 0 ? undefined : this.lags.reduce((a, b) => a + b, 0) / this.lags.length,
      slotsPerEpoch: this.spe,
    };
  }
}

/** Slots to finality on the pure-state sim: every validator online, votes in the next block. */
function simFinality(validators: number, spe = SPE, epochs = EPOCHS): FinalityFigures {
  const sim = new PosSim({ validators, params: { slotsPerEpoch: spe } });
  const last = epochs * spe;
  const t = new FinalityTracker(spe, Math.floor(last / 2));
  for (let s = 1; s <= last; s++) {
    sim.block(s);
    t.observe(s, sim.pos().finalized.epoch);
  }
  return t.figures();
}

interface Throughput {
  attestations: number;
  gossipSeconds: number;
  gossipPerSecond: number;
  inclusionBlocks: number;
  inclusionAttestations: number;
  inclusionSeconds: number;
  emptyBlockSeconds: number;
  inclusionPerSecond: number;
  inclusionPerSecondGross: number;
  rawVerifySeconds: number;
  rawVerifyPerSecond: number;
}

/**
 * A run where each epoch's votes pass the gossip validator as they are cast, are held back, and go
 * into one block at the second slot of the next epoch (the first is the epoch transition); the
 * processBlock of that block is timed, and an empty block at the same slot on the same state.
 */
function throughput(validators: number, epochs: number): Throughput {
  const sim = new PosSim({ validators, params: { slotsPerEpoch: SPE } });
  const p = sim.params;
  let now = 0;
  const delivered: unknown[] = [];
  // As the engine does: one shuffle per state epoch, not one registry read and shuffle per vote.
  let duties: { epoch: number; lookup: (index: number, epoch: number) => number | undefined } | undefined;
  const attestationSlotOf = (index: number, epoch: number): number | undefined => {
    const pos = readPosState(sim.state);
    const at = epochOf(pos.slot, p);
    if (duties?.epoch !== at)
      duties = { epoch: at, lookup: dutiesLookup(readAllValidators(sim.state, pos), pos, p) };
    return duties.lookup(index, epoch);
  };
  const messages = new PosMessages({
    clock: new SlotClock(p, 0),
    domain: DOMAIN,
    view: () => undefined,
    dutyState: () => sim.state,
    attestationSlotOf,
    deliver: (m) => delivered.push(m),
    publish: () => {},
    now: () => now,
    log: () => silent,
  });
  const validate = messages.topics().find((t) => t.name === ATTESTATIONS_TOPIC)!.validate;
  const all: Attestation[] = [];
  let held: Attestation[] = [];
  let gossipMs = 0;
  let inclusionMs = 0;
  let emptyMs = 0;
  let inclusionBlocks = 0;
  let included = 0;
  for (let s = 1; s <= epochs * SPE; s++) {
    const full = s % SPE === 1 && s > SPE;
    if (full) {
      // Time the block with every held vote against the same block empty, on scratch overlays.
      const body = held.filter((a) => a.data.slot < s);
      const proposer = sim.proposerOf(s);
      const key = sim.keys[proposer]!;
      const input = (attestations: Attestation[]) => ({
        slot: s,
        proposerIndex: proposer,
        randaoReveal: sign(randaoSigningRoot(DOMAIN, epochOf(s, p)), key.secretKey),
        body: { attestations, proposerSlashings: [], attesterSlashings: [] },
        fees: 0n,
        beneficiary: addressBytesOf(key.publicKey),
        rootAtSlot: sim.rootAtSlot,
        domain: DOMAIN,
      });
      const e0 = performance.now();
      processBlock(new StateOverlay(sim.state), input([]), p);
      emptyMs += performance.now() - e0;
      const t0 = performance.now();
      processBlock(new StateOverlay(sim.state), input(body), p);
      inclusionMs += performance.now() - t0;
      inclusionBlocks++;
      included += body.length;
      sim.pending = body;
      held = held.filter((a) => a.data.slot >= s);
    } else {
      sim.pending = [];
    }
    sim.block(s);
    // The votes of slot s, cast and gossiped during slot s.
    now = p.slotMs * s + p.slotMs / 2;
    for (const a of sim.pending) {
      const bytes = encodeAttestation(a);
      const g0 = performance.now();
      const r = validate(bytes, "bench-peer");
      gossipMs += performance.now() - g0;
      if (r !== "accept" && r !== "ignore") throw new Error(`vote rejected: ${String(r)}`);
      all.push(a);
    }
    held.push(...sim.pending);
  }
  if (delivered.length !== all.length) throw new Error("not every vote reached the fork choice");
  // The baseline: the same signatures verified with node:crypto on one thread, nothing else.
  const keys = sim.keys.map((k) => k.publicKey);
  const roots = all.map((a) => attestationSigningRoot(DOMAIN, a.data));
  const v0 = performance.now();
  for (let i = 0; i < all.length; i++) {
    if (!verify(all[i]!.signature, roots[i]!, keys[all[i]!.validatorIndex]!)) throw new Error("bad sig");
  }
  const rawMs = performance.now() - v0;
  const netMs = Math.max(1e-9, inclusionMs - emptyMs);
  return {
    attestations: all.length,
    gossipSeconds: gossipMs / 1000,
    gossipPerSecond: all.length / (gossipMs / 1000),
    inclusionBlocks,
    inclusionAttestations: included,
    inclusionSeconds: inclusionMs / 1000,
    emptyBlockSeconds: emptyMs / 1000,
    inclusionPerSecond: included / (netMs / 1000),
    inclusionPerSecondGross: included / (inclusionMs / 1000),
    rawVerifySeconds: rawMs / 1000,
    rawVerifyPerSecond: all.length / (rawMs / 1000),
  };
}

/** Four real nodes (one validator each) over libp2p on loopback: finality by wall clock. */
async function nodeFinality(): Promise<
  FinalityFigures & { slotMs: number; seconds: number; simSameParams: FinalityFigures }
> {
  const slotMs = 400;
  const spe = 4;
  const h = new PosHarness();
  try {
    const vals = validatorActors(4);
    const g = posGenesis(vals, { slotMs, slotsPerEpoch: spe, startInMs: 2000 });
    const peers = [];
    for (let i = 0; i < 4; i++) peers.push(await h.start(`n${i}`, g, [vals[i]!]));
    await ring(peers);
    const last = NODE_EPOCHS * spe;
    const t = new FinalityTracker(spe, Math.floor(last / 2));
    const node = peers[0]!;
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      const timer = setTimeout(
        () => reject(new Error(`no head slot ${last} in ${last * slotMs * 3} ms`)),
        last * slotMs * 3 + 5000,
      );
      node.node.chain.onHeadChange(() => {
        const slot = node.engine.fields(node.node.chain.head().header).slot;
        if (slot <= seen) return;
        seen = slot;
        t.observe(slot, node.node.chain.finalized().epoch ?? 0);
        if (slot % spe === 0)
          log(
            `  node n0: head slot ${slot}/${last}, finalized epoch ${node.node.chain.finalized().epoch ?? 0}`,
          );
        if (slot >= last) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const seconds = (performance.now() - start) / 1000;
    return { ...t.figures(), slotMs, seconds, simSameParams: simFinality(4, spe, NODE_EPOCHS) };
  } finally {
    await h.close();
  }
}

const results = [];
throughput(SIZES[0]!, 3); // warm the JIT outside the figures
for (const n of SIZES) {
  // Enough epochs for at least --min-attestations votes (each validator votes once an epoch).
  const epochs = Math.max(EPOCHS, Math.ceil(MIN_ATTESTATIONS / n));
  log(`${n} validators: ${epochs} epochs of ${SPE} slots, gossip validation and inclusion ...`);
  const tp = throughput(n, epochs);
  log(`${n} validators: slots to finality (pure-state sim) ...`);
  const fin = simFinality(n);
  results.push({
    validators: n,
    ...tp,
    gossipVsRawVerify: tp.gossipPerSecond / tp.rawVerifyPerSecond,
    inclusionVsRawVerify: tp.inclusionPerSecond / tp.rawVerifyPerSecond,
    finalitySim: fin,
  });
}
const runNodes = !values["no-nodes"];
let finalityNodes: Awaited<ReturnType<typeof nodeFinality>> | undefined;
if (runNodes) {
  log("4 validators on 4 real nodes (libp2p on 127.0.0.1, 400 ms slots) ...");
  finalityNodes = await nodeFinality();
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ sizes: results, finalityNodes4: finalityNodes })}\n`);
} else {
  const f = (x: number) => x.toFixed(0);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const opt = (x: number | undefined, d = 1) => (x === undefined ? "none" : x.toFixed(d));
  for (const r of results) {
    console.log(
      `${String(r.validators).padStart(2)} validators: gossip ${f(r.gossipPerSecond)} att/s (${pct(r.gossipVsRawVerify)} of raw verify), ` +
        `inclusion ${f(r.inclusionPerSecond)} att/s net, ${f(r.inclusionPerSecondGross)} gross (${pct(r.inclusionVsRawVerify)} of raw verify; ` +
        `${r.inclusionAttestations} att in ${r.inclusionBlocks} blocks); raw verify ${f(r.rawVerifyPerSecond)}/s (${r.attestations} sigs)`,
    );
    console.log(
      `               finality (pure-state sim, ${r.finalitySim.slotsPerEpoch} slots/epoch): first finalized at slot ${opt(r.finalitySim.firstFinalizedSlot, 0)} (epoch ${opt(r.finalitySim.firstFinalizedEpoch, 0)}), steady lag ${opt(r.finalitySim.steadyLagSlots)} slots`,
    );
  }
  if (finalityNodes !== undefined) {
    console.log(
      ` 4 validators on 4 real nodes (${finalityNodes.slotMs} ms slots, ${finalityNodes.slotsPerEpoch} slots/epoch): first finalized at slot ${opt(finalityNodes.firstFinalizedSlot, 0)} (epoch ${opt(finalityNodes.firstFinalizedEpoch, 0)}), steady lag ${opt(finalityNodes.steadyLagSlots)} slots (${finalityNodes.seconds.toFixed(1)} s); ` +
        `the pure-state sim with the same params: slot ${opt(finalityNodes.simSameParams.firstFinalizedSlot, 0)}, lag ${opt(finalityNodes.simSameParams.steadyLagSlots)}`,
    );
  }
}
