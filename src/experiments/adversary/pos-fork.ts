/**
 * Two PoS chains that a partition split: reading each side's finality and votes, finding the
 * validators provably slashable from the votes of the two chains (Casper FFG's accountable safety),
 * re-verifying their signatures outside the node, and the inactivity leak's expected course.
 * Blocks are fetched raw over blocks_by_range and decoded with the node's own codecs (audit.ts);
 * the ed25519 signatures are re-checked with the reference implementation (@noble/curves, strict
 * RFC 8032), not with the node:crypto verifier the nodes use.
 */
import {
  type Attestation,
  type AttestationData,
  attestationSigningRoot,
  isSlashableAttestationData,
  type PosParams,
} from "../../consensus/pos/audit.ts";
import { toHex } from "../../core/hash.ts";
import { verifyReference } from "../../crypto/ed25519.ts";
import type { RpcClient } from "../../rpc/index.ts";
import type { NodeEntry } from "../../testnet/index.ts";
import { ExperimentError } from "../errors.ts";
import { pollUntil } from "./chain-view.ts";
import { type CheckpointView, type PosStatusView, readPosStatus, waitForFinalizedEpoch } from "./pos.ts";
import { fetchPosBlocks, type PosChain, type RawPosBlock, slotStart } from "./pos-chain.ts";
import { expectedEffective } from "./pos-equivocation.ts";

/** An attestation found in a block of one chain. */
export interface FoundVote {
  attestation: Attestation;
  height: number;
}

/** Every attestation included in `blocks`. */
export function votesIn(blocks: readonly RawPosBlock[]): FoundVote[] {
  return blocks.flatMap((b) =>
    b.body.attestations.map((attestation) => ({ attestation, height: b.block.header.height })),
  );
}

/** A pair of votes by one validator, one from each chain, that is_slashable_attestation_data. */
export interface SlashablePair {
  validatorIndex: number;
  kind: "double" | "surround";
  a: Attestation;
  b: Attestation;
}

const dataKey = (d: AttestationData): string =>
  `${d.slot}:${toHex(d.head)}:${d.source.epoch}:${toHex(d.source.root)}:${d.target.epoch}:${toHex(d.target.root)}`;

/** For each validator with votes on both chains, one slashable pair (a double vote first), if any. */
export function findSlashablePairs(
  sideA: readonly FoundVote[],
  sideB: readonly FoundVote[],
): SlashablePair[] {
  const byValidator = (votes: readonly FoundVote[]) => {
    const m = new Map<number, Map<string, Attestation>>();
    for (const { attestation: a } of votes) {
      const mine = m.get(a.validatorIndex) ?? new Map<string, Attestation>();
      mine.set(dataKey(a.data), a);
      m.set(a.validatorIndex, mine);
    }
    return m;
  };
  const a = byValidator(sideA);
  const b = byValidator(sideB);
  const pairs: SlashablePair[] = [];
  for (const [index, votesA] of a) {
    const votesB = b.get(index);
    if (votesB === undefined) continue;
    let surround: SlashablePair | undefined;
    let double: SlashablePair | undefined;
    for (const x of votesA.values()) {
      for (const y of votesB.values()) {
        if (!isSlashableAttestationData(x.data, y.data)) continue;
        if (x.data.target.epoch === y.data.target.epoch)
          double ??= { validatorIndex: index, kind: "double", a: x, b: y };
        else surround ??= { validatorIndex: index, kind: "surround", a: x, b: y };
      }
    }
    const pair = double ?? surround;
    if (pair !== undefined) pairs.push(pair);
  }
  return pairs.sort((x, y) => x.validatorIndex - y.validatorIndex);
}

/** The outcome of re-verifying the slashable pairs against the genesis validator keys. */
export interface SlashableStake {
  /** Validators whose two votes both verified. */
  proven: number[];
  /** Validators with a pair whose signatures did not both verify (or an unknown index). */
  unproven: number[];
  provenStake: bigint;
  totalStake: bigint;
}

