import { describe, expect, it } from "vitest";
import {
  slashValidator,
  verifyAttesterSlashing,
  verifyProposerSlashing,
} from "../../../../src/consensus/pos/slashing.ts";
import {
  type AttestationData,
  type AttesterSlashing,
  blockSigningRoot,
  decodePosFields,
  encodePosFields,
  type ProposerSlashing,
} from "../../../../src/consensus/pos/types.ts";
import { readPosState, writePosState } from "../../../../src/consensus/pos/validators.ts";
import type { Header } from "../../../../src/core/block.ts";
import { sha256 } from "../../../../src/core/hash.ts";
import { StateOverlay } from "../../../../src/core/state.ts";
import { applyTx } from "../../../../src/core/state-transition.ts";
import type { Tx } from "../../../../src/core/tx.ts";
import { addressBytesOf } from "../../../../src/crypto/address.ts";
import { sign } from "../../../../src/crypto/ed25519.ts";
import { COIN, DOMAIN, PosSim, testKey } from "./sim.ts";

const EFF = 32n * COIN;
const PENALTY = EFF / 128n; // 25_000_000
const WHISTLEBLOWER = EFF / 512n; // 6_250_000, of which the proposer gets 1/8
const PROPOSER = WHISTLEBLOWER / 8n;

function header(sim: PosSim, proposerIndex: number, slot: number, variant: number): Header {
  const unsigned: Header = {
    version: 1,
    height: slot,
    parentHash: new Uint8Array(32),
    txRoot: new Uint8Array(32),
    stateRoot: sha256(Uint8Array.of(variant)),
    beneficiary: new Uint8Array(20),
    timestamp: slot * 1000,
    engine: encodePosFields({
      slot,
      proposerIndex,
      randaoReveal: new Uint8Array(64),
      bodyRoot: new Uint8Array(32),
      signature: new Uint8Array(64),
    }),
  };
  const signature = sign(blockSigningRoot(DOMAIN, unsigned), sim.keys[proposerIndex]!.secretKey);
  return {
    ...unsigned,
    engine: encodePosFields({
      slot,
      proposerIndex,
      randaoReveal: new Uint8Array(64),
      bodyRoot: new Uint8Array(32),
      signature,
    }),
  };
}

/** The header with another proposer index (its signature no longer verifies). */
function reindex(h: Header, proposerIndex: number): Header {
  return { ...h, engine: encodePosFields({ ...decodePosFields(h.engine), proposerIndex }) };
}

const data = (slot: number, source: number, target: number, head = 0): AttestationData => ({
  slot,
  head: new Uint8Array(32).fill(head),
  source: { epoch: source, root: new Uint8Array(32).fill(source) },
  target: { epoch: target, root: new Uint8Array(32).fill(100 + target) },
});

function evidence(sim: PosSim) {
  const proposer: ProposerSlashing = { a: header(sim, 3, 5, 1), b: header(sim, 3, 5, 2) };
  const doubleVote: AttesterSlashing = {
    a: sim.signAttestation(4, data(9, 0, 1, 1)),
    b: sim.signAttestation(4, data(9, 0, 1, 2)),
  };
  const surround: AttesterSlashing = {
    a: sim.signAttestation(5, data(25, 0, 3)),
    b: sim.signAttestation(5, data(17, 1, 2)),
  };
  return { proposer, doubleVote, surround };
}

