/**
 * The validator client: for every slot, propose if one of our keys is the slot's proposer (at the
 * slot's start), and attest with every key assigned to the slot (a third into the slot, when the
 * slot's block has had time to arrive). Every signed block and attestation first passes the
 * slashing-protection DB; `unsafe_equivocate` switches it off and signs two conflicting messages
 * each time (experiments only, with a warning on every message).
 */
import { type Block, encodeBlock, type Header } from "../../core/block.ts";
import { ChainlabError, describeError } from "../../core/errors.ts";
import { toHex } from "../../core/hash.ts";
import { sign } from "../../crypto/ed25519.ts";
import {
  type BlockMeta,
  type BlockProducer,
  ConsensusError,
  type ProducerContext,
  type ProducerOptions,
} from "../engine.ts";
import type { PosEngine } from "./engine.ts";
import {
  loadValidatorKeys,
  type PosNodeOptions,
  parsePosNodeOptions,
  type ValidatorKey,
} from "./node-options.ts";
import { epochOf } from "./params.ts";
import { openSlashingProtection, protectionDir, type SlashingProtection } from "./protection/index.ts";
import { ATTESTATIONS_TOPIC } from "./topics.ts";
import {
  type Attestation,
  type AttestationData,
  attestationSigningRoot,
  blockSigningRoot,
  bodyRoot,
  encodeAttestation,
  encodePosBody,
  encodePosFields,
  type PosBody,
  posFieldsOf,
  randaoSigningRoot,
} from "./types.ts";
import { indexOfPublicKey } from "./validators.ts";

const ZERO_SIGNATURE = new Uint8Array(64);

interface LocalValidator extends ValidatorKey {
  pubkeyHex: string;
}

/** The PoS validator client. */
export class PosProducer implements BlockProducer {
  private readonly engine: PosEngine;
  private readonly ctx: ProducerContext;
  private readonly options: ProducerOptions;
  private readonly config: PosNodeOptions;
  private keys: LocalValidator[] = [];
  private protection: SlashingProtection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ready: Promise<void> | undefined;
  private busy: Promise<void> = Promise.resolve();
  private lastProposed = -1;
  private lastAttested = -1;
  /** Signed and sent, refused by slashing protection, and duties that failed with an error. */
  readonly counts = { proposed: 0, attested: 0, refused: 0, failed: 0 };
  /** The last duty that failed: its slot and the error's code and message. */
  private lastFailure: { slot: number; code: string; message: string } | undefined;
  running = false;

  constructor(engine: PosEngine, ctx: ProducerContext, options: ProducerOptions) {
    this.engine = engine;
    this.ctx = ctx;
    this.options = options;
    this.config = parsePosNodeOptions(options.engine);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.ready = this.init().then(
      () => this.schedule(),
      (err: unknown) => {
        this.running = false;
        this.ctx.log.error({ err: describeError(err) }, "validator client failed to start");
      },
    );
  }

  private async init(): Promise<void> {
    const keys = await loadValidatorKeys(this.config);
    this.keys = keys.map((k) => ({ ...k, pubkeyHex: toHex(k.publicKey) }));
    if (this.config.unsafeEquivocate) {
      this.ctx.log.warn(
        { keys: this.keys.length },
        "UNSAFE: slashing protection is off and validators equivocate",
      );
    } else if (this.keys.length > 0) {
      if (this.options.dataDir === undefined) {
        throw new ConsensusError(
          "CONSENSUS_BAD_PARAMS",
          "the validator client needs a data dir for slashing protection",
        );
      }
      this.protection = await openSlashingProtection(protectionDir(this.options.dataDir), {
        genesisValidatorsRoot: this.engine.domain,
      });
    }
    this.ctx.log.info({ keys: this.keys.length }, "validator client started");
  }

