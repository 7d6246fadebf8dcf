/**
 * The engine's message pools: verified attestations waiting for inclusion (and the per-validator
 * history that exposes double and surround votes), the signed headers seen per slot (which
 * expose a proposer's two blocks for one slot), and slashing evidence waiting for inclusion.
 * Every pool is bounded: attestations by validator and target epoch, headers by a window of slots,
 * evidence by offender. Only messages whose signatures were checked enter.
 */
import { type Header, headerHash } from "../../core/block.ts";
import { bytesEqual, toHex } from "../../core/hash.ts";
import {
  type Attestation,
  type AttesterSlashing,
  attestationDataEqual,
  isSlashableAttestationData,
  type ProposerSlashing,
  posFieldsOf,
} from "./types.ts";

/** Attestations kept per validator (distinct target epochs): enough for surround checks across the window. */
export const HISTORY_PER_VALIDATOR = 8;
/** Slots of signed headers kept for equivocation checks. */
export const HEADER_WINDOW_SLOTS = 64;

/** What adding an attestation found. */
export type AddAttestationResult =
  | { kind: "new" }
  | { kind: "duplicate" }
  | { kind: "slashable"; evidence: AttesterSlashing };

/** Verified attestations by validator; each validator's history exposes its slashable pairs. */
export class AttestationPool {
  private readonly byValidator = new Map<number, Attestation[]>();

  /** Adds a verified attestation; a second, conflicting one returns the evidence and is not pooled. */
  add(att: Attestation): AddAttestationResult {
    const list = this.byValidator.get(att.validatorIndex) ?? [];
    for (const prev of list) {
      if (attestationDataEqual(prev.data, att.data)) return { kind: "duplicate" };
      if (isSlashableAttestationData(prev.data, att.data)) {
        return { kind: "slashable", evidence: { a: prev, b: att } };
      }
    }
    list.push(att);
    list.sort((x, y) => x.data.target.epoch - y.data.target.epoch);
    if (list.length > HISTORY_PER_VALIDATOR) list.shift();
    this.byValidator.set(att.validatorIndex, list);
    return { kind: "new" };
  }

  /** True when this exact vote is pooled. */
  has(att: Attestation): boolean {
    return (this.byValidator.get(att.validatorIndex) ?? []).some((a) =>
      attestationDataEqual(a.data, att.data),
    );
  }

  /**
   * Attestations a block at `slot` may include, newest first, at most `limit`: from an earlier slot,
   * of this or the previous epoch, and not refused by `keep` (e.g. already counted in the state).
   */
  forBlock(
    slot: number,
    slotsPerEpoch: number,
    limit: number,
    keep: (a: Attestation) => boolean,
  ): Attestation[] {
    const epoch = Math.floor(slot / slotsPerEpoch);
    const out: Attestation[] = [];
    for (const list of this.byValidator.values()) {
      for (const a of list) {
        const e = Math.floor(a.data.slot / slotsPerEpoch);
        if (a.data.slot < slot && e >= epoch - 1 && keep(a)) out.push(a);
      }
    }
    out.sort((x, y) => y.data.slot - x.data.slot || x.validatorIndex - y.validatorIndex);
    return out.slice(0, limit);
  }

  /** Drops votes whose target epoch is below `epoch` (finalized: no longer includable or useful). */
  prune(epoch: number): void {
    for (const [i, list] of this.byValidator) {
      const kept = list.filter((a) => a.data.target.epoch >= epoch);
      if (kept.length === 0) this.byValidator.delete(i);
      else this.byValidator.set(i, kept);
    }
  }

  get size(): number {
    let n = 0;
    for (const list of this.byValidator.values()) n += list.length;
    return n;
  }
}

/** Signed headers by slot and proposer: a second header for the same pair is proposer equivocation. */
export class HeaderWatch {
  private readonly bySlot = new Map<number, Map<number, Header>>();

  /** Records a header whose proposer signature verified; returns evidence if it conflicts with one seen. */
  observe(header: Header): ProposerSlashing | undefined {
    const f = posFieldsOf(header);
    let slot = this.bySlot.get(f.slot);
    if (slot === undefined) {
      slot = new Map();
      this.bySlot.set(f.slot, slot);
      this.trim(f.slot);
    }
    const prev = slot.get(f.proposerIndex);
    if (prev === undefined) {
      slot.set(f.proposerIndex, header);
      return undefined;
    }
    if (bytesEqual(headerHash(prev), headerHash(header))) return undefined;
    return { a: prev, b: header };
  }

  private trim(newest: number): void {
    for (const s of this.bySlot.keys()) if (s + HEADER_WINDOW_SLOTS < newest) this.bySlot.delete(s);
  }
}

/** A slashing proven to this node, as consensus_status reports it. */
export interface EvidenceRecord {
  kind: "proposer" | "attester";
  validatorIndex: number;
  /** Slot (proposer) or target epoch (attester) of the offence. */
  at: number;
  /** Hashes of the two conflicting messages. */
  messages: [string, string];
  seenAt: number;
}

/** Evidence waiting for a proposer to include it, one per offender and kind. */
export class EvidencePool {
  private readonly proposer = new Map<number, ProposerSlashing>();
  private readonly attester = new Map<number, AttesterSlashing>();
  private readonly records = new Map<string, EvidenceRecord>();

  /** Adds proposer evidence; false when evidence against this proposer is already pooled. */
  addProposer(s: ProposerSlashing, now: number): boolean {
    const f = posFieldsOf(s.a);
    if (this.proposer.has(f.proposerIndex)) return false;
    this.proposer.set(f.proposerIndex, s);
    this.records.set(`p${f.proposerIndex}`, {
      kind: "proposer",
      validatorIndex: f.proposerIndex,
      at: f.slot,
      messages: [toHex(headerHash(s.a)), toHex(headerHash(s.b))],
      seenAt: now,
    });
    return true;
  }

  /** Adds attester evidence; false when evidence against this validator is already pooled. */
  addAttester(s: AttesterSlashing, now: number, messageId: (a: Attestation) => string): boolean {
    const i = s.a.validatorIndex;
    if (this.attester.has(i)) return false;
    this.attester.set(i, s);
    this.records.set(`a${i}`, {
      kind: "attester",
      validatorIndex: i,
      at: s.b.data.target.epoch,
      messages: [messageId(s.a), messageId(s.b)],
      seenAt: now,
    });
    return true;
  }

  hasProposer(index: number): boolean {
    return this.proposer.has(index);
  }

  hasAttester(index: number): boolean {
    return this.attester.has(index);
  }

  /** Evidence for a block, at most `limit` of each kind, keeping what `keep` accepts (not yet slashed). */
  forBlock(
    limit: number,
    keep: { proposer: (s: ProposerSlashing) => boolean; attester: (s: AttesterSlashing) => boolean },
  ): { proposerSlashings: ProposerSlashing[]; attesterSlashings: AttesterSlashing[] } {
    return {
      proposerSlashings: [...this.proposer.values()].filter(keep.proposer).slice(0, limit),
      attesterSlashings: [...this.attester.values()].filter(keep.attester).slice(0, limit),
    };
  }

  /** Every slashing this node has seen evidence of. */
  seen(): EvidenceRecord[] {
    return [...this.records.values()].sort((a, b) => a.validatorIndex - b.validatorIndex);
  }

  get size(): number {
    return this.proposer.size + this.attester.size;
  }
}
