import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ATTESTATION_SIZE,
  type Attestation,
  attestationSigningRoot,
  blockSigningRoot,
  decodeAttestation,
  decodeAttesterSlashing,
  decodeEvidence,
  decodePosBody,
  decodePosFields,
  decodeProposerSlashing,
  EMPTY_POS_BODY,
  encodeAttestation,
  encodeAttesterSlashing,
  encodeEvidence,
  encodePosBody,
  encodePosFields,
  encodeProposerSlashing,
  isSlashableAttestationData,
  POS_FIELDS_SIZE,
  type PosBody,
  type PosFields,
  type ProposerSlashing,
  randaoSigningRoot,
} from "../../../../src/consensus/pos/types.ts";
import type { Header } from "../../../../src/core/block.ts";
import { DecodeError } from "../../../../src/core/errors.ts";
import { sha256, toHex } from "../../../../src/core/hash.ts";
import {
  bytes,
  expectCanonicalOrDecodeError,
  hashArb,
  headerArb,
  hexify,
  mutate,
  mutationArb,
  safeUintArb,
  u32Arb,
} from "../../core/codec-helpers.ts";

const LIMITS = { maxAttestationsPerBlock: 4, maxEvidencePerBlock: 2 };

const fieldsArb: fc.Arbitrary<PosFields> = fc.record({
  slot: safeUintArb,
  proposerIndex: u32Arb,
  randaoReveal: bytes(64),
  bodyRoot: hashArb,
  signature: bytes(64),
});

const posHeaderArb: fc.Arbitrary<Header> = fc
  .tuple(headerArb, fieldsArb)
  .map(([h, f]) => ({ ...h, engine: encodePosFields(f) }));

const checkpointArb = fc.record({ epoch: safeUintArb, root: hashArb });
const dataArb = fc.record({ slot: safeUintArb, head: hashArb, source: checkpointArb, target: checkpointArb });
const attestationArb: fc.Arbitrary<Attestation> = fc.record({
  validatorIndex: u32Arb,
  data: dataArb,
  signature: bytes(64),
});
const proposerSlashingArb: fc.Arbitrary<ProposerSlashing> = fc.record({ a: posHeaderArb, b: posHeaderArb });
const bodyArb: fc.Arbitrary<PosBody> = fc.record({
  attestations: fc.array(attestationArb, { maxLength: LIMITS.maxAttestationsPerBlock }),
  proposerSlashings: fc.array(proposerSlashingArb, { maxLength: LIMITS.maxEvidencePerBlock }),
  attesterSlashings: fc.array(fc.record({ a: attestationArb, b: attestationArb }), {
    maxLength: LIMITS.maxEvidencePerBlock,
  }),
});

const decodeBody = (b: Uint8Array) => decodePosBody(b, LIMITS);
const encodeBody = (b: PosBody) => encodePosBody(b, LIMITS);

