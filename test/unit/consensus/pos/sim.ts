/**
 * A PoS chain simulated with the transition functions directly: one block per slot (or per chosen
 * slot), signed RANDAO reveals and attestations from deterministic keys, blocks roots derived from
 * the slot. Attestations of the validators marked online are included in the next block.
 */
import {
  defaultPosParams,
  epochOf,
  epochStartSlot,
  type PosParams,
} from "../../../../src/consensus/pos/params.ts";
import { proposerIndex } from "../../../../src/consensus/pos/proposer.ts";
import { epochDuties } from "../../../../src/consensus/pos/shuffle.ts";
import { applyEvidenceTx } from "../../../../src/consensus/pos/slashing.ts";
import { applyStakingTx } from "../../../../src/consensus/pos/staking.ts";
import {
  advanceSlots,
  type PosMetaInfo,
  posGenesisState,
  processBlock,
} from "../../../../src/consensus/pos/transition.ts";
import {
  type Attestation,
  type AttestationData,
  attestationSigningRoot,
  type Evidence,
  encodeEvidence,
  type PosBody,
  randaoSigningRoot,
} from "../../../../src/consensus/pos/types.ts";
import {
  type PosState,
  readAllValidators,
  readPosState,
  readValidator,
  type Validator,
} from "../../../../src/consensus/pos/validators.ts";
import { type Hash, sha256, ZERO_HASH } from "../../../../src/core/hash.ts";
import { MemoryState, StateOverlay } from "../../../../src/core/state.ts";
import { applyTx } from "../../../../src/core/state-transition.ts";
import { signTx, type Tx, TxKind } from "../../../../src/core/tx.ts";
import { addressBytesOf } from "../../../../src/crypto/address.ts";
import { type KeyPair, publicKeyOf, sign } from "../../../../src/crypto/ed25519.ts";

export const COIN = 1_0000_0000n;
export const DOMAIN = sha256(new TextEncoder().encode("pos sim domain"));

/** A deterministic key pair (seed = sha256(label, n)). */
export function testKey(n: number, label = "validator"): KeyPair {
  const secretKey = sha256(new TextEncoder().encode(label), Uint8Array.of(n >> 8, n & 0xff));
  return { secretKey, publicKey: publicKeyOf(secretKey) };
}

export interface SimOptions {
  validators: number;
  stake?: bigint | ((i: number) => bigint);
  params?: Partial<PosParams>;
  /** Accounts funded at genesis. */
  alloc?: { key: KeyPair; balance: bigint }[];
}

export class PosSim {
  readonly state = new MemoryState();
  readonly params: PosParams;
  readonly keys: KeyPair[] = [];
  readonly roots = new Map<number, Hash>();
  slot = 0;
  pending: Attestation[] = [];
  /** Validators that attest. */
  online: (index: number) => boolean = () => true;
  private readonly keyOf = new Map<string, KeyPair>();

  constructor(o: SimOptions) {
    const stake = o.stake ?? 32n * COIN;
    for (let i = 0; i < o.validators; i++) this.keys.push(testKey(i));
    this.params = {
      ...defaultPosParams(1000, 8),
      ...o.params,
      validators: this.keys.map((k, i) => ({
        publicKey: k.publicKey,
        stake: typeof stake === "function" ? stake(i) : stake,
        withdrawal: addressBytesOf(k.publicKey),
      })),
    };
    const g = new StateOverlay(this.state);
    posGenesisState(g, this.params);
    for (const a of o.alloc ?? [])
      g.setAccount(addressBytesOf(a.key.publicKey), { balance: a.balance, nonce: 0 });
    this.state.apply(g.changes());
  }

  /** Registers the key of a validator that joins later (for signing its duties). */
  addKey(key: KeyPair): void {
    this.keyOf.set(Buffer.from(key.publicKey).toString("hex"), key);
  }

  private secretOf(v: Validator, index: number): Uint8Array {
    return (this.keys[index] ?? this.keyOf.get(Buffer.from(v.publicKey).toString("hex")))!.secretKey;
  }

  rootAtSlot = (slot: number): Hash => {
    for (let s = slot; s > 0; s--) {
      const r = this.roots.get(s);
      if (r !== undefined) return r;
    }
    return ZERO_HASH;
  };

  pos(): PosState {
    return readPosState(this.state);
  }

  validators(): Validator[] {
    return readAllValidators(this.state);
  }

  validator(i: number): Validator {
    return readValidator(this.state, i);
  }

  balance(address: Uint8Array): bigint {
    return new StateOverlay(this.state).getAccount(address).balance;
  }

  /** Accounts + stakes + reward pool: constant without issuance. */
  supply(addresses: Uint8Array[]): bigint {
    let total = this.pos().rewardPool;
    for (const v of this.validators()) total += v.stake;
    const seen = new Set<string>();
    for (const a of addresses) {
      const id = Buffer.from(a).toString("hex");
      if (seen.has(id)) continue;
      seen.add(id);
      total += this.balance(a);
    }
    return total;
  }

