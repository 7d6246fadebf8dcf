/**
 * The Proof-of-Stake engine: a miniature beacon chain behind the ConsensusEngine seam. Headers
 * carry slot, proposer index, RANDAO reveal, body root and the proposer's signature; the body
 * carries attestations and slashing evidence; the state rules (proposer, attestations, FFG,
 * rewards, slashing) are transition.ts's pure functions; the fork choice is LMD-GHOST over the
 * votes gossiped on the attestations topic (fork-choice.ts); the producer is the validator client.
 */
import type { Block, Header } from "../../core/block.ts";
import { DecodeError } from "../../core/errors.ts";
import { type Genesis, genesisConfigHash } from "../../core/genesis.ts";
import { bytesEqual, type Hash, toHex, ZERO_HASH } from "../../core/hash.ts";
import { StateOverlay, type StateReader } from "../../core/state.ts";
import type { Tx, TxKind } from "../../core/tx.ts";
import { TxKind as Kinds } from "../../core/tx.ts";
import { verify } from "../../crypto/ed25519.ts";
import {
  type ApplyContext,
  type BlockMeta,
  type BlockProducer,
  type ChainStatus,
  type ChainView,
  type Checkpoint,
  type ConsensusEngine,
  ConsensusError,
  decodeEngineFields,
  type EngineHost,
  type EngineLogger,
  type EngineMetric,
  type EngineRpcMethod,
  type EngineTopic,
  type ForkChoice,
  type ForkChoiceRestore,
  type ProducerContext,
  type ProducerOptions,
  verifyExtendsParent,
} from "../engine.ts";
import { SlotClock } from "./clock.ts";
import { PosForkChoice, type PosForkChoiceMessage } from "./fork-choice.ts";
import { checkpointRoot, encodePosMeta, type MetaCheckpoint, metaOf, rootAtSlot } from "./meta.ts";
import { epochOf, epochStartSlot, type PosParams, parsePosParams } from "./params.ts";
import { HISTORY_PER_VALIDATOR } from "./pool.ts";
import { PosProducer } from "./producer.ts";
import { proposerIndex } from "./proposer.ts";
import { posRpcMethods } from "./rpc.ts";
import { dutiesLookup } from "./shuffle.ts";
import { verifyAttesterSlashing, verifyProposerSlashing } from "./slashing.ts";
import { describePosStatus } from "./status.ts";
import { PosMessages } from "./topics.ts";
import { advanceSlots, applyStakingTx, posGenesisState, processBlock } from "./transition.ts";
import {
  type Attestation,
  type AttestationData,
  type AttesterSlashing,
  blockSigningRoot,
  bodyRoot,
  decodePosBody,
  decodePosFields,
  EMPTY_POS_BODY,
  encodePosFields,
  type PosBody,
  type Checkpoint as PosCheckpoint,
  type PosFields,
  type ProposerSlashing,
  posFieldsOf,
} from "./types.ts";
import {
  FLAG_INCLUDED,
  FLAG_TARGET,
  findValidator,
  isActive,
  readAllValidators,
  readPosState,
  type Validator,
} from "./validators.ts";
import { statusWeightAbove } from "./weight.ts";

/** Options of the PoS engine beyond genesis. */
export interface PosEngineOptions {
  /** The wall clock of gossip checks (default Date.now; tests pass an accelerated clock). */
  now?: () => number;
}

const ZERO_SIGNATURE = new Uint8Array(64);
/** Distinct keys remembered for one validator index (branches that disagree on it). */
const MAX_KEYS_PER_INDEX = 4;

/** The PoS implementation of ConsensusEngine. */
export class PosEngine implements ConsensusEngine {
  readonly type = "pos";
  readonly txKinds: ReadonlySet<TxKind> = new Set<TxKind>([Kinds.stake, Kinds.unstake]);
  readonly tickMs: number;
  readonly params: PosParams;
  readonly clock: SlotClock;
  /** The signing domain: genesisConfigHash(genesis) (also EIP-3076's genesis_validators_root). */
  readonly domain: Hash;
  readonly messages: PosMessages;
  readonly now: () => number;
  private host: EngineHost | undefined;
  log: EngineLogger = silentLogger;
  private view: ChainView | undefined;
  forkChoice: PosForkChoice | undefined;
  private producer: PosProducer | undefined;
  private duty: { key: string; state: StateOverlay } | undefined;
  private duties: { key: string; lookup: (index: number, epoch: number) => number | undefined } | undefined;
  /** Validator keys by index, from every state we executed (see verifyProposerSignature). */
  private readonly validatorKeys = new Map<number, Uint8Array[]>();
  private keysSeen = 0;

