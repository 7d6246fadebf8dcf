/**
 * The engine's pools: a validator's second vote for a target epoch (double vote) or a vote that
 * surrounds or is surrounded by one pooled (surround vote) becomes evidence; exact duplicates are
 * recognised; inclusion picks earlier-slot votes of this and the previous epoch, newest first,
 * bounded; a proposer's second header for a slot becomes evidence; pools stay bounded.
 */
import { describe, expect, it } from "vitest";
import {
  AttestationPool,
  EvidencePool,
  HEADER_WINDOW_SLOTS,
  HeaderWatch,
  HISTORY_PER_VALIDATOR,
} from "../../../../src/consensus/pos/pool.ts";
import { type Attestation, encodePosFields } from "../../../../src/consensus/pos/types.ts";
import { HEADER_VERSION, type Header } from "../../../../src/core/block.ts";
import { sha256, utf8 } from "../../../../src/core/hash.ts";

const root = (s: string) => sha256(utf8(s));
const SPE = 4;

function att(
  validatorIndex: number,
  slot: number,
  o: { source?: number; head?: string; target?: number } = {},
): Attestation {
  const target = o.target ?? Math.floor(slot / SPE);
  return {
    validatorIndex,
    data: {
      slot,
      head: root(o.head ?? `head-${slot}`),
      source: { epoch: o.source ?? Math.max(0, target - 1), root: root(`cp-${o.source ?? target - 1}`) },
      target: { epoch: target, root: root(`cp-${target}`) },
    },
    signature: new Uint8Array(64).fill(validatorIndex + 1),
  };
}

function header(slot: number, proposerIndex: number, beneficiaryByte: number): Header {
  return {
    version: HEADER_VERSION,
    height: slot,
    parentHash: root("parent"),
    txRoot: new Uint8Array(32),
    stateRoot: new Uint8Array(32),
    beneficiary: new Uint8Array(20).fill(beneficiaryByte),
    timestamp: slot * 1000,
    engine: encodePosFields({
      slot,
      proposerIndex,
      randaoReveal: new Uint8Array(64),
      bodyRoot: new Uint8Array(32),
      signature: new Uint8Array(64),
    }),
  };
}

describe("attestation pool", () => {
  const cases: { name: string; first: Attestation; second: Attestation; expected: string }[] = [
    { name: "the same vote twice", first: att(0, 5), second: att(0, 5), expected: "duplicate" },
    {
      name: "a double vote (same target, other head)",
      first: att(0, 5),
      second: att(0, 5, { head: "other" }),
      expected: "slashable",
    },
    {
      name: "a surround vote (wider span)",
      first: att(0, 9, { source: 1 }),
      second: att(0, 13, { source: 0 }),
      expected: "slashable",
    },
    {
      name: "a surrounded vote",
      first: att(0, 13, { source: 0 }),
      second: att(0, 9, { source: 1 }),
      expected: "slashable",
    },
    { name: "the next epoch's vote", first: att(0, 5), second: att(0, 9), expected: "new" },
    { name: "another validator's same vote", first: att(0, 5), second: att(1, 5), expected: "new" },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.expected}`, () => {
      const pool = new AttestationPool();
      expect(pool.add(c.first).kind).toBe("new");
      const r = pool.add(c.second);
      expect(r.kind).toBe(c.expected);
      if (r.kind === "slashable") {
        expect(r.evidence.a).toBe(c.first);
        expect(r.evidence.b).toBe(c.second);
      }
    });
  }

  it("offers earlier-slot votes of this and the previous epoch, newest first, bounded and filtered", () => {
    const pool = new AttestationPool();
    for (const [v, slot] of [
      [0, 2],
      [1, 5],
      [2, 6],
      [3, 8],
      [4, 9],
    ] as const) {
      pool.add(att(v, slot));
    }
    // A block at slot 9 (epoch 2): slots 4..8 qualify, not 2 (epoch 0) nor 9 (not earlier).
    expect(pool.forBlock(9, SPE, 10, () => true).map((a) => a.data.slot)).toEqual([8, 6, 5]);
    expect(pool.forBlock(9, SPE, 2, () => true).map((a) => a.data.slot)).toEqual([8, 6]);
    expect(pool.forBlock(9, SPE, 10, (a) => a.validatorIndex !== 2).map((a) => a.data.slot)).toEqual([8, 5]);
  });

  it("keeps a bounded history per validator and prunes below an epoch", () => {
    const pool = new AttestationPool();
    for (let e = 0; e < HISTORY_PER_VALIDATOR + 5; e++) pool.add(att(0, e * SPE));
    expect(pool.size).toBe(HISTORY_PER_VALIDATOR);
    pool.prune(10);
    expect(pool.size).toBe(3);
  });
});

describe("header watch and evidence pool", () => {
  it("turns a proposer's second header for a slot into evidence, not the same header twice", () => {
    const w = new HeaderWatch();
    expect(w.observe(header(7, 2, 1))).toBeUndefined();
    expect(w.observe(header(7, 2, 1))).toBeUndefined();
    expect(w.observe(header(7, 3, 1))).toBeUndefined();
    const s = w.observe(header(7, 2, 9));
    expect(s).toBeDefined();
    const pool = new EvidencePool();
    expect(pool.addProposer(s!, 1)).toBe(true);
    expect(pool.addProposer(s!, 2)).toBe(false);
    expect(pool.seen()).toMatchObject([{ kind: "proposer", validatorIndex: 2, at: 7 }]);
  });

  it("forgets headers older than the window", () => {
    const w = new HeaderWatch();
    w.observe(header(1, 0, 1));
    w.observe(header(2 + HEADER_WINDOW_SLOTS, 0, 1));
    expect(w.observe(header(1, 0, 2))).toBeUndefined();
  });

  it("offers pooled evidence the state still accepts, bounded per kind", () => {
    const pool = new EvidencePool();
    const a = new AttestationPool();
    a.add(att(4, 5));
    const r = a.add(att(4, 5, { head: "x" }));
    if (r.kind !== "slashable") throw new Error("expected evidence");
    expect(pool.addAttester(r.evidence, 1, () => "id")).toBe(true);
    expect(pool.hasAttester(4)).toBe(true);
    expect(pool.forBlock(1, { proposer: () => true, attester: () => true }).attesterSlashings).toHaveLength(
      1,
    );
    expect(pool.forBlock(1, { proposer: () => true, attester: () => false }).attesterSlashings).toHaveLength(
      0,
    );
    expect(pool.forBlock(0, { proposer: () => true, attester: () => true }).attesterSlashings).toHaveLength(
      0,
    );
  });
});
