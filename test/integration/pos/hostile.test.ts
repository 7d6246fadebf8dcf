/**
 * A scripted libp2p peer publishing bad PoS messages at a validator node: attestations of the
 * wrong length, with a bad signature, from an unknown validator, for a slot its validator was not
 * assigned, for a far-future or an expired epoch, a duplicate, and garbage or forged evidence.
 * Each is refused with its typed code (REJECT: counted by reason, penalized), none reaches the
 * fork choice or the pools, the peer is banned, and the honest nodes keep finalizing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ATTESTATIONS_TOPIC, EVIDENCE_TOPIC } from "../../../src/consensus/pos/topics.ts";
import {
  type Attestation,
  attestationSigningRoot,
  encodeAttestation,
  encodeEvidence,
} from "../../../src/consensus/pos/types.ts";
import { sign } from "../../../src/crypto/ed25519.ts";
import { type HostilePeer, startHostile } from "../../../src/experiments/adversary/raw-peer.ts";
import { localStatus } from "../../../src/p2p/protocols.ts";
import { scopedName } from "../../../src/p2p/topics.ts";
import { actor } from "../../helpers/fixtures.ts";
import { link, waitFor } from "../p2p/harness.ts";
import { bannedBy } from "../p2p/hostile-kit.ts";
import { PosHarness, type PosPeer, posGenesis, validatorActors, waitForFinalized } from "./harness.ts";

const SLOT_MS = 300;
const SPE = 4;

describe("PoS gossip from a hostile peer", { timeout: 90_000 }, () => {
  let h: PosHarness;
  let hostile: HostilePeer | undefined;
  afterEach(async () => {
    await hostile?.stop();
    hostile = undefined;
    await h.close();
  });

  it("refuses bad attestations and evidence with typed codes, penalizes and bans the sender", async () => {
    h = new PosHarness();
    const vals = validatorActors(4, "hostile");
    const outsider = actor("hostile-outsider");
    const g = posGenesis(vals, { slotMs: SLOT_MS, slotsPerEpoch: SPE, startInMs: 1000 });
    // One node holds every validator key (it finalizes alone); an observer follows it, and
    // tolerates the spam long enough to count every kind of refusal.
    const v: PosPeer = await h.start("validators", g, vals);
    const o: PosPeer = await h.start("observer", g, [], { p2p: { banThreshold: 100_000 } });
    await link(v, o);
    // Epoch 3 or later (a vote of epoch 0 is expired), past the epoch's first slot.
    await waitForFinalized([v, o], 1, 40_000);
    await waitFor(
      "epoch 3, second slot",
      () => {
        const slot = v.engine.clock.slotAt(Date.now());
        return slot >= 3 * SPE && slot % SPE >= 1;
      },
      (wake) => v.node.chain.onHeadChange(wake),
      20_000,
    );

    const names = v.p2p.names;
    const attTopic = scopedName(v.node.chain.genesisHash, ATTESTATIONS_TOPIC);
    const evTopic = scopedName(v.node.chain.genesisHash, EVIDENCE_TOPIC);
    hostile = await startHostile(names, localStatus(v.node));
    const banned = bannedBy(v, hostile.peerId, 60_000);
    for (const p of [v, o]) {
      await hostile.dial(p.p2p.multiaddrs()[0]!);
      await hostile.subscribed(p.p2p.peerId, attTopic);
      await hostile.subscribed(p.p2p.peerId, evTopic);
    }
    const counted = (): boolean => {
      const seen = Object.keys(o.p2p.stats().rejections);
      return cases.every((c) => seen.some((r) => r.startsWith(c.code)));
    };

    const e = v.engine;
    const head = v.node.chain.head();
    const epoch = Math.floor(e.clock.slotAt(Date.now()) / SPE);
    const signed = (
      index: number,
      slot: number,
      key: Uint8Array,
      data = e.attestationDataFor(slot, head),
    ): Attestation => ({
      validatorIndex: index,
      data,
      signature: sign(attestationSigningRoot(e.domain, data), key),
    });
    // Validator 0's duty this epoch, and a slot of this epoch that is not its duty.
    const duty = e.attestationSlotOf(0, epoch)!;
    const notDuty = duty === epoch * SPE ? duty + 1 : epoch * SPE;
    const expiredData = {
      ...e.attestationDataFor(duty, head),
      slot: 0,
      target: { epoch: 0, root: new Uint8Array(32) },
    };
    const futureData = {
      ...e.attestationDataFor(duty, head),
      slot: (epoch + 3) * SPE,
      target: { epoch: epoch + 3, root: head.hash },
    };
    const good = signed(0, duty, vals[0]!.secretKey);
    const forgedEvidence = encodeEvidence({
      kind: "attester",
      slashing: { a: good, b: { ...good, data: { ...good.data, head: new Uint8Array(32).fill(9) } } },
    });
    const cases: { topic: string; data: (round: number) => Uint8Array; code: string }[] = [
      {
        topic: attTopic,
        data: (r) => Uint8Array.from({ length: 100 }, (_, i) => (i === 99 ? r : 0)),
        code: "DECODE_TRUNCATED",
      },
      {
        topic: attTopic,
        // Not the honest vote's data (a copy of a pooled vote is only a duplicate): another head.
        data: (r) =>
          encodeAttestation({
            ...good,
            data: { ...good.data, head: v.node.chain.view.genesis().hash },
            signature: new Uint8Array(64).fill(r + 1),
          }),
        code: "ATTESTATION_BAD_SIGNATURE",
      },
      {
        topic: attTopic,
        data: (r) => encodeAttestation(signed(77 + r, duty, outsider.secretKey)),
        code: "ATTESTATION_UNKNOWN_VALIDATOR",
      },
      {
        topic: attTopic,
        data: (r) =>
          encodeAttestation({
            ...signed(0, notDuty, vals[0]!.secretKey),
            signature: new Uint8Array(64).fill(r),
          }),
        code: "ATTESTATION_WRONG_SLOT",
      },
      {
        topic: attTopic,
        data: (r) => encodeAttestation(signed(r % 4, 0, vals[r % 4]!.secretKey, expiredData)),
        code: "ATTESTATION_EXPIRED",
      },
      {
        topic: attTopic,
        data: (r) => encodeAttestation(signed(r % 4, 0, vals[r % 4]!.secretKey, futureData)),
        code: "ATTESTATION_FAR_FUTURE",
      },
      { topic: evTopic, data: (r) => Uint8Array.of(9, r, 1, 2, 3), code: "DECODE_" },
      { topic: evTopic, data: () => forgedEvidence, code: "EVIDENCE_" },
    ];
    let round = 0;
    let spamming = true;
    const spam = (async () => {
      while ((spamming || !counted()) && round < 40) {
        for (const c of cases) await hostile!.publish(c.topic, c.data(round)).catch(() => 0);
        round++;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })();
    const reason = await banned;
    spamming = false;
    await spam;
    expect(["TOO_MANY_INVALID_MESSAGES", "GOSSIP_SCORE_GRAYLISTED"]).toContain(reason);
    const rejections = Object.keys(o.p2p.stats().rejections);
    for (const c of cases)
      expect(
        rejections.some((r) => r.startsWith(c.code)),
        `${c.code} in ${rejections}`,
      ).toBe(true);
    // Nothing of it reached the fork choice or the pools.
    expect(v.engine.forkChoice!.latestVote(77)).toBeUndefined();
    expect(v.engine.messages.evidence.size).toBe(0);
    expect(v.engine.forkChoice!.equivocating()).toEqual([]);
    // The honest pair keeps finalizing.
    const fin = v.node.chain.finalized().epoch ?? 0;
    await waitForFinalized([v, o], fin + 1, 30_000);
  });
});
