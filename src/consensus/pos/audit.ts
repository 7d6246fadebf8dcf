/**
 * The PoS wire formats and signature rules that tools outside the engine may use (experiments that
 * re-verify evidence taken from two chains, or sign as an adversarial validator): decoding block
 * fields, bodies and votes, the signing roots, and the slashing conditions. It re-exports; it holds
 * no logic of its own, so an experiment checks votes with exactly the rules a node applies.
 */
export { genesisConfigHash } from "../../core/genesis.ts";
// Epoch processing over a registry, for experiments that predict the inactivity leak with the node's own rules.
export { isInLeak, processEpoch } from "./epoch.ts";
export {
  defaultPosParams,
  epochOf,
  epochStartSlot,
  type PosParams,
  parsePosParams,
} from "./params.ts";
export {
  type Attestation,
  type AttestationData,
  type AttesterSlashing,
  attestationSigningRoot,
  blockSigningRoot,
  type Checkpoint,
  checkpointsEqual,
  decodeAttestation,
  decodeAttesterSlashing,
  decodeEvidence,
  decodePosBody,
  decodeProposerSlashing,
  type Evidence,
  encodeAttestation,
  encodeAttestationData,
  encodeEvidence,
  isSlashableAttestationData,
  type PosBody,
  type PosFields,
  posFieldsOf,
} from "./types.ts";
export {
  FAR_FUTURE_EPOCH,
  FLAG_INCLUDED,
  FLAG_TARGET,
  isActive,
  type PosState,
  type Validator,
} from "./validators.ts";
