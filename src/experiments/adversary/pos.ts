/** Reading PoS nodes through their RPC: consensus_status, finality and the slashed set. */
import type { RpcClient } from "../../rpc/index.ts";
import { pollUntil } from "./chain-view.ts";

/** A checkpoint as consensus_status reports it. */
export interface CheckpointView {
  epoch: number;
  height: number;
  root: string;
}

/** A slashed validator as consensus_status reports it (stake in base units). */
export interface SlashedView {
  index: number;
  publicKey: string;
  stake: bigint;
  evidence: unknown[];
}

/** The parts of a PoS node's consensus_status the experiments read. */
export interface PosStatusView {
  slot: number;
  epoch: number;
  headHeight: number;
  headHash: string;
  headSlot: number;
  justified: CheckpointView;
  finalized: CheckpointView;
  participation: { previousEpoch: number; currentEpoch: number } | undefined;
  activeValidators: number;
  activeStake: bigint;
  slashed: SlashedView[];
  pendingEvidence: unknown[];
}

/** consensus_status as JSON: amounts as decimal strings, the validator fields absent before a head state. */
type RawStatus = Omit<
  PosStatusView,
  "participation" | "activeValidators" | "activeStake" | "slashed" | "pendingEvidence"
> & {
  participation?: PosStatusView["participation"];
  activeValidators?: number;
  activeStake?: string;
  slashed?: (Omit<SlashedView, "stake"> & { stake: string })[];
  pendingEvidence?: unknown[];
};

/** The PoS consensus_status of the node behind `c`. */
export async function readPosStatus(c: RpcClient): Promise<PosStatusView> {
  const s = await c.call<RawStatus>("consensus_status");
  return {
    slot: s.slot,
    epoch: s.epoch,
    headHeight: s.headHeight,
    headHash: s.headHash,
    headSlot: s.headSlot,
    justified: s.justified,
    finalized: s.finalized,
    participation: s.participation,
    activeValidators: s.activeValidators ?? 0,
    activeStake: BigInt(s.activeStake ?? "0"),
    slashed: (s.slashed ?? []).map((v) => ({ ...v, stake: BigInt(v.stake) })),
    pendingEvidence: s.pendingEvidence ?? [],
  };
}

/** Waits until every client's finalized epoch is at least `epoch`; returns their statuses. */
export function waitForFinalizedEpoch(
  clients: readonly RpcClient[],
  epoch: number,
  timeoutMs: number,
): Promise<PosStatusView[]> {
  return pollUntil(
    `finalized epoch ${epoch} on ${clients.length} nodes`,
    async () => {
      const all = await Promise.all(clients.map(readPosStatus));
      return all.every((s) => s.finalized.epoch >= epoch) ? all : undefined;
    },
    timeoutMs,
    100,
  );
}

/** Waits until every client's clock is at least at `epoch`. */
export function waitForEpoch(clients: readonly RpcClient[], epoch: number, timeoutMs: number): Promise<void> {
  return pollUntil(
    `epoch ${epoch} on ${clients.length} nodes`,
    async () =>
      (await Promise.all(clients.map(readPosStatus))).every((s) => s.epoch >= epoch) ? true : undefined,
    timeoutMs,
    100,
  ).then(() => undefined);
}