/** Re-verifies each pair's two signatures (signing root from the genesis domain) and sums the proven stake. */
export function proveSlashableStake(pairs: readonly SlashablePair[], genesis: PosChain): SlashableStake {
  const validators = genesis.params.validators;
  const totalStake = validators.reduce((n, v) => n + v.stake, 0n);
  const proven: number[] = [];
  const unproven: number[] = [];
  let provenStake = 0n;
  for (const p of pairs) {
    const v = validators[p.validatorIndex];
    const ok =
      v !== undefined &&
      [p.a, p.b].every((x) =>
        verifyReference(x.signature, attestationSigningRoot(genesis.domain, x.data), v.publicKey),
      );
    if (ok) {
      proven.push(p.validatorIndex);
      provenStake += v.stake;
    } else {
      unproven.push(p.validatorIndex);
    }
  }
  return { proven, unproven, provenStake, totalStake };
}

/** Whether a node knows a block (any branch). */
export async function knowsBlock(c: RpcClient, root: string): Promise<boolean> {
  return (await c.call<unknown>("chain_getBlockByHash", { hash: root })) !== null;
}

/**
 * Two sides' finalized checkpoints conflict when neither block is known on the other side: each
 * side holds every block of the common prefix, so an unknown block is not an ancestor there.
 */
export async function finalizedConflict(
  a: { client: RpcClient; finalized: CheckpointView },
  b: { client: RpcClient; finalized: CheckpointView },
): Promise<boolean> {
  if (a.finalized.root === b.finalized.root) return false;
  const [bKnowsA, aKnowsB] = await Promise.all([
    knowsBlock(b.client, a.finalized.root),
    knowsBlock(a.client, b.finalized.root),
  ]);
  return !bKnowsA && !aKnowsB;
}

/** The expected course of the leak on one side's chain, from the genesis formulas. */
export interface LeakExpectation {
  /** First epoch (processed at its end) whose present stake is at least 2/3 of the active stake. */
  thresholdEpoch: number | undefined;
  /** Epochs from the split to thresholdEpoch. */
  epochsToTwoThirds: number | undefined;
  /** The clock epoch in which the side's finalized checkpoint moves, at the earliest (thresholdEpoch + 2). */
  finalizedByEpoch: number | undefined;
  /** Stake the absent validators lost on this chain by finalizedByEpoch, or by untilEpoch if later (base units). */
  absentLoss: bigint;
}

interface ModelValidator {
  stake: bigint;
  effective: bigint;
  score: number;
  exitEpoch: number;
  present: boolean;
}

/**
 * Iterates epoch processing's integer rules (epoch.ts: inactivity scores, the penalty
 * effective × score / (bias × quotient) while finality is more than minEpochsToInactivityPenalty
 * behind, effective stake with hysteresis, ejection at ejectionStake through the exit churn)
 * for validators `present` on the side and the rest absent, from `splitEpoch` with the last
 * finalized epoch `finalizedEpoch`, until the present stake reaches 2/3 of the active stake
 * (3 × present >= 2 × total, as weigh_justification_and_finalization), and two epochs more (the
 * leak lasts until the finalized checkpoint moves), or on to `untilEpoch` (the scores then recover at
 * inactivityScoreRecoveryRate and the penalties fade). Every present validator is
 * taken to vote its target each epoch, and genesis validators active from epoch 0.
 */
