/**
 * PoS byte layouts and signing roots (big-endian, canonical: every decoder rejects trailing bytes,
 * so encode(decode(b)) = b).
 *
 * Header engine fields (172 bytes): slot u64 | proposerIndex u32 | randaoReveal 64 | bodyRoot 32 | signature 64
 * Checkpoint (40): epoch u64 | root 32
 * AttestationData (120): slot u64 | head 32 | source Checkpoint | target Checkpoint
 * Attestation (188): validatorIndex u32 | data | signature 64
 * ProposerSlashing: two u16-length-prefixed header encodings (each with PoS engine fields)
 * AttesterSlashing (376): two attestations
 * PosBody: u16 count | attestations | u16 count | proposer slashings | u16 count | attester slashings
 *
 * Every signing root is sha256(tag || domain || payload) with domain = genesisConfigHash(genesis).
 */
import { decodeHeader, encodeHeader, type Header, MAX_HEADER_SIZE } from "../../core/block.ts";
import { Reader, Writer } from "../../core/encoding.ts";
import { bytesEqual, type Hash, sha256, utf8 } from "../../core/hash.ts";

/** Domain tag of block signing roots. */
export const BLOCK_TAG = utf8("chainlab/pos/block/v1");
/** Domain tag of attestation signing roots. */
export const ATTESTATION_TAG = utf8("chainlab/pos/attestation/v1");
/** Domain tag of RANDAO reveal signing roots. */
export const RANDAO_TAG = utf8("chainlab/pos/randao/v1");
/** Domain tag of the body commitment. */
export const BODY_TAG = utf8("chainlab/pos/body/v1");

/** Bytes of the PoS header engine fields. */
export const POS_FIELDS_SIZE = 8 + 4 + 64 + 32 + 64;
/** Bytes of a checkpoint. */
export const CHECKPOINT_SIZE = 40;
/** Bytes of attestation data (what is signed). */
export const ATTESTATION_DATA_SIZE = 8 + 32 + 2 * CHECKPOINT_SIZE;
/** Bytes of a signed attestation. */
export const ATTESTATION_SIZE = 4 + ATTESTATION_DATA_SIZE + 64;
/** Largest proposer slashing: two length-prefixed headers at their maximum. */
export const MAX_PROPOSER_SLASHING_SIZE = 2 * (2 + MAX_HEADER_SIZE);
/** Bytes of an attester slashing. */
export const ATTESTER_SLASHING_SIZE = 2 * ATTESTATION_SIZE;
/** An empty body: three zero counts. */
export const POS_BODY_FIXED_SIZE = 6;

/** The PoS engine fields of a header. */
export interface PosFields {
  slot: number;
  proposerIndex: number;
  /** The proposer's signature over randaoSigningRoot(domain, epoch of slot). */
  randaoReveal: Uint8Array;
  bodyRoot: Hash;
  /** The proposer's signature over blockSigningRoot(domain, header). */
  signature: Uint8Array;
}

/** An FFG checkpoint: the block root at the start of `epoch`. Epoch 0's root is ZERO_HASH (genesis). */
export interface Checkpoint {
  epoch: number;
  root: Hash;
}

/** What a validator votes for. */
export interface AttestationData {
  slot: number;
  head: Hash;
  source: Checkpoint;
  target: Checkpoint;
}

/** One validator's signed vote. */
export interface Attestation {
  validatorIndex: number;
  data: AttestationData;
  signature: Uint8Array;
}

/** A full header; its PoS fields carry the proposer's signature. */
export interface SignedHeader {
  header: Header;
}

/** Two signed headers of one proposer for one slot. */
export interface ProposerSlashing {
  a: Header;
  b: Header;
}

/** Two slashable attestations of one validator. */
export interface AttesterSlashing {
  a: Attestation;
  b: Attestation;
}

/** The engine body of a PoS block. */
export interface PosBody {
  attestations: Attestation[];
  proposerSlashings: ProposerSlashing[];
  attesterSlashings: AttesterSlashing[];
}

/** The list bounds of a body (from PosParams). */
export interface PosBodyLimits {
  maxAttestationsPerBlock: number;
  maxEvidencePerBlock: number;
}

/** The canonical engine fields of a PoS header. */
export function encodePosFields(f: PosFields): Uint8Array {
  return new Writer(POS_FIELDS_SIZE)
    .uint(f.slot)
    .u32(f.proposerIndex)
    .fixed(f.randaoReveal, 64)
    .fixed(f.bodyRoot, 32)
    .fixed(f.signature, 64)
    .finish();
}

/** Decodes the engine fields of a PoS header; throws DecodeError on any other length. */
export function decodePosFields(bytes: Uint8Array): PosFields {
  const r = new Reader(bytes, "pos fields");
  const f = {
    slot: r.uint("slot"),
    proposerIndex: r.u32("proposerIndex"),
    randaoReveal: r.fixed(64, "randaoReveal"),
    bodyRoot: r.fixed(32, "bodyRoot"),
    signature: r.fixed(64, "signature"),
  };
  r.end();
  return f;
}