  /** The proposer of `slot` on the current chain. */
  proposerOf(slot: number): number {
    const scratch = new StateOverlay(this.state);
    advanceSlots(scratch, slot, this.params, this.rootAtSlot);
    return proposerIndex(scratch, slot, this.params);
  }

  signAttestation(index: number, data: AttestationData): Attestation {
    const v = this.validator(index);
    return {
      validatorIndex: index,
      data,
      signature: sign(attestationSigningRoot(DOMAIN, data), this.secretOf(v, index)),
    };
  }

  /** The honest vote of validator `index` in its slot (the block of that slot just made). */
  vote(index: number, slot: number, pos: PosState = this.pos()): Attestation {
    const epoch = epochOf(slot, this.params);
    const source = epoch === epochOf(pos.slot, this.params) ? pos.currentJustified : pos.previousJustified;
    return this.signAttestation(index, {
      slot,
      head: this.rootAtSlot(slot),
      source,
      target: { epoch, root: this.rootAtSlot(epochStartSlot(epoch, this.params)) },
    });
  }

  /** The engine's tx handler: staking and evidence txs. */
  engineTx = (tx: Tx, state: StateOverlay): void => {
    if (tx.kind === TxKind.evidence) applyEvidenceTx(tx, state, this.params, DOMAIN);
    else applyStakingTx(tx, state, this.params);
  };

  /** An evidence tx from `key`. */
  evidenceTx(key: KeyPair, evidence: Evidence, nonce: number): Tx {
    return signTx(
      {
        kind: TxKind.evidence,
        chainId: 1,
        from: key.publicKey,
        to: new Uint8Array(20),
        amount: 0n,
        fee: 1000n,
        nonce,
        expiresAt: 0,
        payload: encodeEvidence(evidence),
      },
      key.secretKey,
      DOMAIN,
    );
  }

  /** A stake or unstake tx from `key`. */
  stakingTx(
    key: KeyPair,
    kind: "stake" | "unstake",
    amount: bigint,
    nonce: number,
    withdrawal?: Uint8Array,
  ): Tx {
    return signTx(
      {
        kind: kind === "stake" ? TxKind.stake : TxKind.unstake,
        chainId: 1,
        from: key.publicKey,
        to: withdrawal ?? addressBytesOf(key.publicKey),
        amount,
        fee: 1000n,
        nonce,
        expiresAt: 0,
        payload: new Uint8Array(0),
      },
      key.secretKey,
      DOMAIN,
    );
  }

  /** Produces the block of `slot` with the pending votes (and `extra` body items, txs). */
  block(slot: number, extra: Partial<PosBody> = {}, txs: Tx[] = [], beneficiary?: Uint8Array): PosMetaInfo {
    const proposer = this.proposerOf(slot);
    const overlay = new StateOverlay(this.state);
    let fees = 0n;
    for (const tx of txs) fees += applyTx(overlay, tx, slot, this.engineTx);
    const epoch = epochOf(slot, this.params);
    const v = this.validator(proposer);
    const minInclusion = epochOf(slot, this.params) - 1;
    const attestations = [
      ...this.pending.filter((a) => a.data.target.epoch >= minInclusion && a.data.slot < slot),
      ...(extra.attestations ?? []),
    ];
    const info = processBlock(
      overlay,
      {
        slot,
        proposerIndex: proposer,
        randaoReveal: sign(randaoSigningRoot(DOMAIN, epoch), this.secretOf(v, proposer)),
        body: {
          attestations,
          proposerSlashings: extra.proposerSlashings ?? [],
          attesterSlashings: extra.attesterSlashings ?? [],
        },
        fees,
        beneficiary: beneficiary ?? addressBytesOf(v.publicKey),
        rootAtSlot: this.rootAtSlot,
        domain: DOMAIN,
      },
      this.params,
    );
    this.state.apply(overlay.changes());
    this.pending = [];
    this.roots.set(slot, sha256(Uint8Array.of(0xb1), new TextEncoder().encode(String(slot))));
    this.slot = slot;
    this.collectVotes(slot);
    return info;
  }

  private collectVotes(slot: number): void {
    const epoch = epochOf(slot, this.params);
    const validators = this.validators();
    const pos = this.pos();
    const duties = epochDuties(validators, pos, epoch, this.params);
    validators.forEach((v, i) => {
      if (v.slashed || !this.online(i)) return;
      if (duties.get(i) === slot) this.pending.push(this.vote(i, slot, pos));
    });
  }

  /** Blocks in every slot up to and including `slot`. */
  runTo(slot: number): PosMetaInfo | undefined {
    let info: PosMetaInfo | undefined;
    for (let s = this.slot + 1; s <= slot; s++) info = this.block(s);
    return info;
  }

  /** Blocks up to the first slot of `epoch` (its epoch transition done). */
  runToEpoch(epoch: number): PosMetaInfo | undefined {
    return this.runTo(epochStartSlot(epoch, this.params));
  }
}