export function expectLeak(
  params: PosParams,
  present: readonly boolean[],
  splitEpoch: number,
  finalizedEpoch: number,
  untilEpoch?: number,
  maxEpochs = 10_000,
): LeakExpectation {
  const far = Number.MAX_SAFE_INTEGER;
  const vs: ModelValidator[] = params.validators.map((g, i) => {
    return {
      stake: g.stake,
      effective: expectedEffective(g.stake, params),
      score: 0,
      exitEpoch: far,
      present: present[i] === true,
    };
  });
  const start = vs.map((v) => v.stake);
  let exitQueueEpoch = 0;
  let exitQueueChurn = 0;
  const quarter = params.effectiveIncrement / 4n;
  const bias = params.inactivityScoreBias;
  let threshold: number | undefined;
  const loss = () => vs.reduce((n, v, i) => (v.present ? n : n + (start[i]! - v.stake)), 0n);
  for (let epoch = splitEpoch; epoch < splitEpoch + maxEpochs; epoch++) {
    let total = 0n;
    let voted = 0n;
    for (const v of vs) {
      if (epoch >= v.exitEpoch) continue;
      total += v.effective;
      if (v.present) voted += v.effective;
    }
    if (total < params.effectiveIncrement) total = params.effectiveIncrement;
    if (threshold === undefined && voted * 3n >= total * 2n) threshold = epoch;
    // The leak goes on until the finalized checkpoint moves, two epochs after the threshold;
    // then the scores only recover, and the absent still lose a little until `untilEpoch`.
    if (threshold !== undefined && epoch >= threshold + 2) {
      finalizedEpoch = Math.max(finalizedEpoch, threshold);
    }
    if (threshold !== undefined && epoch >= Math.max(threshold + 2, untilEpoch ?? 0)) {
      return {
        thresholdEpoch: threshold,
        epochsToTwoThirds: threshold - splitEpoch,
        finalizedByEpoch: threshold + 2,
        absentLoss: loss(),
      };
    }
    const leak = epoch - 1 - finalizedEpoch > params.minEpochsToInactivityPenalty;
    for (const v of vs) {
      if (epoch - 1 >= v.exitEpoch) continue;
      if (v.present) v.score -= Math.min(1, v.score);
      else v.score += bias;
      if (!leak) v.score -= Math.min(params.inactivityScoreRecoveryRate, v.score);
      if (!v.present) {
        const wanted =
          (v.effective * BigInt(v.score)) / (BigInt(bias) * BigInt(params.inactivityPenaltyQuotient));
        v.stake -= wanted < v.stake ? wanted : v.stake;
      }
    }
    for (const v of vs) {
      if (epoch >= v.exitEpoch || v.effective > params.ejectionStake || v.exitEpoch !== far) continue;
      const earliest = epoch + 1 + params.activationDelayEpochs;
      if (exitQueueEpoch < earliest) {
        exitQueueEpoch = earliest;
        exitQueueChurn = 0;
      }
      if (exitQueueChurn >= params.churnLimit) {
        exitQueueEpoch += 1;
        exitQueueChurn = 0;
      }
      exitQueueChurn += 1;
      v.exitEpoch = exitQueueEpoch;
    }
    for (const v of vs) {
      if (v.stake + quarter < v.effective || v.effective + 5n * quarter < v.stake) {
        v.effective = expectedEffective(v.stake, params);
      }
    }
  }
  return {
    thresholdEpoch: undefined,
    epochsToTwoThirds: undefined,
    finalizedByEpoch: undefined,
    absentLoss: loss(),
  };
}

/** The sum of a list of stakes. */
export function sumStake(stakes: readonly bigint[]): bigint {
  return stakes.reduce((n, x) => n + x, 0n);
}

