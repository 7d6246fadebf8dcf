import { describe, expect, it } from "vitest";
import { attestationChecks } from "../../../../src/consensus/pos/attestations.ts";
import { epochOf } from "../../../../src/consensus/pos/params.ts";
import { epochCommittees } from "../../../../src/consensus/pos/shuffle.ts";
import { type PosBlockInput, processBlock } from "../../../../src/consensus/pos/transition.ts";
import {
  type Attestation,
  type AttestationData,
  randaoSigningRoot,
} from "../../../../src/consensus/pos/types.ts";
import {
  FLAG_HEAD,
  FLAG_INCLUDED,
  FLAG_TARGET,
  readPosState,
  readValidator,
} from "../../../../src/consensus/pos/validators.ts";
import { sha256 } from "../../../../src/core/hash.ts";
import { StateOverlay } from "../../../../src/core/state.ts";
import { sign } from "../../../../src/crypto/ed25519.ts";
import { DOMAIN, PosSim } from "./sim.ts";

const BENEFICIARY = new Uint8Array(20).fill(9);

/** A sim of 32 validators at slot 19 (epoch 2) with the votes of slot 19 pending, and the committees of epoch 2. */
function setup() {
  const sim = new PosSim({ validators: 32 });
  sim.runTo(19);
  const committees = epochCommittees(sim.validators(), sim.pos(), 2, sim.params);
  return { sim, committees };
}

function codeOf(run: () => unknown): string {
  try {
    run();
    return "OK";
  } catch (err) {
    const e = err as { code: string; data?: { reason?: string } };
    return e.code === "BLOCK_BAD_ENGINE_BODY" ? `${e.code}/${e.data?.reason}` : e.code;
  }
}

/** processBlock for `slot` (20) on a scratch overlay with `attestations`, the proposer's reveal and 7 in fees. */
function tryBlock(
  sim: PosSim,
  attestations: Attestation[],
  patch: Partial<PosBlockInput> = {},
  verifySignatures = true,
  slot = 20,
) {
  const proposer = sim.proposerOf(slot);
  const overlay = new StateOverlay(sim.state);
  const info = processBlock(
    overlay,
    {
      slot,
      proposerIndex: proposer,
      randaoReveal: sign(randaoSigningRoot(DOMAIN, epochOf(slot, sim.params)), sim.keys[proposer]!.secretKey),
      body: { attestations, proposerSlashings: [], attesterSlashings: [] },
      fees: 7n,
      beneficiary: BENEFICIARY,
      rootAtSlot: sim.rootAtSlot,
      domain: DOMAIN,
      ...patch,
    },
    sim.params,
    { verifySignatures },
  );
  return { overlay, info, proposer };
}

describe("processBlock", () => {
  it("refuses the wrong proposer, a slot not after the parent's and a bad RANDAO reveal", () => {
    const { sim } = setup();
    const proposer = sim.proposerOf(20);
    const otherEpochReveal = sign(randaoSigningRoot(DOMAIN, 1), sim.keys[proposer]!.secretKey);
    expect(codeOf(() => tryBlock(sim, [], { proposerIndex: (proposer + 1) % 32 }))).toBe(
      "BLOCK_BAD_PROPOSER",
    );
    expect(codeOf(() => tryBlock(sim, [], { slot: 19 }))).toBe("BLOCK_BAD_ENGINE_FIELDS");
    expect(codeOf(() => tryBlock(sim, [], { randaoReveal: new Uint8Array(64) }))).toBe(
      "BLOCK_BAD_ENGINE_FIELDS",
    );
    expect(codeOf(() => tryBlock(sim, [], { randaoReveal: otherEpochReveal }))).toBe(
      "BLOCK_BAD_ENGINE_FIELDS",
    );
    expect(codeOf(() => tryBlock(sim, []))).toBe("OK");
  });

  it("mixes the reveal into RANDAO, pays the fees, and hands back the checks when asked not to verify", () => {
    const { sim } = setup();
    const votes = sim.pending;
    expect(votes.length).toBeGreaterThan(0);
    const mixBefore = sim.pos().randaoMix;
    const { overlay, info, proposer } = tryBlock(sim, votes);
    expect(overlay.getAccount(BENEFICIARY).balance).toBe(7n);
    expect(info.unverified).toEqual([]);
    const reveal = sign(randaoSigningRoot(DOMAIN, 2), sim.keys[proposer]!.secretKey);
    const h = sha256(reveal);
    expect(readPosState(overlay).randaoMix).toEqual(mixBefore.map((b, i) => b ^ h[i]!));
    // A forged reveal passes only because the caller verifies the returned checks itself.
    const out = tryBlock(sim, votes, { randaoReveal: new Uint8Array(64) }, false).info;
    expect(out.unverified.map((c) => c.what)).toEqual(["randao", ...votes.map(() => "attestation")]);
    expect(out.unverified[0]!.publicKey).toEqual(sim.keys[proposer]!.publicKey);
  });
});