  constructor(genesis: Genesis, options: PosEngineOptions = {}) {
    this.params = parsePosParams(genesis.consensus.params);
    this.clock = new SlotClock(this.params, genesis.timestamp);
    this.domain = genesisConfigHash(genesis);
    this.now = options.now ?? Date.now;
    this.tickMs = Math.max(10, Math.floor(this.params.slotMs / 4));
    for (const [i, v] of this.params.validators.entries()) this.learnKey(i, v.publicKey);
    this.keysSeen = this.params.validators.length;
    this.messages = new PosMessages({
      clock: this.clock,
      domain: this.domain,
      view: () => this.view,
      dutyState: (epoch) => this.dutyState(epoch),
      attestationSlotOf: (index, epoch) => this.attestationSlotOf(index, epoch),
      deliver: (m) => this.deliver(m),
      publish: (topic, bytes) => this.host?.publish(topic, bytes),
      now: () => this.now(),
      log: () => this.log,
    });
  }

  /** Hands a message to the fork choice: through the host's queue when attached, else directly. */
  private deliver(m: PosForkChoiceMessage): void {
    if (this.host !== undefined) void this.host.deliver(m).catch(() => {});
    else this.forkChoice?.onMessage(m);
  }

  attach(host: EngineHost): void {
    this.host = host;
    this.log = host.log;
  }

  /** The head state as the node lent it (undefined before attach). */
  headState(): StateOverlay | undefined {
    const s = this.host?.headState();
    return s === undefined ? undefined : new StateOverlay(s);
  }

  /**
   * The head state advanced to the start of `epoch` when it is behind (proposer and committee
   * duties need the epoch's seeds and balances); cached per head and epoch.
   */
  dutyState(epoch: number): StateOverlay | undefined {
    const base = this.headState();
    const view = this.view;
    if (base === undefined || view === undefined) return undefined;
    if (epochOf(readPosState(base).slot, this.params) >= epoch) return base;
    const head = view.head();
    const key = `${toHex(head.hash)}:${epoch}`;
    if (this.duty?.key === key) return this.duty.state;
    const state = new StateOverlay(base);
    advanceSlots(state, epochStartSlot(epoch, this.params), this.params, (slot) =>
      rootAtSlot(view, head, slot),
    );
    this.duty = { key, state };
    return state;
  }

  /** The proposer of `slot` on the current head (undefined before the chain is attached). */
  proposerAt(slot: number): number | undefined {
    const state = this.dutyState(epochOf(slot, this.params));
    return state === undefined ? undefined : proposerIndex(state, slot, this.params);
  }

  /** The slot validator `index` attests in during `epoch` (undefined when it has no duty). */
  attestationSlotOf(index: number, epoch: number): number | undefined {
    const from = Math.max(0, epoch - 1);
    const head = this.view?.head();
    if (head === undefined) return undefined;
    // One shuffle per head and epoch, not one registry read and shuffle per gossiped vote.
    const key = `${toHex(head.hash)}:${from}`;
    if (this.duties?.key !== key) {
      const state = this.dutyState(from);
      if (state === undefined) return undefined;
      const pos = readPosState(state);
      this.duties = { key, lookup: dutiesLookup(readAllValidators(state, pos), pos, this.params) };
    }
    try {
      return this.duties.lookup(index, epoch);
    } catch (err) {
      if (err instanceof RangeError) return undefined;
      throw err;
    }
  }

  /** What a validator votes for in `slot`: the head, the head state's justified checkpoint, the epoch's target. */
  attestationDataFor(slot: number, head: BlockMeta): AttestationData {
    const view = this.view!;
    const epoch = epochOf(slot, this.params);
    const state = this.dutyState(epoch)!;
    const pos = readPosState(state);
    return {
      slot,
      head: head.hash,
      source: pos.currentJustified,
      target: { epoch, root: checkpointRoot(view, head, epoch, this.params) },
    };
  }