const codeOf = (run: () => unknown): string => {
  try {
    run();
    return "OK";
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe("slashing", () => {
  it("(a) equivocation, (b) double vote, (c) surround vote: exact penalties, rewards, exit and correlation penalty", () => {
    const sim = new PosSim({ validators: 12 });
    sim.runTo(16);
    const e = evidence(sim);
    const beneficiary = new Uint8Array(20).fill(0xee);
    const addresses = [...sim.keys.map((k) => addressBytesOf(k.publicKey)), beneficiary];
    const supply = sim.supply(addresses);
    const poolBefore = sim.pos().rewardPool;
    sim.block(
      17,
      { proposerSlashings: [e.proposer], attesterSlashings: [e.doubleVote, e.surround] },
      [],
      beneficiary,
    );
    // Slashed at epoch 2: exit 2 + 1 + 2 = 5, locked until max(5 + 8, 2 + 16) = 18.
    for (const i of [3, 4, 5]) {
      expect(sim.validator(i)).toMatchObject({
        slashed: true,
        stake: EFF - PENALTY,
        exitEpoch: 5,
        withdrawableEpoch: 18,
      });
    }
    // The proposer found the evidence: it is paid both shares of each of the three.
    expect(sim.balance(beneficiary)).toBe(3n * WHISTLEBLOWER);
    expect(sim.pos().rewardPool - poolBefore).toBe(3n * (PENALTY - WHISTLEBLOWER));
    expect(sim.pos().slashings[2]).toBe(3n * EFF);
    expect(sim.supply(addresses)).toBe(supply);
    // The correlation penalty falls at epoch 18 - 16/2 = 10: 32 * min(96 * 1, 288) / 288 = 10 whole coins
    // (9 validators of 32 remain active).
    sim.runToEpoch(10);
    const before = sim.validator(3).stake;
    expect(before).toBe(EFF - PENALTY);
    sim.runToEpoch(11);
    expect(before - sim.validator(3).stake).toBe(10n * COIN);
    expect(sim.supply(addresses)).toBe(supply);
    // Slashed validators stay slashed and locked; once withdrawable their remainder is paid out.
    sim.runToEpoch(18);
    expect(sim.balance(addressBytesOf(sim.keys[4]!.publicKey))).toBe(EFF - PENALTY - 10n * COIN);
    expect(sim.validator(4).stake).toBe(0n);
    expect(sim.supply(addresses)).toBe(supply);
  });

  it("splits the reward between whistleblower and proposer when they differ", () => {
    const sim = new PosSim({ validators: 4 });
    const state = new StateOverlay(sim.state);
    const pos = readPosState(state);
    const w = new Uint8Array(20).fill(1);
    const p = new Uint8Array(20).fill(2);
    const out = slashValidator(state, pos, 1, w, p, 0, sim.params);
    writePosState(state, pos);
    expect(out).toEqual({
      penalty: PENALTY,
      whistleblowerReward: WHISTLEBLOWER - PROPOSER,
      proposerReward: PROPOSER,
    });
    expect(state.getAccount(w).balance).toBe(5_468_750n);
    expect(state.getAccount(p).balance).toBe(781_250n);
    expect(readPosState(state).rewardPool).toBe(PENALTY - WHISTLEBLOWER);
  });

  it("refuses bad evidence with typed codes", () => {
    const sim = new PosSim({ validators: 12 });
    sim.runTo(9);
    const e = evidence(sim);
    const verifyP = (s: ProposerSlashing) =>
      codeOf(() => verifyProposerSlashing(sim.state, s, DOMAIN, sim.params));
    const verifyA = (s: AttesterSlashing) =>
      codeOf(() => verifyAttesterSlashing(sim.state, s, DOMAIN, sim.params));
    const forged = { ...e.doubleVote, b: { ...e.doubleVote.b, signature: e.doubleVote.a.signature } };
    const cases: [string, string, string][] = [
      ["valid proposer evidence", verifyP(e.proposer), "OK"],
      ["valid double vote", verifyA(e.doubleVote), "OK"],
      ["valid surround vote", verifyA(e.surround), "OK"],
      ["two slots", verifyP({ a: e.proposer.a, b: header(sim, 3, 6, 2) }), "EVIDENCE_NOT_SLASHABLE"],
      ["one header twice", verifyP({ a: e.proposer.a, b: e.proposer.a }), "EVIDENCE_NOT_SLASHABLE"],
      ["two proposers", verifyP({ a: e.proposer.a, b: header(sim, 2, 5, 2) }), "EVIDENCE_NOT_SLASHABLE"],
      [
        "an unknown proposer",
        verifyP({ a: reindex(e.proposer.a, 99), b: reindex(e.proposer.b, 99) }),
        "EVIDENCE_UNKNOWN_VALIDATOR",
      ],
      [
        "two validators",
        verifyA({ a: e.doubleVote.a, b: sim.signAttestation(6, data(9, 0, 1, 2)) }),
        "EVIDENCE_NOT_SLASHABLE",
      ],
      [
        "consecutive votes",
        verifyA({ a: sim.signAttestation(4, data(9, 0, 1)), b: sim.signAttestation(4, data(17, 1, 2)) }),
        "EVIDENCE_NOT_SLASHABLE",
      ],
      ["a forged signature", verifyA(forged), "EVIDENCE_BAD_SIGNATURE"],
      [
        "a forged header signature",
        verifyP({ a: e.proposer.a, b: { ...e.proposer.b, engine: e.proposer.a.engine } }),
        "EVIDENCE_BAD_SIGNATURE",
      ],
      [
        "an unknown validator",
        verifyA({
          a: { ...e.doubleVote.a, validatorIndex: 99 },
          b: { ...e.doubleVote.b, validatorIndex: 99 },
        }),
        "EVIDENCE_UNKNOWN_VALIDATOR",
      ],
    ];
    for (const [name, got, expected] of cases) expect(`${name}: ${got}`).toBe(`${name}: ${expected}`);
    // Already slashed, after a block included the evidence.
    sim.block(10, { attesterSlashings: [e.doubleVote] });
    expect(verifyA(e.doubleVote)).toBe("EVIDENCE_ALREADY_SLASHED");
    expect(verifyA({ a: e.doubleVote.b, b: sim.signAttestation(4, data(9, 0, 1, 3)) })).toBe(
      "EVIDENCE_ALREADY_SLASHED",
    );
  });

  it("an evidence tx pays its sender both shares and refuses bad evidence with typed codes", () => {
    const key = testKey(0, "whistleblower");
    const sim = new PosSim({ validators: 12, alloc: [{ key, balance: COIN }] });
    const address = addressBytesOf(key.publicKey);
    sim.runTo(9);
    const e = evidence(sim);
    sim.block(10, {}, [sim.evidenceTx(key, { kind: "attester", slashing: e.doubleVote }, 0)]);
    expect(sim.validator(4)).toMatchObject({ slashed: true, stake: EFF - PENALTY });
    expect(sim.balance(address)).toBe(COIN - 1000n + WHISTLEBLOWER);
    const txCode = (tx: Tx) => {
      try {
        applyTx(new StateOverlay(sim.state), tx, 11, sim.engineTx);
        return "OK";
      } catch (err) {
        const x = err as { code: string; data: { reason?: string } };
        return x.data.reason === undefined ? x.code : `${x.code}/${x.data.reason}`;
      }
    };
    const again = sim.evidenceTx(key, { kind: "attester", slashing: e.doubleVote }, 1);
    expect(txCode(again)).toBe("TX_BAD_EVIDENCE/EVIDENCE_ALREADY_SLASHED");
    expect(txCode({ ...again, payload: Uint8Array.of(9) })).toBe("TX_MALFORMED");
    expect(txCode({ ...again, amount: 1n })).toBe("TX_MALFORMED");
    expect(txCode(sim.evidenceTx(key, { kind: "proposer", slashing: e.proposer }, 1))).toBe("OK");
    const off = new PosSim({
      validators: 4,
      params: { slashingEnabled: false },
      alloc: [{ key, balance: COIN }],
    });
    const offTx = off.evidenceTx(key, { kind: "proposer", slashing: e.proposer }, 0);
    expect(() => applyTx(new StateOverlay(off.state), offTx, 1, off.engineTx)).toThrow(
      expect.objectContaining({ code: "TX_UNSUPPORTED_KIND" }),
    );
  });

  it("a body with duplicate, already-slashed or disabled evidence is invalid, naming the item's code", () => {
    const sim = new PosSim({ validators: 12 });
    sim.runTo(9);
    const e = evidence(sim);
    const reason = (run: () => unknown) => {
      try {
        run();
        return "OK";
      } catch (err) {
        expect(err).toMatchObject({ code: "BLOCK_BAD_ENGINE_BODY" });
        return (err as { data: { reason: string } }).data.reason;
      }
    };
    expect(reason(() => sim.block(10, { attesterSlashings: [e.doubleVote, e.doubleVote] }))).toBe(
      "EVIDENCE_DUPLICATE",
    );
    const sameOffender = { a: e.doubleVote.a, b: sim.signAttestation(4, data(9, 0, 1, 3)) };
    expect(reason(() => sim.block(10, { attesterSlashings: [e.doubleVote, sameOffender] }))).toBe(
      "EVIDENCE_ALREADY_SLASHED",
    );
    const forged = { a: e.proposer.a, b: { ...e.proposer.b, engine: e.proposer.a.engine } };
    expect(reason(() => sim.block(10, { proposerSlashings: [forged] }))).toBe("EVIDENCE_BAD_SIGNATURE");
    // Nothing was written by the refused blocks.
    expect(sim.validator(4).slashed).toBe(false);
    const off = new PosSim({ validators: 12, params: { slashingEnabled: false } });
    off.runTo(9);
    expect(reason(() => off.block(10, { attesterSlashings: [evidence(off).doubleVote] }))).toBe(
      "EVIDENCE_DISABLED",
    );
  });
});
