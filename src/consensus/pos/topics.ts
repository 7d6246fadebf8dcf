/**
 * The PoS gossip topics and what the engine does with their messages: `attestations` (one vote,
 * checked for length, epoch window, known active validator, assigned slot and signature, cheap
 * checks before the signature) and `evidence` (a proposer or attester slashing, checked by the
 * slashing rules against the head state). Accepted votes go to the pool and the fork choice; a
 * vote that conflicts with a pooled one becomes attester evidence, gossiped and pooled for the
 * next proposer, and its validator's votes stop counting in the fork choice.
 */
import { ChainlabError } from "../../core/errors.ts";
import { bytesEqual, type Hash, sha256, toHex } from "../../core/hash.ts";
import { StateOverlay, type StateReader } from "../../core/state.ts";
import { verify } from "../../crypto/ed25519.ts";
import type { ChainView, EngineLogger, EngineTopic } from "../engine.ts";
import type { SlotClock } from "./clock.ts";
import { PosError } from "./errors.ts";
import type { PosForkChoiceMessage } from "./fork-choice.ts";
import { checkpointRoot } from "./meta.ts";
import { epochOf } from "./params.ts";
import { AttestationPool, EvidencePool, HeaderWatch } from "./pool.ts";
import { verifyAttesterSlashing, verifyProposerSlashing } from "./slashing.ts";
import {
  ATTESTATION_SIZE,
  type Attestation,
  type AttesterSlashing,
  attestationSigningRoot,
  decodeAttestation,
  decodeEvidence,
  encodeAttestation,
  encodeEvidence,
  MAX_PROPOSER_SLASHING_SIZE,
  type ProposerSlashing,
} from "./types.ts";
import { findValidator, isActive } from "./validators.ts";

export const ATTESTATIONS_TOPIC = "attestations";
export const EVIDENCE_TOPIC = "evidence";
/** The largest evidence message: a kind byte and the larger of the two slashings. */
export const MAX_EVIDENCE_MESSAGE = 1 + Math.max(MAX_PROPOSER_SLASHING_SIZE, 2 * ATTESTATION_SIZE);
/** Epochs behind the current one a vote may still be relayed from (older: late, ignored). */
const LATE_EPOCHS = 1;
/** Epochs behind beyond which no honest node relays a vote (rejected). */
const EXPIRED_EPOCHS = 2;

/** The message id consensus_status shows for an attestation: the hash of its encoding (as for headers). */
export function attestationId(a: Attestation): string {
  return toHex(sha256(encodeAttestation(a)));
}

/** What the message handler needs from the engine and the node. */
export interface MessageDeps {
  clock: SlotClock;
  domain: Hash;
  view(): ChainView | undefined;
  /** The head state, advanced when it lags, that knows `epoch`'s duties. */
  dutyState(epoch: number): StateReader | undefined;
  /** The slot validator `index` attests in during `epoch` on our head (undefined: no duty known). */
  attestationSlotOf(index: number, epoch: number): number | undefined;
  deliver(message: PosForkChoiceMessage): void;
  publish(topic: string, bytes: Uint8Array): void;
  now(): number;
  log(): EngineLogger;
}

/** The engine's message pools and the validation of its gossip. */
export class PosMessages {
  readonly attestations = new AttestationPool();
  readonly evidence = new EvidencePool();
  readonly headers = new HeaderWatch();
  private readonly d: MessageDeps;

  constructor(deps: MessageDeps) {
    this.d = deps;
  }

  /** The two topics with their validators. */
  topics(): EngineTopic[] {
    return [
      {
        name: ATTESTATIONS_TOPIC,
        maxBytes: ATTESTATION_SIZE,
        validate: (data) => this.onAttestationBytes(data),
      },
      {
        name: EVIDENCE_TOPIC,
        maxBytes: MAX_EVIDENCE_MESSAGE,
        validate: (data) => this.onEvidenceBytes(data),
      },
    ];
  }

  private state(epoch: number): StateOverlay {
    const s = this.d.dutyState(epoch);
    if (s === undefined) throw new PosError("POS_NOT_READY", "the engine is not attached to a chain yet");
    return new StateOverlay(s);
  }

  /** Validates and handles a gossiped attestation (its length first, then the decoder's checks). */
  onAttestationBytes(data: Uint8Array): "accept" | "ignore" {
    return this.onAttestation(decodeAttestation(data));
  }