  /** The body of a block at `slot` on `head`: pooled votes and evidence the head state still counts. */
  bodyFor(slot: number, head: BlockMeta): PosBody {
    const state = this.dutyState(epochOf(slot, this.params)) ?? this.headState();
    const p = this.params;
    const attestations = this.messages.attestations.forBlock(
      slot,
      p.slotsPerEpoch,
      p.maxAttestationsPerBlock,
      (a) => (state === undefined ? false : isIncludable(state, a, head, this.view!, p)),
    );
    const keep =
      <T>(check: (s: StateOverlay, x: T) => void) =>
      (x: T) => {
        if (state === undefined || !p.slashingEnabled) return false;
        try {
          check(new StateOverlay(state), x);
          return true;
        } catch {
          return false;
        }
      };
    const evidence = this.messages.evidence.forBlock(p.maxEvidencePerBlock, {
      proposer: keep((s, x: ProposerSlashing) => verifyProposerSlashing(s, x, this.domain, p)),
      attester: keep((s, x: AttesterSlashing) => verifyAttesterSlashing(s, x, this.domain, p)),
    });
    // One slashing per offender: a second one in the same block would find it already slashed.
    const offenders = new Set(evidence.proposerSlashings.map((x) => posFieldsOf(x.a).proposerIndex));
    const attesterSlashings = evidence.attesterSlashings.filter((x) => !offenders.has(x.a.validatorIndex));
    return { attestations, proposerSlashings: evidence.proposerSlashings, attesterSlashings };
  }

  genesisFields(): Uint8Array {
    return encodePosFields({
      slot: 0,
      proposerIndex: 0,
      randaoReveal: ZERO_SIGNATURE,
      bodyRoot: bodyRoot(EMPTY_POS_BODY),
      signature: ZERO_SIGNATURE,
    });
  }

  genesisState(state: StateOverlay): void {
    posGenesisState(state, this.params);
  }

  genesisMeta(): Uint8Array {
    const c: MetaCheckpoint = { epoch: 0, root: ZERO_HASH, height: 0 };
    return encodePosMeta({ slot: 0, justified: c, finalized: c });
  }

  /** The PoS fields of a header; BLOCK_BAD_ENGINE_FIELDS when they do not decode. */
  fields(header: Header): PosFields {
    return decodeEngineFields(header, decodePosFields, "PoS");
  }

  /** Timing (verifyTiming) and, when the proposer index names a key we know, its signature. */
  verifyHeaderIntrinsic(header: Header, now: number): void {
    const f = this.verifyTiming(header, now);
    // An orphan's proposer may have joined on blocks we have not executed: judge only known keys.
    if (this.keysOf(f.proposerIndex).length > 0) this.verifyProposerSignature(header, f);
  }

  /** Fields decode, the timestamp is the slot's start, and the slot has begun (within the drift). */
  private verifyTiming(header: Header, now: number): PosFields {
    const f = this.fields(header);
    const expected = this.clock.slotStart(f.slot);
    if (header.timestamp !== expected) {
      throw new ConsensusError(
        "BLOCK_BAD_ENGINE_FIELDS",
        `timestamp ${header.timestamp} is not slot ${f.slot}'s start`,
        {
          got: header.timestamp,
          expected,
        },
      );
    }
    if (header.timestamp > now + this.params.maxFutureDriftMs) {
      throw new ConsensusError("BLOCK_TIMESTAMP_IN_FUTURE", `slot ${f.slot} has not started yet`, {
        got: header.timestamp,
        now,
      });
    }
    return f;
  }

  /** Timing, a slot after the parent's, then (cheap checks first) the proposer's signature. */
  verifyHeader(header: Header, parent: BlockMeta, _view: ChainView, now: number): void {
    verifyExtendsParent(header, parent);
    const f = this.verifyTiming(header, now);
    const parentSlot = metaOf(parent).slot;
    if (f.slot <= parentSlot) {
      throw new ConsensusError(
        "BLOCK_BAD_ENGINE_FIELDS",
        `slot ${f.slot} is not after the parent's slot ${parentSlot}`,
        {
          got: f.slot,
          parentSlot,
        },
      );
    }
    this.verifyProposerSignature(header, f);
    this.messages.onSignedHeader(header);
  }

  /**
   * The proposer's signature, against a key the validator index had in a state we executed
   * (genesis, any executed block's, or the head's). Keys are appended to the registry, so an index
   * names one key on nearly every branch; where two branches put different keys at one index both
   * are tried, and applyBlock binds the slot's proposer to its key through the RANDAO reveal.
   */
  private verifyProposerSignature(header: Header, f: PosFields): void {
    const keys = this.keysOf(f.proposerIndex);
    if (keys.length === 0) {
      throw new ConsensusError("BLOCK_BAD_PROPOSER", `no validator ${f.proposerIndex}`, {
        got: f.proposerIndex,
      });
    }
    const root = blockSigningRoot(this.domain, header);
    if (!keys.some((k) => verify(f.signature, root, k))) {
      throw new ConsensusError("BLOCK_BAD_SEAL", "proposer signature does not verify", {
        proposerIndex: f.proposerIndex,
      });
    }
  }

