/**
 * Issue 11's slashing conditions on real nodes, one at a time so each is the only offence:
 * (a) proposer equivocation: a second machine holding a validator's key signs another block for
 * the slot the validator proposed; (c) surround vote: the validator's key signs a vote whose
 * source-target span surrounds its earlier vote, published by a scripted peer. In each case the
 * honest nodes build the evidence, gossip it, a proposer includes it, the offender is slashed and
 * ejected (exit epoch set, inactive from then on), and the including proposer's beneficiary (who
 * is also the whistleblower of body evidence) is paid exactly what the genesis parameters define.
 * (b), the double vote, is equivocation.test.ts. `unsafe_equivocate` double-votes as well as
 * double-proposes, so the two kinds would race there; these tests sign the one message themselves.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type PosParams, parsePosParams } from "../../../src/consensus/pos/params.ts";
import { signBlock } from "../../../src/consensus/pos/producer.ts";
import { ATTESTATIONS_TOPIC, EVIDENCE_TOPIC } from "../../../src/consensus/pos/topics.ts";
import {
  type Attestation,
  type AttestationData,
  attestationSigningRoot,
  decodePosBody,
  encodeAttestation,
  type PosBody,
} from "../../../src/consensus/pos/types.ts";
import {
  FAR_FUTURE_EPOCH,
  findValidator,
  indexOfPublicKey,
  isActive,
  type Validator,
} from "../../../src/consensus/pos/validators.ts";
import { encodeBlock, type Header } from "../../../src/core/block.ts";
import type { Genesis, Json } from "../../../src/core/genesis.ts";
import { toHex } from "../../../src/core/hash.ts";
import { sign } from "../../../src/crypto/ed25519.ts";
import { type HostilePeer, startHostile } from "../../../src/experiments/adversary/raw-peer.ts";
import { localStatus } from "../../../src/p2p/protocols.ts";
import { scopedName } from "../../../src/p2p/topics.ts";
import type { Actor } from "../../helpers/fixtures.ts";
import { waitFor } from "../p2p/harness.ts";
import { PosHarness, type PosPeer, posGenesis, ring, STAKE, validatorActors } from "./harness.ts";

const SLOT_MS = 400;
const SPE = 4;

/** What slash_validator pays out, from the genesis parameters (slashing.ts). */
function expectedSlash(p: PosParams): { penalty: bigint; beneficiary: bigint } {
  let effective = STAKE - (STAKE % p.effectiveIncrement);
  if (effective > p.maxEffectiveStake) effective = p.maxEffectiveStake;
  const penalty = effective / BigInt(p.minSlashingPenaltyQuotient);
  const reward = effective / BigInt(p.whistleblowerRewardQuotient);
  const paid = reward < penalty ? reward : penalty;
  const proposerReward = paid / BigInt(p.proposerRewardQuotient);
  const whistleblowerReward = paid - proposerReward;
  // Evidence in a block body names no whistleblower: the beneficiary gets both shares.
  return { penalty, beneficiary: proposerReward + whistleblowerReward };
}

const paramsOf = (g: Genesis): PosParams =>
  parsePosParams(g.consensus.params as unknown as Record<string, Json>);

function validatorAt(p: PosPeer, index: number): Validator | undefined {
  const state = p.engine.headState();
  return state === undefined ? undefined : findValidator(state, index);
}

/** The blocks of `p`'s chain, head first, with their decoded PoS bodies. */
async function bodies(p: PosPeer): Promise<{ header: Header; body: PosBody }[]> {
  const out: { header: Header; body: PosBody }[] = [];
  const view = p.node.chain.view;
  for (let m = p.node.chain.head(); m.header.height > 0; m = view.getMeta(m.header.parentHash)!) {
    const block = (await p.node.chain.getBlock(m.hash))!;
    out.push({ header: block.header, body: decodePosBody(block.engineBody, p.engine.params) });
  }
  return out;
}

/**
 * Waits until `index` is slashed on every peer, then checks: exactly one block holds evidence
 * against it (of `kind`), the offender is exited and locked, the including proposer's beneficiary
 * got the expected amount and no other validator address got anything (no fees, no withdrawals).
 */
