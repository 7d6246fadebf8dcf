/**
 * tx-replay (PoW): an attacker replays signed transactions that a chain already included.
 * Chain A has two mining nodes, chain B (another chain id and genesis) one. Per trial, one kind:
 * - rebroadcast: a transfer is included on A, then resent by RPC to both A nodes and as a raw
 *   gossip batch from a raw libp2p peer;
 * - cross-chain: a transfer of a key that is funded on both chains with equal nonces is included on
 *   A, then sent to B as is and with its chain id field rewritten (signature kept), so only the
 *   signature (which covers the chain id and genesis hash) stands in the way;
 * - after-reorg: the transfer is included on one side of a partition, the other side's longer
 *   branch drops it at the heal, the mempool re-injects it (one legitimate re-inclusion), then it
 *   is resent while dropped and after it is back in.
 * Every trial then mines `settle` more blocks and counts each signed tx's inclusions on the chain:
 * a replay accepted is a second inclusion, an inclusion on B, or a submission taken into a pool
 * while the tx was already included there.
 */
import { join } from "node:path";
import { fromHex } from "../../core/hash.ts";
import { chainNames } from "../../p2p/index.ts";
import { encodeTxBatch } from "../../p2p/tx-batch.ts";
import type { RpcClient } from "../../rpc/index.ts";
import { Testnet } from "../../testnet/index.ts";
import {
  chainIdentity,
  convergeStopped,
  gossipVerdicts,
  inclusionCounts,
  mineBlocks,
  openAccount,
  readHead,
  type SignedTx,
  signTransfer,
  startHostile,
  stopMiner,
  submitRaw,
  txStatus,
  waitForSameHead,
  waitForVerdicts,
  withChainId,
} from "../adversary/index.ts";
import { ExperimentError } from "../errors.ts";
import { defineScenario, type TrialOutcome } from "../scenario.ts";
import { blockMsParam, hashrateParam, processesParam } from "./options.ts";
import {
  acceptanceChart,
  count,
  kindLegend,
  kindRows,
  rowTotals,
  type Tally,
  zeroPoints,
} from "./zero-accepted.ts";

const KINDS = ["rebroadcast", "cross-chain", "after-reorg"] as const;

/** One replay attempt: where it went and what came back. */
interface Replay {
  channel: string;
  code: string;
  accepted: boolean;
}