function signingRoot(tag: Uint8Array, domain: Hash, payload: Uint8Array): Hash {
  return sha256(tag, domain, payload);
}

/** The root a proposer signs: the header encoding with the signature field zeroed. */
export function blockSigningRoot(domain: Hash, header: Header): Hash {
  const fields = decodePosFields(header.engine);
  const unsigned = { ...header, engine: encodePosFields({ ...fields, signature: new Uint8Array(64) }) };
  return signingRoot(BLOCK_TAG, domain, encodeHeader(unsigned));
}

/** The root a proposer signs as its RANDAO reveal for `epoch`. */
export function randaoSigningRoot(domain: Hash, epoch: number): Hash {
  return signingRoot(RANDAO_TAG, domain, new Writer(8).uint(epoch).finish());
}

function writeCheckpoint(w: Writer, c: Checkpoint): void {
  w.uint(c.epoch).fixed(c.root, 32);
}

function readCheckpoint(r: Reader, field: string): Checkpoint {
  return { epoch: r.uint(`${field}.epoch`), root: r.fixed(32, `${field}.root`) };
}

function writeAttestationData(w: Writer, d: AttestationData): void {
  w.uint(d.slot).fixed(d.head, 32);
  writeCheckpoint(w, d.source);
  writeCheckpoint(w, d.target);
}

function readAttestationData(r: Reader): AttestationData {
  return {
    slot: r.uint("slot"),
    head: r.fixed(32, "head"),
    source: readCheckpoint(r, "source"),
    target: readCheckpoint(r, "target"),
  };
}

/** The canonical encoding of attestation data. */
export function encodeAttestationData(d: AttestationData): Uint8Array {
  const w = new Writer(ATTESTATION_DATA_SIZE);
  writeAttestationData(w, d);
  return w.finish();
}

/** The root a validator signs for its vote. */
export function attestationSigningRoot(domain: Hash, data: AttestationData): Hash {
  return signingRoot(ATTESTATION_TAG, domain, encodeAttestationData(data));
}

function writeAttestation(w: Writer, a: Attestation): void {
  w.u32(a.validatorIndex);
  writeAttestationData(w, a.data);
  w.fixed(a.signature, 64);
}

function readAttestation(r: Reader): Attestation {
  return {
    validatorIndex: r.u32("validatorIndex"),
    data: readAttestationData(r),
    signature: r.fixed(64, "signature"),
  };
}

/** The canonical encoding of a signed attestation. */
export function encodeAttestation(a: Attestation): Uint8Array {
  const w = new Writer(ATTESTATION_SIZE);
  writeAttestation(w, a);
  return w.finish();
}

/** Decodes exactly one attestation (gossip messages). */
export function decodeAttestation(bytes: Uint8Array): Attestation {
  const r = new Reader(bytes, "attestation");
  const a = readAttestation(r);
  r.end();
  return a;
}

function writeHeaderBytes(w: Writer, h: Header): void {
  w.varBytes(encodeHeader(h), 2, MAX_HEADER_SIZE);
}

/** A header inside evidence: canonical, with PoS engine fields. */
function readPosHeader(r: Reader, field: string): Header {
  const bytes = r.varBytes(2, MAX_HEADER_SIZE, field);
  const header = decodeHeader(bytes);
  decodePosFields(header.engine);
  return header;
}

function writeProposerSlashing(w: Writer, s: ProposerSlashing): void {
  writeHeaderBytes(w, s.a);
  writeHeaderBytes(w, s.b);
}

function readProposerSlashing(r: Reader): ProposerSlashing {
  return { a: readPosHeader(r, "a"), b: readPosHeader(r, "b") };
}

/** The canonical encoding of a proposer slashing. */
export function encodeProposerSlashing(s: ProposerSlashing): Uint8Array {
  const w = new Writer(MAX_PROPOSER_SLASHING_SIZE);
  writeProposerSlashing(w, s);
  return w.finish();
}

/** Decodes exactly one proposer slashing (gossip, evidence txs). */
export function decodeProposerSlashing(bytes: Uint8Array): ProposerSlashing {
  const r = new Reader(bytes, "proposer slashing");
  const s = readProposerSlashing(r);
  r.end();
  return s;
}

/** The canonical encoding of an attester slashing. */
export function encodeAttesterSlashing(s: AttesterSlashing): Uint8Array {
  const w = new Writer(ATTESTER_SLASHING_SIZE);
  writeAttestation(w, s.a);
  writeAttestation(w, s.b);
  return w.finish();
}

/** Decodes exactly one attester slashing (gossip, evidence txs). */
export function decodeAttesterSlashing(bytes: Uint8Array): AttesterSlashing {
  const r = new Reader(bytes, "attester slashing");
  const s = { a: readAttestation(r), b: readAttestation(r) };
  r.end();
  return s;
}

/** A piece of slashing evidence on its own (gossip messages, `evidence` tx payloads). */
export type Evidence =
  | { kind: "proposer"; slashing: ProposerSlashing }
  | { kind: "attester"; slashing: AttesterSlashing };