  /** Checks an attestation (ours or a peer's), cheap checks before the signature, and pools it. */
  onAttestation(att: Attestation): "accept" | "ignore" {
    const { clock } = this.d;
    const p = clock.params;
    const now = this.d.now();
    const latest = clock.slotAt(now + p.maxFutureDriftMs);
    const current = epochOf(clock.slotAt(now), p);
    const { slot, target } = att.data;
    const fields = { validatorIndex: att.validatorIndex, slot, targetEpoch: target.epoch };
    if (slot > latest) {
      // A slot ahead of our clock by more than an epoch is no drift: nobody honest sends it.
      const code = epochOf(slot, p) > epochOf(latest, p) ? "ATTESTATION_FAR_FUTURE" : "ATTESTATION_LATE";
      throw new PosError(code, `attestation for slot ${slot} ahead of slot ${latest}`, fields);
    }
    if (target.epoch !== epochOf(slot, p)) {
      throw new PosError(
        "ATTESTATION_BAD_TARGET_EPOCH",
        `target epoch ${target.epoch} is not slot ${slot}'s epoch`,
        fields,
      );
    }
    if (target.epoch + EXPIRED_EPOCHS < current) {
      throw new PosError(
        "ATTESTATION_EXPIRED",
        `attestation for epoch ${target.epoch} in epoch ${current}`,
        fields,
      );
    }
    if (target.epoch + LATE_EPOCHS < current) {
      throw new PosError(
        "ATTESTATION_LATE",
        `attestation for epoch ${target.epoch} in epoch ${current}`,
        fields,
      );
    }
    const state = this.state(Math.max(0, target.epoch - 1));
    const v = findValidator(state, att.validatorIndex);
    if (v === undefined) {
      throw new PosError("ATTESTATION_UNKNOWN_VALIDATOR", `no validator ${att.validatorIndex}`, fields);
    }
    if (!isActive(v, target.epoch)) {
      throw new PosError(
        "ATTESTATION_INACTIVE_VALIDATOR",
        `validator ${att.validatorIndex} is not active`,
        fields,
      );
    }
    if (v.slashed)
      throw new PosError(
        "ATTESTATION_SLASHED_VALIDATOR",
        `validator ${att.validatorIndex} is slashed`,
        fields,
      );
    if (this.onOurChain(att)) {
      const assigned = this.d.attestationSlotOf(att.validatorIndex, target.epoch);
      if (assigned === undefined)
        throw new PosError("POS_NOT_READY", `no duties of epoch ${target.epoch} in our head state`, fields);
      if (assigned !== slot) {
        throw new PosError(
          "ATTESTATION_WRONG_SLOT",
          `validator ${att.validatorIndex} attests in slot ${assigned}`,
          {
            ...fields,
            expected: assigned,
          },
        );
      }
    }
    if (this.attestations.has(att))
      throw new PosError("ATTESTATION_DUPLICATE", "attestation already seen", fields);
    if (!verify(att.signature, attestationSigningRoot(this.d.domain, att.data), v.publicKey)) {
      throw new PosError("ATTESTATION_BAD_SIGNATURE", "attestation signature does not verify", fields);
    }
    const added = this.attestations.add(att);
    if (added.kind === "duplicate")
      throw new PosError("ATTESTATION_DUPLICATE", "attestation already seen", fields);
    if (added.kind === "slashable") {
      this.tryLocalEvidence(() => this.onAttesterEvidence(added.evidence, true));
      return "accept";
    }
    this.d.deliver({
      kind: "vote",
      validatorIndex: att.validatorIndex,
      root: att.data.head,
      targetEpoch: target.epoch,
      weight: v.effective,
    });
    // A vote for a block we have not imported counts once the block arrives, but is not relayed.
    return this.d.view()?.getMeta(att.data.head) === undefined ? "ignore" : "accept";
  }

  /**
   * Whether the vote's target is our head chain's checkpoint. Only then do our duties (seeded by
   * our chain's RANDAO) apply to it; a vote from another branch is judged by its signature alone,
   * one per validator and epoch (a second one is evidence), so honest voters on a fork are never
   * blamed and their votes still reach the fork choice.
   */
  private onOurChain(att: Attestation): boolean {
    const view = this.d.view();
    if (view === undefined) return true;
    const { epoch, root } = att.data.target;
    return bytesEqual(checkpointRoot(view, view.head(), epoch, this.d.clock.params), root);
  }

  private currentEpoch(): number {
    return epochOf(this.d.clock.slotAt(this.d.now()), this.d.clock.params);
  }

  /** Validates and handles gossiped evidence. */
  onEvidenceBytes(data: Uint8Array): "accept" | "ignore" {
    const e = decodeEvidence(data);
    if (e.kind === "proposer") {
      this.onProposerEvidence(e.slashing, false);
    } else {
      this.onAttesterEvidence(e.slashing, false);
    }
    return "accept";
  }

  /** A proposer slashing found here (`local`) or gossiped: verified, pooled, gossiped if new here. */
  onProposerEvidence(s: ProposerSlashing, local: boolean): void {
    verifyProposerSlashing(this.state(this.currentEpoch()), s, this.d.domain, this.d.clock.params);
    if (!this.evidence.addProposer(s, this.d.now())) {
      if (local) return;
      throw new PosError("EVIDENCE_DUPLICATE", "evidence against this proposer is pooled");
    }
    this.d.log().warn({ kind: "proposer" }, "proposer equivocation evidence");
    if (local) this.d.publish(EVIDENCE_TOPIC, encodeEvidence({ kind: "proposer", slashing: s }));
  }

  /** An attester slashing found here (`local`) or gossiped: verified, pooled, its votes dropped. */
  onAttesterEvidence(s: AttesterSlashing, local: boolean): void {
    verifyAttesterSlashing(this.state(this.currentEpoch()), s, this.d.domain, this.d.clock.params);
    if (!this.evidence.addAttester(s, this.d.now(), attestationId)) {
      if (local) return;
      throw new PosError("EVIDENCE_DUPLICATE", "evidence against this validator is pooled");
    }
    this.d
      .log()
      .warn({ kind: "attester", validatorIndex: s.a.validatorIndex }, "attester equivocation evidence");
    this.d.deliver({ kind: "equivocation", validatorIndices: [s.a.validatorIndex] });
    if (local) this.d.publish(EVIDENCE_TOPIC, encodeEvidence({ kind: "attester", slashing: s }));
  }

  /** A header whose proposer signature verified: two for one slot and proposer are evidence. */
  onSignedHeader(header: Parameters<HeaderWatch["observe"]>[0]): void {
    const conflict = this.headers.observe(header);
    if (conflict !== undefined) this.tryLocalEvidence(() => this.onProposerEvidence(conflict, true));
  }

  /** Evidence we found ourselves that the slashing rules refuse (already slashed...) is dropped. */
  private tryLocalEvidence(handle: () => void): void {
    try {
      handle();
    } catch (err) {
      if (!(err instanceof ChainlabError)) throw err;
      this.d.log().debug({ err: err.code }, "evidence not usable");
    }
  }
}