  /** Sets the timer for the next duty: a slot's start (propose) or a third into it (attest). */
  private schedule(): void {
    if (!this.running) return;
    const now = this.ctx.now();
    const { clock } = this.engine;
    const slot = clock.slotAt(now);
    const start = clock.slotStart(slot);
    const attestAt = start + Math.floor(this.engine.params.slotMs / 3);
    let next: number;
    if (this.lastProposed < slot && now >= start) next = now;
    else if (this.lastAttested < slot && now >= attestAt) next = now;
    else if (now < attestAt) next = attestAt;
    else next = clock.slotStart(slot + 1);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.busy = this.duties().finally(() => this.schedule());
      },
      Math.max(0, next - now),
    );
  }

  private async duties(): Promise<void> {
    const now = this.ctx.now();
    const slot = this.engine.clock.slotAt(now);
    try {
      if (this.lastProposed < slot) {
        this.lastProposed = slot;
        if (slot > 0) await this.propose(slot);
      }
      if (
        this.lastAttested < slot &&
        now >= this.engine.clock.slotStart(slot) + Math.floor(this.engine.params.slotMs / 3)
      ) {
        this.lastAttested = slot;
        await this.attest(slot);
      }
    } catch (err) {
      this.counts.failed++;
      const e = describeError(err);
      this.lastFailure = { slot, ...e };
      this.ctx.log.warn({ err: e, slot }, "validator duty failed");
    }
  }

  private localIndex(k: LocalValidator): number | undefined {
    const state = this.engine.headState();
    return state === undefined ? undefined : indexOfPublicKey(state, k.publicKey);
  }

  private async propose(slot: number): Promise<void> {
    const head = this.ctx.view.head();
    const proposer = this.engine.proposerAt(slot);
    if (proposer === undefined) return;
    const key = this.keys.find((k) => this.localIndex(k) === proposer);
    if (key === undefined) return;
    const block = this.buildBlock(slot, proposer, key, head, this.options.beneficiary);
    if (!(await this.allowBlock(key, block.header, slot))) return;
    const signed = this.signBlock(block, key);
    this.counts.proposed++;
    this.ctx.log.info({ slot, height: signed.header.height, proposer }, "proposing block");
    if (this.config.unsafeEquivocate) {
      // A second block for the same slot: another beneficiary gives another state root and hash.
      const twin = this.signBlock(this.buildBlock(slot, proposer, key, head, new Uint8Array(20)), key);
      this.ctx.log.warn({ slot, proposer }, "UNSAFE: publishing a second block for the slot");
      this.ctx.publish("blocks", encodeBlock(twin));
    }
    await this.ctx.submitBlock(signed);
  }

  private buildBlock(
    slot: number,
    proposer: number,
    key: LocalValidator,
    head: BlockMeta,
    beneficiary: Uint8Array,
  ): Block {
    const build = (body: Uint8Array): Block =>
      this.ctx.buildTemplate({
        beneficiary,
        timestamp: this.engine.clock.slotStart(slot),
        engineFields: proposalFields(this.engine, slot, proposer, key.secretKey, body),
        engineBody: body,
      });
    const full = this.engine.bodyFor(slot, head);
    const none = { attestations: [], proposerSlashings: [], attesterSlashings: [] };
    // If the state refuses an item, fall back to the votes alone, the evidence alone, then nothing.
    const bodies: PosBody[] = [
      full,
      { ...none, attestations: full.attestations },
      { ...full, attestations: [] },
      none,
    ];
    let refused: unknown;
    for (const body of bodies) {
      try {
        return build(encodePosBody(body, this.engine.params));
      } catch (err) {
        if (!(err instanceof ChainlabError)) throw err;
        refused = err;
        this.ctx.log.warn({ err: describeError(err), slot }, "body refused by the state rules");
      }
    }
    throw refused;
  }

  private signBlock(block: Block, key: LocalValidator): Block {
    return signBlock(this.engine, block, key.secretKey);
  }

  private async allowBlock(key: LocalValidator, header: Header, slot: number): Promise<boolean> {
    if (this.protection === undefined) {
      if (this.config.unsafeEquivocate)
        this.ctx.log.warn({ slot }, "UNSAFE: block signed without slashing protection");
      return this.config.unsafeEquivocate;
    }
    try {
      await this.protection.checkAndInsertBlock(
        key.pubkeyHex,
        slot,
        toHex(blockSigningRoot(this.engine.domain, header)),
      );
      return true;
    } catch (err) {
      this.counts.refused++;
      this.ctx.log.error({ err: describeError(err), slot }, "slashing protection refused a block");
      return false;
    }
  }

  private async attest(slot: number): Promise<void> {
    const epoch = epochOf(slot, this.engine.params);
    const head = this.ctx.view.head();
    for (const key of this.keys) {
      const index = this.localIndex(key);
      if (index === undefined || this.engine.attestationSlotOf(index, epoch) !== slot) continue;
      const data = this.engine.attestationDataFor(slot, head);
      await this.sendAttestation(key, index, data);
      if (this.config.unsafeEquivocate && head.header.height > 0) {
        // A double vote: same target, another head (the head's parent).
        const parent = this.ctx.view.getMeta(head.header.parentHash)!;
        this.ctx.log.warn({ slot, validatorIndex: index }, "UNSAFE: publishing a second vote for the epoch");
        await this.sendAttestation(key, index, { ...data, head: parent.hash });
      }
    }
  }

  private async sendAttestation(key: LocalValidator, index: number, data: AttestationData): Promise<void> {
    const root = attestationSigningRoot(this.engine.domain, data);
    if (this.protection !== undefined) {
      try {
        await this.protection.checkAndInsertAttestation(
          key.pubkeyHex,
          data.source.epoch,
          data.target.epoch,
          toHex(root),
        );
      } catch (err) {
        this.counts.refused++;
        this.ctx.log.error(
          { err: describeError(err), slot: data.slot },
          "slashing protection refused an attestation",
        );
        return;
      }
    } else if (this.config.unsafeEquivocate) {
      this.ctx.log.warn(
        { slot: data.slot, validatorIndex: index },
        "UNSAFE: attestation signed without slashing protection",
      );
    } else {
      return;
    }
    const att: Attestation = { validatorIndex: index, data, signature: sign(root, key.secretKey) };
    try {
      this.engine.messages.onAttestation(att);
    } catch (err) {
      this.ctx.log.warn({ err: describeError(err), slot: data.slot }, "own attestation refused");
      return;
    }
    this.counts.attested++;
    this.ctx.publish(ATTESTATIONS_TOPIC, encodeAttestation(att));
  }

  async stop(): Promise<void> {
    if (!this.running && this.protection === undefined) return;
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ready;
    await this.busy;
    await this.protection?.close();
    this.protection = undefined;
  }

  stats(): Record<string, unknown> {
    return {
      validators: this.keys.length,
      ...this.counts,
      lastFailure: this.lastFailure ?? null,
      unsafeEquivocate: this.config.unsafeEquivocate,
    };
  }
}

/** A proposal's unsigned engine fields: slot, proposer, RANDAO reveal for the slot's epoch, body root. */
export function proposalFields(
  engine: PosEngine,
  slot: number,
  proposer: number,
  secretKey: Uint8Array,
  body: Uint8Array,
): Uint8Array {
  const randaoReveal = sign(randaoSigningRoot(engine.domain, epochOf(slot, engine.params)), secretKey);
  return encodePosFields({
    slot,
    proposerIndex: proposer,
    randaoReveal,
    bodyRoot: bodyRoot(body),
    signature: ZERO_SIGNATURE,
  });
}

/** The block with the proposer's signature over its signing root in the engine fields. */
export function signBlock(engine: PosEngine, block: Block, secretKey: Uint8Array): Block {
  const signature = sign(blockSigningRoot(engine.domain, block.header), secretKey);
  const header: Header = {
    ...block.header,
    engine: encodePosFields({ ...posFieldsOf(block.header), signature }),
  };
  return { ...block, header };
}