export default defineScenario({
  name: "tx-replay",
  description:
    "Replays of included transactions: rebroadcast (RPC and raw gossip), to a second chain with another chain id (as is and with the chain id rewritten), and after a reorg that dropped them; counts by rejection reason, and what the chains accepted",
  params: {
    "block-ms": blockMsParam({ default: 100 }, "mean block interval of one miner at the full hashrate (ms)"),
    hashrate: hashrateParam(100_000, "throttled hashrate of the mining node (hashes/s)"),
    "other-chain-id": {
      type: "integer",
      default: 31338,
      min: 1,
      max: 2 ** 32 - 1,
      description: "chain id of the second testnet (chain A is 31337)",
    },
    settle: {
      type: "integer",
      default: 2,
      quick: 1,
      min: 1,
      max: 20,
      description: "blocks mined after the replays, in which an accepted replay would be included",
    },
    processes: processesParam(),
  },
  trials: { default: 20, quick: 2 },
  async run(ctx) {
    const blockMs = ctx.params["block-ms"] as number;
    const hashrate = ctx.params.hashrate as number;
    const otherChainId = ctx.params["other-chain-id"] as number;
    const settle = ctx.params.settle as number;
    if (otherChainId === 31337) {
      throw new ExperimentError("EXPERIMENT_BAD_PARAM", "--other-chain-id must differ from chain A's 31337", {
        param: "other-chain-id",
      });
    }
    const common = {
      fresh: true,
      blockTimeSeconds: blockMs / 1000,
      halfLifeSeconds: 1e9,
      inProcess: ctx.params.processes !== true,
      onProgress: (m: string) => ctx.log(m),
    };
    ctx.log("starting chain A (2 mining nodes) and chain B (1 mining node, another chain id)");
    const netA = await Testnet.start({
      ...common,
      dir: join(ctx.workDir, "chain-a"),
      nodes: 2,
      miners: 2,
      accounts: 2,
      hashratePerMiner: hashrate / 2,
      chainId: 31337,
    });
    let netB: Testnet | undefined;
    const raw = { stop: async () => {} };
    try {
      netB = await Testnet.start({
        ...common,
        dir: join(ctx.workDir, "chain-b"),
        nodes: 1,
        miners: 1,
        accounts: 1,
        hashratePerMiner: hashrate,
        chainId: otherChainId,
      });
      const [a0, a1, b0] = [await netA.client(0), await netA.client(1), await netB.client(0)];
      await Promise.all([stopMiner(a0), stopMiner(a1), stopMiner(b0)]);
      await convergeStopped([a0, a1], a0, hashrate);
      const idA = await chainIdentity(a0);
      const idB = await chainIdentity(b0);
      const payer = await openAccount(netA.manifest, 0);
      const twin = await openAccount(netA.manifest, 1);
      const payee = twin.address;
      // The twin key holds funds on both chains with equal nonces: a rewritten replay passes every
      // check but the signature.
      const funder = await openAccount(netB.manifest, 0);
      const funding = signTransfer(funder, idB, twin.address, 10n ** 12n, 0);
      await requireAccepted(b0, funding, "the twin's funding on chain B");
      await mineUntilIncluded(b0, funding.id, hashrate);
      let payerNonce = 0;
      let twinNonce = 0;

      const peer = await startHostile(chainNames(idA.genesisHash));
      raw.stop = () => peer.stop();
      const a1Info = netA.nodes[1]!;
      await peer.dial(`${a1Info.multiaddr}`);
      await peer.subscribed(a1Info.peerId!, chainNames(idA.genesisHash).txsTopic);
      const gossipReplay = async (tx: SignedTx): Promise<Replay[]> => {
        const before = await gossipVerdicts(a1);
        // The tx twice in one batch: the honest one-tx batch's bytes (and so its gossip message id)
        // are in every seen-cache, and a replayer needs a message the victim has not seen.
        const bytes = fromHex(tx.hex);
        await peer.publish(chainNames(idA.genesisHash).txsTopic, encodeTxBatch([bytes, bytes]));
        const after = await waitForVerdicts(a1, before, { topic: chainNames(idA.genesisHash).txsTopic });
        return after.map((code) => ({ channel: "gossip-a1", code, accepted: code === "ACCEPT" }));
      };
      const rpcReplays = async (tx: SignedTx, targets: [string, RpcClient][]): Promise<Replay[]> =>
        Promise.all(
          targets.map(async ([channel, c]) => {
            const r = await submitRaw(c, tx.hex);
            return { channel, code: r.code, accepted: r.accepted };
          }),
        );
      // Resends an included tx by RPC to both A nodes and by gossip, mines `settle` blocks, and
      // returns how often the tx is in A's chain above `forkHeight`.
      const replayIncluded = async (tx: SignedTx, forkHeight: number, into: Replay[]) => {
        into.push(
          ...(await rpcReplays(tx, [
            ["rpc-a0", a0],
            ["rpc-a1", a1],
          ])),
        );
        into.push(...(await gossipReplay(tx)));
        await mineBlocks(a0, settle, hashrate);
        const head = await waitForSameHead([a0, a1], 10_000);
        return inclusionCounts(a1, [tx.id], forkHeight, head.height);
      };
      const includeOnA = async (tx: SignedTx): Promise<number> => {
        await requireAccepted(a0, tx, "the honest transfer");
        const height = await mineUntilIncluded(a0, tx.id, hashrate);
        await waitForSameHead([a0, a1], 10_000);
        return height;
      };

      const trial = async (kind: string): Promise<TrialOutcome> => {
        const fork = await waitForSameHead([a0, a1], 10_000);
        const replays: Replay[] = [];
        const legit: Replay[] = [];
        let inclusions: Record<string, number>;
        let extra: Record<string, unknown> = {};
        let tx: SignedTx;
        if (kind === "cross-chain") {
          tx = signTransfer(twin, idA, payer.address, 1000n, twinNonce);
          await includeOnA(tx);
          const rewritten = withChainId(tx, otherChainId);
          const b0Before = (await readHead(b0)).height;
          replays.push(...(await rpcReplays(tx, [["b0-as-is", b0]])));
          replays.push(...(await rpcReplays(rewritten, [["b0-chain-id-rewritten", b0]])));
          await mineBlocks(b0, settle, hashrate);
          // The twin's own, legitimate spend on B keeps its nonces equal on both chains.
          const own = signTransfer(twin, idB, funder.address, 1n, twinNonce);
          await requireAccepted(b0, own, "the twin's own spend on chain B");
          await mineUntilIncluded(b0, own.id, hashrate);
          twinNonce++;
          const onB = await inclusionCounts(b0, [tx.id, rewritten.id], b0Before, (await readHead(b0)).height);
          inclusions = { ...onB };
          extra = { rewrittenTx: rewritten.id, includedOnB: onB[tx.id]! + onB[rewritten.id]! };
        } else if (kind === "rebroadcast") {
          tx = signTransfer(payer, idA, payee, 1000n, payerNonce);
          await includeOnA(tx);
          payerNonce++;
          inclusions = await replayIncluded(tx, fork.height, replays);
        } else {
          await netA.partition([[0], [1]]);
          tx = signTransfer(payer, idA, payee, 1000n, payerNonce);
          await requireAccepted(a0, tx, "the honest transfer");
          await mineUntilIncluded(a0, tx.id, hashrate);
          // a0's whole branch (a block may slip in after the inclusion): a1's must be longer.
          const depth = (await readHead(a0)).height - fork.height;
          await mineBlocks(a1, depth + 1, hashrate);
          await netA.heal();
          const healed = await waitForSameHead([a0, a1], 20_000);
          const dropped = await txStatus(a0, tx.id);
          // While dropped, a resend is the legitimate one re-inclusion (counted apart).
          for (const r of await rpcReplays(tx, [
            ["rpc-a0-dropped", a0],
            ["rpc-a1-dropped", a1],
          ]))
            (r.accepted ? legit : replays).push(r);
          await mineUntilIncluded(a0, tx.id, hashrate);
          await waitForSameHead([a0, a1], 10_000);
          payerNonce++;
          inclusions = await replayIncluded(tx, fork.height, replays);
          extra = { reorgDepth: depth, healedHeight: healed.height, statusAfterReorg: dropped.status };
        }
        const onChain = Object.values(inclusions).reduce((n, k) => n + k, 0);
        // On A exactly one inclusion is right; on B none is.
        const extraInclusions = kind === "cross-chain" ? onChain : Math.max(0, onChain - 1);
        const accepted = replays.filter((r) => r.accepted).length + extraInclusions;
        const reasons: Tally = {};
        for (const r of replays) count(reasons, r.accepted ? `accepted:${r.code}` : r.code);
        return {
          success: accepted > 0,
          data: {
            kind,
            tx: tx.id,
            forkHeight: fork.height,
            replays,
            legitimateResends: legit,
            reasons,
            inclusions,
            extraInclusions,
            accepted,
            ...extra,
          },
        };
      };

      const points = zeroPoints(KINDS);
      ctx.log(`running ${points.length * ctx.trials} trials (${points.length} kinds x ${ctx.trials})`);
      const records = await ctx.trialLoop(points, ctx.trials, (p) => trial(p.id));
      const rows = kindRows(KINDS, records, (r) => (r.data.replays as Replay[]).length);
      const totals = rowTotals(rows);
      ctx.metric("byKind", rows);
      ctx.metric("replaysSent", totals.sent);
      ctx.metric("replaysAccepted", totals.accepted);
      ctx.metric(
        "legitimateResends",
        records.reduce((n, r) => n + (r.data.legitimateResends as Replay[]).length, 0),
      );
      ctx.chart(
        acceptanceChart("tx-replay", "Replayed transactions accepted, by kind (real chainlab nodes)", rows),
      );
      ctx.note(kindLegend(KINDS));
      ctx.note(
        [
          "**Design.** Chain A runs two in-process PoW nodes (a0, a1), chain B one (b0) with chain id",
          `${otherChainId} and its own genesis; the miners are driven one block at a time (fixed difficulty, one block per ${blockMs} ms at ${hashrate} hashes/s).`,
          "rebroadcast: a transfer is included on A, then sent again by RPC to a0 and a1 and as a gossip batch (the tx twice, so that its message id is new) from a raw libp2p peer connected to a1 (its verdict read from a1's net_stats and mempool counters).",
          "cross-chain: the sending key is funded on B with the same nonce as on A (it makes one legitimate spend on B per trial to keep them equal), so the as-is replay meets B's chain id check and the rewritten one (chain id field changed, signature kept) passes every check but the signature, which covers the chain id and genesis hash.",
          "after-reorg: a0 and a1 are partitioned, the transfer is mined on a0, a1 mines one block more than a0's branch, and the heal reorgs a0 onto a1's branch, dropping the transfer; resends while it is dropped that a node takes are the legitimate single re-inclusion (metric legitimateResends) and are not counted as replays; once it is re-included, it is replayed again.",
          `After the replays ${settle} more block(s) are mined, and the chain is scanned for each signed tx: a replay accepted is a submission a node took while the tx was included, a second inclusion on A, or any inclusion on B. Rejections are counted by the node's own reason code (metric byKind).`,
        ].join(" "),
      );
    } finally {
      await raw.stop().catch(() => {});
      await netB?.stop();
      await netA.stop();
    }
  },
});

/** Submits an honest tx that must be taken into the pool. */
async function requireAccepted(c: RpcClient, tx: SignedTx, what: string): Promise<void> {
  const r = await submitRaw(c, tx.hex);
  if (!r.accepted) throw new ExperimentError("EXPERIMENT_FAILED", `${what} was refused: ${r.code}`);
}

/** Mines blocks on `c` one at a time until `id` is included; returns the inclusion height. */
async function mineUntilIncluded(
  c: RpcClient,
  id: string,
  hashrate: number,
  maxBlocks = 20,
): Promise<number> {
  for (let i = 0; i < maxBlocks; i++) {
    await mineBlocks(c, 1, hashrate);
    const s = await txStatus(c, id);
    if (s.status === "included") return s.height!;
  }
  throw new ExperimentError("EXPERIMENT_FAILED", `tx ${id.slice(0, 12)} not included in ${maxBlocks} blocks`);
}