  private keysOf(index: number): Uint8Array[] {
    const known = this.validatorKeys.get(index) ?? [];
    const state = this.headState();
    const atHead = state === undefined ? undefined : findValidator(state, index)?.publicKey;
    if (atHead !== undefined) this.learnKey(index, atHead);
    return this.validatorKeys.get(index) ?? known;
  }

  private learnKey(index: number, key: Uint8Array): void {
    const list = this.validatorKeys.get(index) ?? [];
    if (list.some((k) => bytesEqual(k, key)) || list.length >= MAX_KEYS_PER_INDEX) return;
    list.push(key);
    this.validatorKeys.set(index, list);
  }

  /** Records the keys of validators a state added since the last one we saw. */
  private learnKeys(state: StateReader): void {
    const count = readPosState(state).validatorCount;
    for (let i = this.keysSeen; i < count; i++) {
      const v = findValidator(state, i);
      if (v !== undefined) this.learnKey(i, v.publicKey);
    }
    this.keysSeen = Math.max(this.keysSeen, count);
  }

  /** The header's body root must be the body's: a mismatch is the sender's, not the block's. */
  verifyBodyCommitment(block: Block): void {
    const f = this.fields(block.header);
    if (!bytesEqual(bodyRoot(block.engineBody), f.bodyRoot)) {
      throw new ConsensusError("BLOCK_BODY_MISMATCH", "engine body does not match the header's body root");
    }
  }

  /** The body decodes within the block bounds (counts and, through them, bytes). */
  verifyBody(block: Block): void {
    this.body(block);
  }

  body(block: Block): PosBody {
    try {
      return decodePosBody(block.engineBody, this.params);
    } catch (err) {
      if (err instanceof DecodeError) {
        throw new ConsensusError("BLOCK_BAD_ENGINE_BODY", `bad PoS body: ${err.message}`, {
          reason: err.code,
        });
      }
      throw err;
    }
  }

  applyEngineTx(tx: Tx, state: StateOverlay): void {
    applyStakingTx(tx, state, this.params, epochOf(readPosState(state).slot, this.params));
  }

  /** The state rules of the block (transition.ts); the metadata is its slot and checkpoints. */
  applyBlock(block: Block, state: StateOverlay, ctx: ApplyContext): Uint8Array {
    const f = this.fields(block.header);
    const body = this.body(block);
    const info = processBlock(
      state,
      {
        slot: f.slot,
        proposerIndex: f.proposerIndex,
        randaoReveal: f.randaoReveal,
        body,
        fees: ctx.fees,
        beneficiary: block.header.beneficiary,
        rootAtSlot: (slot: number) => rootAtSlot(ctx.view, ctx.parent, slot),
        domain: this.domain,
      },
      this.params,
    );
    this.learnKeys(state);
    // Evidence in a block we executed is verified: its validators' votes stop counting in the fork
    // choice on every branch, as if it had come by gossip. Without this, a node that first saw the
    // offender slashed in a block (gossiped evidence is then refused as EVIDENCE_ALREADY_SLASHED)
    // kept its last vote forever, and nodes weighing different vote sets could keep different heads.
    const offenders = [
      ...body.proposerSlashings.map((e) => posFieldsOf(e.a).proposerIndex),
      ...body.attesterSlashings.map((e) => e.a.validatorIndex),
    ];
    if (offenders.length > 0) this.deliver({ kind: "equivocation", validatorIndices: offenders });
    return encodePosMeta({
      slot: f.slot,
      justified: withHeight(ctx.view, ctx.parent, info.justified),
      finalized: withHeight(ctx.view, ctx.parent, info.finalized),
    });
  }

  createForkChoice(view: ChainView, restore: ForkChoiceRestore): ForkChoice {
    this.view = view;
    // Votes some epochs below finality stay for surround checks; the history is bounded anyway.
    this.forkChoice = new HeadFinalityForkChoice(
      view,
      restore,
      (epoch) => this.messages.attestations.prune(epoch - HISTORY_PER_VALIDATOR),
      (conflict) => this.onFinalityConflict(conflict),
    );
    return this.forkChoice;
  }

