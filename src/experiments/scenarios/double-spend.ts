/**
 * double-spend (PoW): Nakamoto's race on real nodes. Node 0 is the attacker, node 1 the honest
 * miners, node 2 the merchant (no miner). Per trial: the attacker is partitioned off, signs two
 * spends of one nonce (the payment to the merchant, sent to the honest side, and a conflicting
 * refund to itself, mined privately), pre-mines one private block holding the refund, then both
 * mine at shares q and 1 - q until the merchant has seen z confirmations and the attacker's branch
 * is longer (release: heal, the merchant reorgs) or the honest branch leads by `give-up` blocks.
 * Success means the payment is gone from the merchant's chain and the refund is in it.
 */
import type { RpcClient } from "../../rpc/index.ts";
import {
  blockAuthors,
  chainIdentity,
  conflictingTransfers,
  convergeStopped,
  openAccount,
  pollUntil,
  readHead,
  startMiner,
  stopMiner,
  submitTx,
  txStatus,
  waitForSameHead,
} from "../adversary/index.ts";
import { defineScenario, type PointSpec, type TrialOutcome } from "../scenario.ts";
import {
  exactDoubleSpendSuccess,
  nakamotoSuccess,
  truncatedNakamotoSuccess,
  wilsonInterval,
} from "../stats/index.ts";
import { powTestnetParams, startPowTestnet } from "./testnet.ts";

const ATTACKER = 0;
const HONEST = 1;
const MERCHANT = 2;

/** Longest a trial may run before it counts as a failed attack. */
const TRIAL_TIMEOUT_MS = 120_000;
const POLL_MS = 4;

interface RaceState {
  attackerLen: number;
  honestLen: number;
  confirmations: number;
}