describe("attestations", () => {
  it("record included, target and head flags by what the vote got right", () => {
    const { sim, committees } = setup();
    const [a, b, c] = committees[3]!; // the committee of slot 19
    const honest = sim.vote(a!, 19).data;
    const wrongHead: AttestationData = { ...honest, head: new Uint8Array(32).fill(1) };
    const wrongTarget: AttestationData = {
      ...honest,
      target: { epoch: 2, root: new Uint8Array(32).fill(2) },
    };
    const { overlay } = tryBlock(sim, [
      sim.signAttestation(a!, honest),
      sim.signAttestation(b!, wrongHead),
      sim.signAttestation(c!, wrongTarget),
    ]);
    expect(readValidator(overlay, a!).currentFlags).toBe(FLAG_INCLUDED | FLAG_TARGET | FLAG_HEAD);
    expect(readValidator(overlay, b!).currentFlags).toBe(FLAG_INCLUDED | FLAG_TARGET);
    expect(readValidator(overlay, c!).currentFlags).toBe(FLAG_INCLUDED);
  });

  it("refuses bad votes with typed codes, cheap checks first", () => {
    const { sim, committees } = setup();
    const validators = sim.validators();
    const pos = sim.pos();
    const v = committees[3]![0]!; // attests in slot 19
    const honest = sim.vote(v, 19);
    const check = (att: Attestation, vs = validators) =>
      codeOf(() => attestationChecks(vs, { ...pos, slot: 20 }, att, 20, DOMAIN, sim.params));
    const withData = (d: Partial<AttestationData>) => ({ ...honest, data: { ...honest.data, ...d } });
    const pending = validators.map((x, i) => (i === v ? { ...x, activationEpoch: 99 } : x));
    const cases: [string, Attestation, string, typeof validators?][] = [
      ["an honest vote", honest, "OK"],
      [
        "a future target epoch",
        withData({ target: { epoch: 3, root: honest.data.target.root } }),
        "ATTESTATION_FUTURE_EPOCH",
      ],
      [
        "a target two epochs back",
        withData({ slot: 3, target: { epoch: 0, root: honest.data.target.root } }),
        "ATTESTATION_TOO_OLD",
      ],
      ["a slot outside the target epoch", withData({ slot: 12 }), "ATTESTATION_BAD_TARGET_EPOCH"],
      ["a slot not before the block", withData({ slot: 20 }), "ATTESTATION_FUTURE_SLOT"],
      ["an unknown validator", { ...honest, validatorIndex: 99 }, "ATTESTATION_UNKNOWN_VALIDATOR"],
      ["a validator not active yet", honest, "ATTESTATION_INACTIVE_VALIDATOR", pending],
      ["another slot than assigned", withData({ slot: 18 }), "ATTESTATION_WRONG_SLOT"],
      [
        "a wrong source",
        withData({ source: { epoch: 1, root: new Uint8Array(32) } }),
        "ATTESTATION_BAD_SOURCE",
      ],
    ];
    for (const [name, att, code, vs] of cases) expect(`${name}: ${check(att, vs)}`).toBe(`${name}: ${code}`);
    // Inclusion: a second vote of the validator for the epoch, in the same body or later, and a bad signature.
    const other = sim.signAttestation(v, { ...honest.data, head: new Uint8Array(32).fill(3) });
    expect(codeOf(() => tryBlock(sim, [honest, honest]))).toBe("BLOCK_BAD_ENGINE_BODY/ATTESTATION_DUPLICATE");
    expect(codeOf(() => tryBlock(sim, [honest, other]))).toBe("BLOCK_BAD_ENGINE_BODY/ATTESTATION_DUPLICATE");
    const forged = { ...honest, signature: other.signature };
    expect(codeOf(() => tryBlock(sim, [forged]))).toBe("BLOCK_BAD_ENGINE_BODY/ATTESTATION_BAD_SIGNATURE");
    sim.block(20, { attestations: [] });
    expect(codeOf(() => tryBlock(sim, [other], {}, true, 21))).toBe(
      "BLOCK_BAD_ENGINE_BODY/ATTESTATION_DUPLICATE",
    );
  });
});