  /** A better finalized, then justified checkpoint, then a longer chain (the objective status weight). */
  isAhead(ours: ChainStatus, theirs: ChainStatus): boolean {
    return statusWeightAbove(theirs.weight, ours.weight);
  }

  /** Fields of a template at the slot of `timestamp` (proposer and signatures are the producer's). */
  prepareFields(_parent: BlockMeta, _view: ChainView, timestamp: number): Uint8Array {
    return encodePosFields({
      slot: this.clock.slotAt(timestamp),
      proposerIndex: 0,
      randaoReveal: ZERO_SIGNATURE,
      bodyRoot: bodyRoot(EMPTY_POS_BODY),
      signature: ZERO_SIGNATURE,
    });
  }

  createProducer(ctx: ProducerContext, options: ProducerOptions): BlockProducer {
    this.producer = new PosProducer(this, ctx, options);
    return this.producer;
  }

  topics(): EngineTopic[] {
    return this.messages.topics();
  }

  start(): void {}

  async stop(): Promise<void> {
    await this.producer?.stop();
  }

  status(view: ChainView, forkChoice: ForkChoice): Record<string, unknown> {
    const c = this.finalityConflict;
    const cp = (x: Checkpoint) => ({ epoch: x.epoch ?? 0, height: x.height, root: toHex(x.hash) });
    return {
      ...describePosStatus(this, view, forkChoice, this.producer),
      finalityConflict:
        c === undefined ? null : { store: cp(c.store), headChain: cp(c.headChain), sinceMs: c.sinceMs },
    };
  }

  /** The last time the fork choice's store finalized a checkpoint the head does not descend from. */
  finalityConflict: (FinalityConflict & { sinceMs: number }) | undefined;

  private onFinalityConflict(c: FinalityConflict | undefined): void {
    if (c === undefined) {
      if (this.finalityConflict !== undefined)
        this.log.info({}, "head descends from the store's finalized checkpoint again");
      this.finalityConflict = undefined;
      return;
    }
    const known = this.finalityConflict;
    if (
      known !== undefined &&
      bytesEqual(known.store.hash, c.store.hash) &&
      bytesEqual(known.headChain.hash, c.headChain.hash)
    )
      return;
    this.finalityConflict = { ...c, sinceMs: this.now() };
    this.log.warn(
      {
        storeFinalized: { epoch: c.store.epoch, height: c.store.height, root: toHex(c.store.hash) },
        headFinalized: {
          epoch: c.headChain.epoch,
          height: c.headChain.height,
          root: toHex(c.headChain.hash),
        },
      },
      "a block of another branch finalized a checkpoint the head does not descend from; following the head's finalized chain",
    );
  }

  rpcMethods(): EngineRpcMethod[] {
    return posRpcMethods(this);
  }

  metrics(): EngineMetric[] {
    const s = this.describeFinality();
    return [
      {
        name: "chainlab_pos_finalized_epoch",
        help: "Epoch of the finalized checkpoint.",
        value: s.finalizedEpoch,
      },
      {
        name: "chainlab_pos_participation",
        help: "Share of active stake whose previous-epoch target vote is in the head state (0..1).",
        value: s.participation,
      },
    ];
  }

  /** The finalized epoch and the previous epoch's target participation, for the gauges. */
  describeFinality(): { finalizedEpoch: number; participation: number } {
    const fc = this.forkChoice;
    const state = this.headState();
    return {
      finalizedEpoch: fc?.finalized().epoch ?? 0,
      participation: state === undefined ? 0 : participationOf(state, this.params).previousEpoch,
    };
  }

  describeFields(header: Header): Record<string, unknown> {
    const f = this.fields(header);
    return {
      slot: f.slot,
      epoch: epochOf(f.slot, this.params),
      proposerIndex: f.proposerIndex,
      randaoReveal: toHex(f.randaoReveal),
      bodyRoot: toHex(f.bodyRoot),
      signature: toHex(f.signature),
    };
  }

  describeMeta(meta: BlockMeta): Record<string, unknown> {
    const m = metaOf(meta);
    const cp = (c: MetaCheckpoint) => ({ epoch: c.epoch, root: toHex(c.root), height: c.height });
    return { slot: m.slot, justified: cp(m.justified), finalized: cp(m.finalized) };
  }
}