/** The highest height at which both nodes' canonical chains hold the same block (0: genesis). */
export async function commonHeight(a: RpcClient, b: RpcClient, upTo: number): Promise<number> {
  const hashAt = async (c: RpcClient, h: number) =>
    (await c.call<{ hash: string } | null>("chain_getBlockByHeight", { height: h }))?.hash;
  // Canonical chains that agree at h agree below it: a binary search over [0, upTo].
  let lo = 0;
  let hi = upTo;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const [x, y] = await Promise.all([hashAt(a, mid), hashAt(b, mid)]);
    if (x !== undefined && x === y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The votes included in one node's canonical blocks above `forkHeight`, up to its head. */
export async function votesAbove(
  genesis: PosChain,
  node: NodeEntry,
  forkHeight: number,
  headHeight: number,
): Promise<FoundVote[]> {
  if (headHeight <= forkHeight) return [];
  return votesIn(await fetchPosBlocks(genesis, node, forkHeight + 1, headHeight));
}

/** What watchSides saw of one side: its last status and the clock epoch its finality first moved past the split. */
export interface SideWatch {
  status: PosStatusView;
  /** The node clock's epoch when its finalized epoch first exceeded the one at the split. */
  refinalizedAtEpoch: number | undefined;
}

/**
 * Polls one node of each side until both have finalized past `finalizedAtSplit` or the clock
 * reaches `untilEpoch`; returns each side's view at that moment.
 */
export async function watchSides(
  sides: readonly RpcClient[],
  finalizedAtSplit: number,
  untilEpoch: number,
  timeoutMs: number,
): Promise<SideWatch[]> {
  const seen: (number | undefined)[] = sides.map(() => undefined);
  return pollUntil(
    `both sides to finalize past epoch ${finalizedAtSplit} or epoch ${untilEpoch}`,
    async () => {
      const all = await Promise.all(sides.map(readPosStatus));
      all.forEach((st, i) => {
        if (seen[i] === undefined && st.finalized.epoch > finalizedAtSplit) seen[i] = st.epoch;
      });
      const done = seen.every((x) => x !== undefined) || all.every((st) => st.epoch >= untilEpoch);
      return done ? all.map((status, i) => ({ status, refinalizedAtEpoch: seen[i] })) : undefined;
    },
    timeoutMs,
    200,
  );
}

/** Where splitAtEpochStart put the partition. */
export interface EpochSplit {
  /** The first epoch whose votes each side saw only from its own validators. */
  splitEpoch: number;
  /** The highest finalized epoch once every node processed the transition into `splitEpoch`. */
  finalizedAtSplit: number;
  /** Boundaries tried: a partition that landed after the split epoch's first votes is lifted and retried. */
  attempts: number;
}

/** What splitAtEpochStart needs of a testnet. */
export interface Partitionable {
  partition(groups: number[][]): Promise<void>;
  heal(): Promise<void>;
}

/**
 * Partitions the nodes into `groups` at an epoch's boundary, between the last slot's votes (a third
 * into that slot) and the first slot's (a third into it), so every vote of the epoch before reached
 * both sides and none of the split epoch crosses: the leak model starts from exactly that. A
 * partition that lands too late on a loaded machine is lifted, the nodes finalize two more epochs
 * together, and the next boundary is tried. The finalized epoch is read once every node's head is
 * in the split epoch, after the transition that may still finalize an epoch on both sides.
 */
export async function splitAtEpochStart(
  net: Partitionable,
  chain: PosChain,
  clients: readonly RpcClient[],
  groups: number[][],
  attempts = 5,
): Promise<EpochSplit> {
  const { slotMs, slotsPerEpoch } = chain.params;
  const epochMs = slotMs * slotsPerEpoch;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
  for (let attempt = 1; ; attempt++) {
    const epoch = Math.floor((Date.now() - chain.genesisTime) / epochMs) + 1;
    const boundary = slotStart(chain, epoch * slotsPerEpoch);
    // Late enough for the last slot's votes to spread, early enough to be in place before the first slot's.
    await sleep(boundary - Math.floor(slotMs / 6) - Date.now());
    await net.partition(groups);
    const landed = Date.now();
    if (landed < boundary + Math.floor(slotMs / 3) - Math.floor(slotMs / 12)) {
      const statuses = await pollUntil(
        `every node's head in epoch ${epoch}`,
        async () => {
          const all = await Promise.all(clients.map(readPosStatus));
          return all.every((s) => s.headSlot >= epoch * slotsPerEpoch) ? all : undefined;
        },
        4 * epochMs + 10_000,
        20,
      );
      return {
        splitEpoch: epoch,
        finalizedAtSplit: Math.max(...statuses.map((s) => s.finalized.epoch)),
        attempts: attempt,
      };
    }
    if (attempt >= attempts) {
      throw new ExperimentError(
        "EXPERIMENT_FAILED",
        `could not partition the nodes at an epoch's start in ${attempts} tries (the last landed ${landed - boundary} ms into epoch ${epoch})`,
      );
    }
    await net.heal();
    const finalized = Math.max(
      ...(await Promise.all(clients.map(readPosStatus))).map((s) => s.finalized.epoch),
    );
    await waitForFinalizedEpoch(clients, finalized + 2, 12 * epochMs + 30_000);
  }
}