export default defineScenario({
  name: "double-spend",
  description:
    "PoW double spend (Nakamoto §11): an attacker with hashrate share q mines a private branch with a conflicting spend while the merchant waits for z confirmations; measured success against the whitepaper formula",
  params: {
    q: {
      type: "numbers",
      default: [0.3],
      quick: [0.3],
      min: 0.05,
      max: 0.45,
      description: "attacker hashrate shares",
    },
    z: {
      type: "numbers",
      integer: true,
      default: [1, 2, 4],
      quick: [1, 2],
      min: 1,
      max: 8,
      description: "confirmations the merchant waits for",
    },
    "give-up": {
      type: "integer",
      default: 3,
      min: 1,
      max: 30,
      description: "the attacker abandons when the honest branch leads by this many blocks",
    },
    ...powTestnetParams(100),
  },
  trials: { default: 200, quick: 8 },
  async run(ctx) {
    const qs = ctx.params.q as readonly number[];
    const zs = ctx.params.z as readonly number[];
    const giveUp = ctx.params["give-up"] as number;
    const blockMs = ctx.params["block-ms"] as number;
    const hashrate = ctx.params.hashrate as number;
    // Nakamoto's deficit counts the pre-mined block: a lead of `giveUp` is a deficit of giveUp+1.
    const barrier = giveUp + 1;
    const points: PointSpec[] = qs.flatMap((q) =>
      zs.map((z) => ({
        id: `q=${q},z=${z}`,
        coords: { q, z },
        predicted: {
          exact: exactDoubleSpendSuccess(q, z, barrier),
          whitepaper: nakamotoSuccess(q, z),
          "whitepaper-truncated": truncatedNakamotoSuccess(q, z, barrier),
        },
        primary: "exact",
      })),
    );

    ctx.log("starting a 3-node PoW testnet (attacker, honest miner, merchant)");
    const net = await startPowTestnet(ctx, {
      nodes: 3,
      miners: 2,
      accounts: 3,
      blockMs,
      hashrate,
      processes: ctx.params.processes === true,
    });
    try {
      const [att, hon, mer] = await Promise.all([
        net.client(ATTACKER),
        net.client(HONEST),
        net.client(MERCHANT),
      ]);
      const all = [att, hon, mer];
      await Promise.all([stopMiner(att), stopMiner(hon)]);
      await convergeStopped(all, hon, hashrate);
      const wallet = await openAccount(net.manifest, 0);
      const merchantAddress = net.manifest.accounts[1]!.address;
      const refundAddress = net.manifest.accounts[2]!.address;
      const attackerCoinbase = net.nodes[ATTACKER]!.coinbase!;
      const honestCoinbase = net.nodes[HONEST]!.coinbase!;
      const identity = await chainIdentity(mer);
      let nonce = (await att.call<{ nonce: number }>("account_get", { address: wallet.address })).nonce;

      const freezeAndRead = async (forkHeight: number, paymentHeight: number | undefined) => {
        await Promise.all([stopMiner(att), stopMiner(hon)]);
        await waitForSameHead([hon, mer], 10_000);
        return readState(att, mer, forkHeight, paymentHeight);
      };

      const trial = async (pt: PointSpec): Promise<TrialOutcome> => {
        const q = pt.coords.q!;
        const z = pt.coords.z!;
        const started = Date.now();
        const fork = await waitForSameHead(all, 10_000);
        await net.partition([[ATTACKER], [HONEST, MERCHANT]]);
        const tPartition = Date.now();
        const txs = conflictingTransfers(
          wallet,
          identity,
          nonce,
          { to: merchantAddress, amount: 1000n },
          { to: refundAddress, amount: 1000n },
        );
        nonce++;
        await submitTx(att, txs.conflict);
        await submitTx(mer, txs.payment);
        await pollUntil(
          "the payment to reach the honest miner",
          async () => ((await txStatus(hon, txs.payment.id)).status === "pending" ? true : undefined),
          10_000,
        );
        // The pre-mined block (mined at the full rate: its duration is not part of the race).
        await startMiner(att, hashrate);
        await pollUntil(
          "the attacker's pre-mined block",
          async () => ((await readHead(att)).height > fork.height ? true : undefined),
          30_000,
          POLL_MS,
        );
        await stopMiner(att);
        const premined = await txStatus(att, txs.conflict.id);
        const tPremine = Date.now();
        await Promise.all([startMiner(att, q * hashrate), startMiner(hon, (1 - q) * hashrate)]);
        let paymentHeight: number | undefined;
        let freezes = 0;
        let decision: "release" | "give-up" | "timeout";
        let state: RaceState;
        for (;;) {
          state = await readState(att, mer, fork.height, paymentHeight);
          if (paymentHeight === undefined && state.honestLen > 0) {
            const s = await txStatus(mer, txs.payment.id);
            if (s.status === "included") paymentHeight = s.height;
          }
          const due = verdict(state, z, giveUp);
          const timedOut = Date.now() - started > TRIAL_TIMEOUT_MS;
          if (due !== undefined || timedOut) {
            // Freeze both miners and look again at a consistent state: the model's propagation is
            // instantaneous, so nothing may be mined while the decision is read and carried out.
            freezes++;
            state = await freezeAndRead(fork.height, paymentHeight);
            const now = verdict(state, z, giveUp);
            if (now !== undefined || timedOut) {
              decision = now ?? "timeout";
              break;
            }
            await Promise.all([startMiner(att, q * hashrate), startMiner(hon, (1 - q) * hashrate)]);
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        const tRace = Date.now();
        const attackerHead = await readHead(att);
        const honestHead = await readHead(mer);
        const [attackerAuthors, honestAuthors] = await Promise.all([
          blockAuthors(att, fork.height, attackerHead.height),
          blockAuthors(mer, fork.height, honestHead.height),
        ]);
        const tRead = Date.now();
        await net.heal();
        const tHeal = Date.now();
        const final = await waitForSameHead(all, 30_000);
        const tSync = Date.now();
        const [payment, conflict] = await Promise.all([
          txStatus(mer, txs.payment.id),
          txStatus(mer, txs.conflict.id),
        ]);
        const reverted = payment.status !== "included" && conflict.status === "included";
        return {
          success: reverted,
          data: {
            q,
            z,
            decision,
            forkHeight: fork.height,
            paymentTx: txs.payment.id,
            conflictTx: txs.conflict.id,
            paymentHeight: paymentHeight ?? null,
            conflictPremined: premined.status === "included" && premined.height === fork.height + 1,
            attackerBranch: state.attackerLen,
            honestBranch: state.honestLen,
            confirmations: state.confirmations,
            attackerRaceBlocks: attackerAuthors.slice(1).filter((a) => a === attackerCoinbase).length,
            honestRaceBlocks: honestAuthors.filter((a) => a === honestCoinbase).length,
            foreignBlocks:
              attackerAuthors.filter((a) => a !== attackerCoinbase).length +
              honestAuthors.filter((a) => a !== honestCoinbase).length,
            freezes,
            finalHead: final.hash,
            finalHeight: final.height,
            merchantPayment: payment.status,
            merchantConflict: conflict.status,
            phaseMs: {
              partition: tPartition - started,
              premine: tPremine - tPartition,
              race: tRace - tPremine,
              read: tRead - tRace,
              heal: tHeal - tRead,
              sync: tSync - tHeal,
            },
          },
        };
      };

      ctx.log(`running ${points.length * ctx.trials} trials (${points.length} points x ${ctx.trials})`);
      const records = await ctx.trialLoop(points, ctx.trials, trial);

      // Hashrate shares as the blocks show them, per configured q.
      const shares = qs.map((q) => {
        const mine = records.filter((r) => r.data.q === q);
        const a = mine.reduce((n, r) => n + (r.data.attackerRaceBlocks as number), 0);
        const h = mine.reduce((n, r) => n + (r.data.honestRaceBlocks as number), 0);
        const ci = wilsonInterval(a, a + h);
        return { q, attackerBlocks: a, honestBlocks: h, measured: ci.estimate, lo: ci.lo, hi: ci.hi };
      });
      ctx.metric("hashrateShares", shares);
      ctx.metric("decisions", countBy(records.map((r) => r.data.decision as string)));
      ctx.metric("meanTrialMs", Math.round(records.reduce((n, r) => n + r.durationMs, 0) / records.length));
      ctx.metric("inconsistentTrials", records.filter((r) => !consistent(r)).length);
      ctx.metric("blockMs", blockMs);

      const zMax = Math.max(...zs);
      ctx.chart({
        file: "double-spend",
        title: "Double-spend success against confirmations (real chainlab nodes)",
        xTitle: "confirmations z (blocks)",
        yTitle: "attacker success probability (fraction of trials)",
        seriesTitle: "attacker share q",
        theory: qs.flatMap((q) =>
          Array.from({ length: zMax }, (_, i) => i + 1).flatMap((z) => [
            { x: z, y: exactDoubleSpendSuccess(q, z, barrier), series: `q=${q} exact` },
            { x: z, y: nakamotoSuccess(q, z), series: `q=${q} whitepaper` },
          ]),
        ),
        measured: records.length
          ? points.map((p) => {
              const mine = records.filter((r) => r.point === p.id);
              const ci = wilsonInterval(mine.filter((r) => r.success).length, mine.length);
              return {
                x: p.coords.z!,
                y: ci.estimate,
                lo: ci.lo,
                hi: ci.hi,
                series: `q=${p.coords.q} exact`,
                trials: mine.length,
              };
            })
          : [],
      });
      ctx.note(
        [
          "**Trial design.** Three real chainlab nodes talk over libp2p on loopback: node-0 is the attacker, node-1 the honest miner, node-2 the merchant (no miner).",
          "Each trial partitions the attacker off, signs two transfers with the same nonce (the payment to the merchant, submitted to the merchant; the refund to the attacker's own address, submitted to the attacker) and lets the attacker pre-mine one private block holding the refund at the full hashrate while the honest miner is stopped (the head start Nakamoto's formula assumes: an attacker who must be strictly longer catches up from z−k behind with (q/p)^(z−k) only with one block in hand).",
          `Then both throttled miners run at q and 1−q of ${hashrate} hashes/s (difficulty fixed: one block per ${blockMs} ms at the full rate) until the merchant sees z confirmations and the attacker's branch is strictly longer (release: the partition heals and the merchant reorgs to the longer branch), or the honest branch leads by ${giveUp} blocks (the attacker gives up).`,
          "When the observer sees a decision due, it stops both miners and reads the state again before acting, so nothing is mined while the decision propagates (the model's instantaneous release); PoW is memoryless, so pausing does not change the race. Polling every few ms can still miss a lead that lasts less than one poll; that bias is below a few percent of a block interval.",
          "Success is read from the merchant's RPC after the nodes agree on one head: the payment is not included and the conflicting refund is.",
          "Predictions: `exact` is this race (the attacker's blocks before the z-th honest block are negative binomial, then gambler's ruin with barriers at 0 and the give-up lead); `whitepaper` is Nakamoto's §11 formula (a Poisson in place of the negative binomial, no give-up); `whitepaper-truncated` adds the give-up.",
          "Trials of all points are interleaved in a seeded, shuffled order so that changes in the machine's load spread over every point. The hashrate shares are verified from the blocks: the metric hashrateShares counts, per q, the blocks of each coinbase on the two branches during the races (the stopping rule biases this count slightly towards the attacker when it wins).",
        ].join(" "),
      );
    } finally {
      await net.stop();
    }
  },
});

async function readState(
  att: RpcClient,
  mer: RpcClient,
  forkHeight: number,
  paymentHeight: number | undefined,
): Promise<RaceState> {
  const [a, m] = await Promise.all([readHead(att), readHead(mer)]);
  return {
    attackerLen: a.height - forkHeight,
    honestLen: m.height - forkHeight,
    confirmations: paymentHeight === undefined ? 0 : Math.max(0, m.height - paymentHeight + 1),
  };
}

/** The attacker's move once the merchant has z confirmations: release when longer, or give up. */
function verdict(s: RaceState, z: number, giveUp: number): "release" | "give-up" | undefined {
  if (s.confirmations < z) return undefined;
  if (s.attackerLen > s.honestLen) return "release";
  if (s.honestLen - s.attackerLen >= giveUp) return "give-up";
  return undefined;
}

function countBy(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/** A success must be a release whose payment is gone; a failure must leave the payment in. */
function consistent(r: { success: boolean; data: Record<string, unknown> }): boolean {
  if (r.success) return r.data.decision === "release" && r.data.merchantPayment !== "included";
  return r.data.merchantPayment === "included";
}