const EVIDENCE_KINDS = { proposer: 1, attester: 2 } as const;

/** kind u8 (1 proposer, 2 attester) | the slashing's encoding. */
export function encodeEvidence(e: Evidence): Uint8Array {
  const body =
    e.kind === "proposer" ? encodeProposerSlashing(e.slashing) : encodeAttesterSlashing(e.slashing);
  return new Writer(1 + body.length).u8(EVIDENCE_KINDS[e.kind]).raw(body).finish();
}

/** Decodes exactly one piece of evidence; throws DecodeError. */
export function decodeEvidence(bytes: Uint8Array): Evidence {
  const r = new Reader(bytes.subarray(0, 1), "evidence");
  const kind = r.u8("kind");
  const rest = bytes.subarray(1);
  if (kind === EVIDENCE_KINDS.proposer) return { kind: "proposer", slashing: decodeProposerSlashing(rest) };
  if (kind === EVIDENCE_KINDS.attester) return { kind: "attester", slashing: decodeAttesterSlashing(rest) };
  return r.fail(`unknown evidence kind ${kind}`, { kind });
}

function checkLimit(n: number, max: number, field: string): void {
  if (n > max) throw new RangeError(`pos body: ${n} ${field} exceed ${max}`);
}

/** Encodes a body; throws RangeError when a list exceeds its bound (a producer bug). */
export function encodePosBody(b: PosBody, limits: PosBodyLimits): Uint8Array {
  checkLimit(b.attestations.length, limits.maxAttestationsPerBlock, "attestations");
  checkLimit(b.proposerSlashings.length, limits.maxEvidencePerBlock, "proposer slashings");
  checkLimit(b.attesterSlashings.length, limits.maxEvidencePerBlock, "attester slashings");
  const w = new Writer(POS_BODY_FIXED_SIZE + b.attestations.length * ATTESTATION_SIZE);
  w.u16(b.attestations.length);
  for (const a of b.attestations) writeAttestation(w, a);
  w.u16(b.proposerSlashings.length);
  for (const s of b.proposerSlashings) writeProposerSlashing(w, s);
  w.u16(b.attesterSlashings.length);
  for (const s of b.attesterSlashings) {
    writeAttestation(w, s.a);
    writeAttestation(w, s.b);
  }
  return w.finish();
}

/** Decodes a canonical body within `limits`; throws DecodeError (DECODE_TOO_LARGE for a list over its bound). */
export function decodePosBody(bytes: Uint8Array, limits: PosBodyLimits): PosBody {
  const r = new Reader(bytes, "pos body");
  const attestations: Attestation[] = [];
  const na = r.count(2, limits.maxAttestationsPerBlock, "attestations");
  for (let i = 0; i < na; i++) attestations.push(readAttestation(r));
  const proposerSlashings: ProposerSlashing[] = [];
  const np = r.count(2, limits.maxEvidencePerBlock, "proposerSlashings");
  for (let i = 0; i < np; i++) proposerSlashings.push(readProposerSlashing(r));
  const attesterSlashings: AttesterSlashing[] = [];
  const ns = r.count(2, limits.maxEvidencePerBlock, "attesterSlashings");
  for (let i = 0; i < ns; i++) attesterSlashings.push({ a: readAttestation(r), b: readAttestation(r) });
  r.end();
  return { attestations, proposerSlashings, attesterSlashings };
}

/** The body commitment a header carries in its PoS fields. */
export function bodyRoot(bodyBytes: Uint8Array): Hash {
  return sha256(BODY_TAG, bodyBytes);
}

/** An empty body's encoding (what a block without attestations or evidence carries). */
export const EMPTY_POS_BODY = new Uint8Array(POS_BODY_FIXED_SIZE);

/** Same epoch and root. */
export function checkpointsEqual(a: Checkpoint, b: Checkpoint): boolean {
  return a.epoch === b.epoch && bytesEqual(a.root, b.root);
}

/** Same slot, head, source and target. */
export function attestationDataEqual(a: AttestationData, b: AttestationData): boolean {
  return (
    a.slot === b.slot &&
    bytesEqual(a.head, b.head) &&
    checkpointsEqual(a.source, b.source) &&
    checkpointsEqual(a.target, b.target)
  );
}

function surrounds(a: AttestationData, b: AttestationData): boolean {
  return a.source.epoch < b.source.epoch && b.target.epoch < a.target.epoch;
}

/** consensus-specs is_slashable_attestation_data, in either order: double vote or surround vote. */
export function isSlashableAttestationData(a: AttestationData, b: AttestationData): boolean {
  const doubleVote = !attestationDataEqual(a, b) && a.target.epoch === b.target.epoch;
  return doubleVote || surrounds(a, b) || surrounds(b, a);
}

/** The PoS fields of a header; throws DecodeError when they are not PoS fields. */
export function posFieldsOf(header: Header): PosFields {
  return decodePosFields(header.engine);
}