/** The participating share of active stake in the state's previous and current epoch (0..1). */
export function participationOf(
  state: StateReader,
  params: PosParams,
): { previousEpoch: number; currentEpoch: number } {
  const pos = readPosState(state);
  const epoch = epochOf(pos.slot, params);
  const validators = readAllValidators(state, pos);
  const share = (e: number, flagsOf: (v: Validator) => number): number => {
    if (e < 0) return 0;
    let total = 0n;
    let voted = 0n;
    for (const v of validators) {
      if (!isActive(v, e)) continue;
      total += v.effective;
      if ((flagsOf(v) & FLAG_TARGET) !== 0) voted += v.effective;
    }
    return total === 0n ? 0 : Number((voted * 10_000n) / total) / 10_000;
  };
  return {
    previousEpoch: share(epoch - 1, (v) => v.previousFlags),
    currentEpoch: share(epoch, (v) => v.currentFlags),
  };
}

/**
 * Whether a pooled vote still counts in a block on `head`: its target is the head chain's
 * checkpoint and its validator's flags for that epoch do not already hold it.
 */
function isIncludable(
  state: StateReader,
  a: Attestation,
  head: BlockMeta,
  view: ChainView,
  p: PosParams,
): boolean {
  const pos = readPosState(state);
  const current = epochOf(pos.slot, p);
  const e = a.data.target.epoch;
  if (e !== current && e !== current - 1) return false;
  if (!bytesEqual(checkpointRoot(view, head, e, p), a.data.target.root)) return false;
  const source = e === current ? pos.currentJustified : pos.previousJustified;
  if (source.epoch !== a.data.source.epoch || !bytesEqual(source.root, a.data.source.root)) return false;
  const v = findValidator(state, a.validatorIndex);
  if (v === undefined || v.slashed) return false;
  const flags = e === current ? v.currentFlags : v.previousFlags;
  return (flags & FLAG_INCLUDED) === 0;
}

/** A state checkpoint with the height of its block (epoch 0's zero root is genesis). */
function withHeight(view: ChainView, parent: BlockMeta, c: PosCheckpoint): MetaCheckpoint {
  if (bytesEqual(c.root, ZERO_HASH)) return { epoch: c.epoch, root: view.genesis().hash, height: 0 };
  const m = view.getMeta(c.root);
  if (m === undefined) {
    throw new ConsensusError(
      "BLOCK_BAD_ENGINE_BODY",
      `checkpoint root of epoch ${c.epoch} is not an ancestor`,
      {
        parent: toHex(parent.hash),
      },
    );
  }
  return { epoch: c.epoch, root: c.root, height: m.header.height };
}

/** The store's finalized checkpoint and the head chain's one, when the head does not descend from the first. */
export interface FinalityConflict {
  store: Checkpoint;
  headChain: Checkpoint;
}

/**
 * The fork choice as the chain sees it: the store's finalized checkpoint only once the head
 * descends from it, the head chain's own until then. A block of another branch (the other side
 * of a healed partition, which finalized while this side had not yet) may carry a later finalized
 * checkpoint than the head's chain. Reported at once, the chain took the reorg to it for one past
 * finality, kept the head, and then pruned every block not descending from that checkpoint: the
 * head's own ancestors, so the duty computation found no ancestor at a slot (rootAtSlot) and
 * the node stopped proposing. Reported after the head has moved, the reorg happens first and the
 * prune then drops the abandoned branch only.
 */
class HeadFinalityForkChoice extends PosForkChoice {
  private readonly chainView: ChainView;
  private readonly onConflict: (c: FinalityConflict | undefined) => void;

  constructor(
    view: ChainView,
    restore: ForkChoiceRestore,
    onPrune: (finalizedEpoch: number) => void,
    onConflict: (c: FinalityConflict | undefined) => void,
  ) {
    super(view, restore, onPrune);
    this.chainView = view;
    this.onConflict = onConflict;
  }

  override finalized(): Checkpoint {
    const store = super.finalized();
    const head = this.chainView.head();
    const at = this.chainView.ancestorAt(head, store.height);
    if (at !== undefined && bytesEqual(at.hash, store.hash)) {
      this.onConflict(undefined);
      return store;
    }
    const own = metaOf(head).finalized;
    const headChain: Checkpoint = { epoch: own.epoch, height: own.height, hash: own.root };
    this.onConflict({ store, headChain });
    return headChain;
  }
}

const silentLogger: EngineLogger = { debug() {}, info() {}, warn() {}, error() {} };