async function expectSlashed(
  peers: PosPeer[],
  index: number,
  kind: "proposer" | "attester",
  g: Genesis,
  vals: Actor[],
): Promise<void> {
  await waitFor(
    `validator ${index} slashed on ${peers.map((p) => p.name).join(",")}`,
    () => peers.every((p) => validatorAt(p, index)?.slashed === true),
    (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
    40_000,
  );
  const params = paramsOf(g);
  const want = expectedSlash(params);
  for (const p of peers) {
    const including = (await bodies(p)).filter(({ body }) =>
      kind === "proposer"
        ? body.proposerSlashings.some((s) => p.engine.fields(s.a).proposerIndex === index)
        : body.attesterSlashings.some((s) => s.a.validatorIndex === index),
    );
    expect(including).toHaveLength(1);
    const other = kind === "proposer" ? "attesterSlashings" : "proposerSlashings";
    expect(including[0]!.body[other]).toHaveLength(0);
    const beneficiary = toHex(including[0]!.header.beneficiary);
    const slashEpoch = Math.floor(p.engine.fields(including[0]!.header).slot / SPE);
    for (const v of vals) {
      const balance = p.node.chain.getAccount(v.addressBytes).balance;
      expect(balance).toBe(toHex(v.addressBytes) === beneficiary ? want.beneficiary : 0n);
    }
    const v = validatorAt(p, index)!;
    expect(v.exitEpoch).not.toBe(FAR_FUTURE_EPOCH);
    expect(v.exitEpoch).toBeGreaterThan(slashEpoch);
    expect(v.withdrawableEpoch).toBeGreaterThanOrEqual(slashEpoch + params.slashingsWindowEpochs);
    // The initial penalty is gone from its stake (attestation rewards of at most one epoch aside).
    expect(v.stake).toBeLessThanOrEqual(STAKE - want.penalty + params.attestationReward);
  }
  // Ejected: once its exit epoch arrives it is no longer active.
  const exitEpoch = validatorAt(peers[0]!, index)!.exitEpoch;
  await waitFor(
    `epoch ${exitEpoch} on every head`,
    () => peers.every((p) => p.engine.fields(p.node.chain.head().header).slot >= exitEpoch * SPE),
    (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
    40_000,
  );
  for (const p of peers) expect(isActive(validatorAt(p, index)!, exitEpoch)).toBe(false);
}

describe("PoS slashing conditions, one at a time", { timeout: 120_000 }, () => {
  let h: PosHarness;
  let hostile: HostilePeer | undefined;
  afterEach(async () => {
    await hostile?.stop();
    hostile = undefined;
    await h.close();
  });

  it("(a) proposer equivocation: a second block signed for the validator's slot gets it slashed and ejected", async () => {
    h = new PosHarness();
    const vals = validatorActors(4, "slash-proposer");
    const g = posGenesis(vals, { slotMs: SLOT_MS, slotsPerEpoch: SPE, startInMs: 1500 });
    const peers: PosPeer[] = [];
    for (let i = 0; i < 4; i++) peers.push(await h.start(`sp${i}`, g, [vals[i]!]));
    await ring(peers);
    const offender = peers[3]!;
    const honest = peers.slice(0, 3);
    const index = indexOfPublicKey(offender.engine.headState()!, vals[3]!.publicKey)!;
    // The first block of the offender that an honest node imports: the "second machine" holding
    // its key signs another header for the same slot (another beneficiary) and publishes it.
    let twinSent = false;
    const seen = honest[0]!;
    const off = seen.node.chain.onHeadChange(() => {
      const head = seen.node.chain.head();
      if (twinSent || seen.engine.fields(head.header).proposerIndex !== index) return;
      twinSent = true;
      void seen.node.chain.getBlock(head.hash).then((block) => {
        const header = { ...block!.header, beneficiary: new Uint8Array(20).fill(0xee) };
        const twin = signBlock(offender.engine, { ...block!, header }, vals[3]!.secretKey);
        void offender.node.outbound.publish("blocks", encodeBlock(twin));
      });
    });
    try {
      await expectSlashed(honest, index, "proposer", g, vals);
    } finally {
      off();
    }
    expect(twinSent).toBe(true);
    expect(
      honest.some((p) => p.engine.messages.evidence.seen().some((e) => e.validatorIndex === index)),
    ).toBe(true);
  });

  it("(c) surround vote: a vote surrounding the validator's earlier one gets it slashed and ejected", async () => {
    h = new PosHarness();
    const vals = validatorActors(4, "slash-surround");
    const g = posGenesis(vals, { slotMs: SLOT_MS, slotsPerEpoch: SPE, startInMs: 1500 });
    // Three nodes (3/4 of the stake) finalize; the fourth validator's key signs only what the test
    // publishes, so its two votes are the only ones it ever makes.
    const peers: PosPeer[] = [];
    for (let i = 0; i < 3; i++) peers.push(await h.start(`ss${i}`, g, [vals[i]!]));
    await ring(peers);
    const x = vals[3]!;
    const e = peers[0]!.engine;
    const index = indexOfPublicKey(e.headState()!, x.publicKey)!;
    // The scripted peer is connected first: the inner vote must reach the nodes within its epoch.
    const attTopic = scopedName(peers[0]!.node.chain.genesisHash, ATTESTATIONS_TOPIC);
    const evTopic = scopedName(peers[0]!.node.chain.genesisHash, EVIDENCE_TOPIC);
    hostile = await startHostile(peers[0]!.p2p.names, localStatus(peers[0]!.node));
    await hostile.dial(peers[0]!.p2p.multiaddrs()[0]!);
    await hostile.subscribed(peers[0]!.p2p.peerId, attTopic);
    await hostile.subscribed(peers[0]!.p2p.peerId, evTopic);
    // An epoch E, in its first two slots, whose previous epoch's vote can carry a justified source
    // of epoch 1 or later. The inner vote (target E - 1) is gossiped until E ends: two slots in, a
    // loaded machine still has most of the epoch to deliver it.
    let epoch = 0;
    await waitFor(
      "the start of an epoch with a justified source of epoch >= 1",
      () => {
        const slot = e.clock.slotAt(Date.now());
        epoch = Math.floor(slot / SPE);
        const head = peers[0]!.node.chain.head();
        return (
          slot % SPE <= 1 &&
          epoch >= 2 &&
          e.attestationDataFor(e.attestationSlotOf(index, epoch - 1)!, head).source.epoch >= 1
        );
      },
      (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
      40_000,
    );
    const signed = (data: AttestationData): Attestation => ({
      validatorIndex: index,
      data,
      signature: sign(attestationSigningRoot(e.domain, data), x.secretKey),
    });
    const head = peers[0]!.node.chain.head();
    const inner = signed(e.attestationDataFor(e.attestationSlotOf(index, epoch - 1)!, head));
    const outerSlot = e.attestationSlotOf(index, epoch)!;
    const outer = signed({
      ...e.attestationDataFor(outerSlot, head),
      source: { epoch: 0, root: peers[0]!.node.chain.genesisHash },
    });
    expect(outer.data.source.epoch).toBeLessThan(inner.data.source.epoch);
    expect(inner.data.target.epoch).toBeLessThan(outer.data.target.epoch);

    const pooled = (a: Attestation) => (): boolean =>
      peers.every((p) => p.engine.messages.attestations.has(a));
    await hostile.publish(attTopic, encodeAttestation(inner));
    await waitFor(
      "the inner vote pooled everywhere",
      pooled(inner),
      (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
      10_000,
    );
    // The outer vote once its slot is within the clock drift of now.
    await waitFor(
      `slot ${outerSlot} within the drift`,
      () => e.clock.slotAt(Date.now() + e.params.maxFutureDriftMs) >= outerSlot,
      (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
      10_000,
    );
    await hostile.publish(attTopic, encodeAttestation(outer));
    // Every node holds the surround evidence: found locally or received as gossip.
    await waitFor(
      "surround evidence on every node",
      () => peers.every((p) => p.engine.messages.evidence.seen().some((x) => x.validatorIndex === index)),
      (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
      10_000,
    ).catch(async (err) => {
      // It may already be included (and pruned from the pool) on a node: that counts too.
      if (!peers.every((p) => validatorAt(p, index)?.slashed === true)) throw err;
    });
    await expectSlashed(peers, index, "attester", g, vals);
    const evidence = (await bodies(peers[0]!))
      .flatMap(({ body }) => body.attesterSlashings)
      .find((s) => s.a.validatorIndex === index)!;
    const epochs = [evidence.a.data, evidence.b.data].map((d) => [d.source.epoch, d.target.epoch]);
    expect(epochs).toEqual(
      expect.arrayContaining([
        [inner.data.source.epoch, inner.data.target.epoch],
        [0, outer.data.target.epoch],
      ]),
    );
  });
});
