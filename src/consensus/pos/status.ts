/**
 * What `consensus_status` reports for PoS: the clock (slot, epoch), the slot's proposer, the fork
 * choice's justified and finalized checkpoints, participation, the active set and its stake, the
 * slashed validators (from the head state) with the evidence this node saw, and the local
 * validator client's counters.
 */
import { toHex } from "../../core/hash.ts";
import type { BlockProducer, ChainView, Checkpoint, ForkChoice } from "../engine.ts";
import type { PosEngine } from "./engine.ts";
import { participationOf } from "./engine.ts";
import { epochOf } from "./params.ts";
import { isActive, readAllValidators, readPosState } from "./validators.ts";

function checkpoint(c: Checkpoint): Record<string, unknown> {
  return { epoch: c.epoch ?? 0, height: c.height, root: toHex(c.hash) };
}

/** The consensus_status object (JSON-ready: amounts as decimal strings). */
export function describePosStatus(
  engine: PosEngine,
  view: ChainView,
  fc: ForkChoice,
  producer: BlockProducer | undefined,
): Record<string, unknown> {
  const p = engine.params;
  const slot = engine.clock.slotAt(engine.now());
  const epoch = epochOf(slot, p);
  const head = view.head();
  const state = engine.headState();
  const out: Record<string, unknown> = {
    type: engine.type,
    slot,
    epoch,
    slotMs: p.slotMs,
    slotsPerEpoch: p.slotsPerEpoch,
    headHeight: head.header.height,
    headHash: toHex(head.hash),
    headSlot: engine.fields(head.header).slot,
    justified: checkpoint(fc.justified()),
    finalized: checkpoint(fc.finalized()),
    validating: producer?.running ?? false,
    ...(producer ? { validator: producer.stats() } : {}),
  };
  if (state === undefined) return out;
  let proposer: number | undefined;
  try {
    proposer = engine.proposerAt(slot);
  } catch {
    proposer = undefined;
  }
  const pos = readPosState(state);
  const validators = readAllValidators(state, pos);
  const active = validators.filter((v) => isActive(v, epoch));
  const evidence = engine.messages.evidence.seen();
  const slashed = validators.flatMap((v, index) =>
    v.slashed
      ? [
          {
            index,
            publicKey: toHex(v.publicKey),
            stake: v.stake.toString(),
            evidence: evidence.filter((e) => e.validatorIndex === index),
          },
        ]
      : [],
  );
  return {
    ...out,
    proposer: proposer ?? null,
    participation: participationOf(state, p),
    validators: validators.length,
    activeValidators: active.length,
    activeStake: active.reduce((sum, v) => sum + v.effective, 0n).toString(),
    slashed,
    pendingEvidence: evidence.filter((e) => !validators[e.validatorIndex]?.slashed),
    pooledAttestations: engine.messages.attestations.size,
  };
}