describe("pos layouts", () => {
  it("round-trip and have the documented sizes", () => {
    fc.assert(
      fc.property(fieldsArb, attestationArb, bodyArb, (f, a, body) => {
        const fb = encodePosFields(f);
        expect(fb.length).toBe(POS_FIELDS_SIZE);
        expect(hexify(decodePosFields(fb))).toEqual(hexify(f));
        const ab = encodeAttestation(a);
        expect(ab.length).toBe(ATTESTATION_SIZE);
        expect(hexify(decodeAttestation(ab))).toEqual(hexify(a));
        const bb = encodeBody(body);
        expect(hexify(decodeBody(bb))).toEqual(hexify(body));
        expect(toHex(encodeBody(decodeBody(bb)))).toBe(toHex(bb));
      }),
      { numRuns: 200 },
    );
  });

  it("evidence items round-trip on their own", () => {
    fc.assert(
      fc.property(proposerSlashingArb, attestationArb, attestationArb, (ps, a, b) => {
        expect(hexify(decodeProposerSlashing(encodeProposerSlashing(ps)))).toEqual(hexify(ps));
        expect(hexify(decodeAttesterSlashing(encodeAttesterSlashing({ a, b })))).toEqual(hexify({ a, b }));
        for (const e of [
          { kind: "proposer" as const, slashing: ps },
          { kind: "attester" as const, slashing: { a, b } },
        ]) {
          expect(hexify(decodeEvidence(encodeEvidence(e)))).toEqual(hexify(e));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("refuses evidence of an unknown kind or with trailing bytes", () => {
    const [ps] = fc.sample(proposerSlashingArb, { numRuns: 1, seed: 8 });
    const b = encodeEvidence({ kind: "proposer", slashing: ps! });
    expect(() => decodeEvidence(Uint8Array.of(3, ...b.subarray(1)))).toThrow(DecodeError);
    expect(() => decodeEvidence(new Uint8Array([...b, 0]))).toThrow(DecodeError);
    expect(() => decodeEvidence(new Uint8Array(0))).toThrow(DecodeError);
  });

  it("the empty body is six zero bytes and decodes to empty lists", () => {
    expect(toHex(encodeBody({ attestations: [], proposerSlashings: [], attesterSlashings: [] }))).toBe(
      toHex(EMPTY_POS_BODY),
    );
    expect(decodeBody(EMPTY_POS_BODY)).toEqual({
      attestations: [],
      proposerSlashings: [],
      attesterSlashings: [],
    });
  });

  it("every damaged encoding is canonical or a DecodeError", () => {
    const outcomes: string[] = [];
    fc.assert(
      fc.property(bodyArb, mutationArb, (body, m) => {
        const b = encodeBody(body);
        // The three list counts are the prefixes; their offsets depend on the lists before them.
        const p1 = 2 + body.attestations.length * ATTESTATION_SIZE;
        const p2 = p1 + 2 + encodeBody({ ...body, attestations: [], attesterSlashings: [] }).length - 6;
        const prefixes = [
          { offset: 0, width: 2 as const },
          { offset: p1, width: 2 as const },
          { offset: p2, width: 2 as const },
        ];
        outcomes.push(expectCanonicalOrDecodeError(decodeBody, encodeBody, mutate(b, prefixes, m)));
      }),
      { numRuns: 400 },
    );
    expect(outcomes.filter((o) => o !== "ACCEPTED").length).toBeGreaterThan(100);
  });

  it("decoders reject trailing bytes and truncation", () => {
    const a = encodeAttestation(fc.sample(attestationArb, { numRuns: 1, seed: 1 })[0]!);
    expect(() => decodeAttestation(new Uint8Array([...a, 0]))).toThrow(
      expect.objectContaining({ code: "DECODE_TRAILING_BYTES" }),
    );
    expect(() => decodeAttestation(a.subarray(0, a.length - 1))).toThrow(DecodeError);
    const f = encodePosFields(fc.sample(fieldsArb, { numRuns: 1, seed: 2 })[0]!);
    expect(() => decodePosFields(new Uint8Array([...f, 0]))).toThrow(
      expect.objectContaining({ code: "DECODE_TRAILING_BYTES" }),
    );
    expect(() => decodePosBody(new Uint8Array([...EMPTY_POS_BODY, 0]), LIMITS)).toThrow(
      expect.objectContaining({ code: "DECODE_TRAILING_BYTES" }),
    );
  });

  it("refuses lists over their bound before reading them, and encoders refuse to write them", () => {
    const over = new Uint8Array(6);
    over[1] = LIMITS.maxAttestationsPerBlock + 1;
    expect(() => decodePosBody(over, LIMITS)).toThrow(expect.objectContaining({ code: "DECODE_TOO_LARGE" }));
    const ev = new Uint8Array(6);
    ev[3] = LIMITS.maxEvidencePerBlock + 1;
    expect(() => decodePosBody(ev, LIMITS)).toThrow(expect.objectContaining({ code: "DECODE_TOO_LARGE" }));
    const a = fc.sample(attestationArb, { numRuns: 5, seed: 3 });
    expect(() =>
      encodePosBody({ attestations: a, proposerSlashings: [], attesterSlashings: [] }, LIMITS),
    ).toThrow(RangeError);
  });

  it("refuses evidence whose headers carry no PoS fields", () => {
    const [h] = fc.sample(posHeaderArb, { numRuns: 1, seed: 4 });
    const bad = { ...h!, engine: new Uint8Array(16) };
    expect(() => decodeProposerSlashing(encodeProposerSlashing({ a: h!, b: bad }))).toThrow(DecodeError);
  });
});

describe("signing roots", () => {
  const domain = sha256(new Uint8Array([1]));
  const other = sha256(new Uint8Array([2]));

  it("the block root ignores the signature and covers every other field, per chain", () => {
    const [h] = fc.sample(posHeaderArb, { numRuns: 1, seed: 5 });
    const f = decodePosFields(h!.engine);
    const resigned = { ...h!, engine: encodePosFields({ ...f, signature: new Uint8Array(64).fill(7) }) };
    expect(toHex(blockSigningRoot(domain, resigned))).toBe(toHex(blockSigningRoot(domain, h!)));
    const moved = { ...h!, engine: encodePosFields({ ...f, slot: f.slot === 0 ? 1 : f.slot - 1 }) };
    expect(toHex(blockSigningRoot(domain, moved))).not.toBe(toHex(blockSigningRoot(domain, h!)));
    expect(toHex(blockSigningRoot(other, h!))).not.toBe(toHex(blockSigningRoot(domain, h!)));
  });

  it("randao and attestation roots are domain-separated from each other and per chain", () => {
    const [a] = fc.sample(attestationArb, { numRuns: 1, seed: 6 });
    const roots = [
      randaoSigningRoot(domain, 3),
      randaoSigningRoot(domain, 4),
      randaoSigningRoot(other, 3),
      attestationSigningRoot(domain, a!.data),
      attestationSigningRoot(other, a!.data),
    ].map(toHex);
    expect(new Set(roots).size).toBe(roots.length);
  });
});

describe("isSlashableAttestationData", () => {
  const root = (n: number) => new Uint8Array(32).fill(n);
  const data = (slot: number, s: number, t: number, head = 0) => ({
    slot,
    head: root(head),
    source: { epoch: s, root: root(s) },
    target: { epoch: t, root: root(t + 100) },
  });
  const cases: [string, ReturnType<typeof data>, ReturnType<typeof data>, boolean][] = [
    ["identical votes", data(9, 0, 1), data(9, 0, 1), false],
    ["double vote: another head, same target epoch", data(9, 0, 1, 1), data(9, 0, 1, 2), true],
    ["double vote: another slot, same target epoch", data(9, 0, 1), data(10, 0, 1), true],
    ["surround: a surrounds b", data(40, 1, 5), data(20, 2, 3), true],
    ["surround: b surrounds a", data(20, 2, 3), data(40, 1, 5), true],
    ["consecutive votes", data(9, 0, 1), data(17, 1, 2), false],
    ["same source, later target", data(9, 1, 2), data(17, 1, 3), false],
    ["same target epoch, shared source (not surround)", data(40, 1, 5), data(40, 1, 5), false],
  ];
  for (const [name, a, b, expected] of cases) {
    it(name, () => expect(isSlashableAttestationData(a, b)).toBe(expected));
  }
});
