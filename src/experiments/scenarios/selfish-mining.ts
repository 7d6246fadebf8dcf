/**
 * selfish-mining (PoW): Eyal and Sirer's SM1 on real nodes. Node 0 is the selfish miner with
 * hashrate share α, nodes 1..n the honest miners sharing 1 − α equally. Every node withholds what
 * it mines; the observer (SelfishMiner) is the honest network's propagation and the attacker's
 * strategy, racing ties so that a fraction γ of the honest hashrate sees the attacker's block
 * first. A trial is a batch of at least `blocks` main-chain blocks that ends with no private block
 * and no open tie; the attacker's share of the batch's main-chain blocks, read from the chain by
 * RPC, is compared with R(α, γ).
 */
import {
  blockAuthors,
  publisherCounts,
  readTip,
  SelfishMiner,
  startMiner,
  stopAndAgree,
  stopMiner,
  waitForSameHead,
  withholdBlocks,
} from "../adversary/index.ts";
import { ExperimentError } from "../errors.ts";
import { summarizePoints } from "../report/summary.ts";
import type { Rng } from "../rng.ts";
import {
  defineScenario,
  type PointSpec,
  type ScenarioContext,
  type TrialOutcome,
  type TrialRecord,
} from "../scenario.ts";
import { selfishHonestStaleRate, selfishRevenue, selfishThreshold } from "../stats/index.ts";
import { consistentBatch, selfishNotes, sharesByAlpha, staleRates, sumCounts } from "./selfish-report.ts";
import { powTestnetParams, startPowTestnet } from "./testnet.ts";

/** Longest one batch may run. */
const BATCH_TIMEOUT_MS = 300_000;

export default defineScenario({
  name: "selfish-mining",
  description:
    "PoW selfish mining (Eyal–Sirer SM1): a miner with share α withholds blocks and races ties won with probability γ; its share of main-chain blocks against R(α, γ) and the profitability threshold",
  params: {
    alpha: {
      type: "numbers",
      default: [0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45],
      quick: [0.4],
      min: 0.01,
      max: 0.49,
      description: "the selfish miner's hashrate shares",
    },
    gamma: {
      type: "numbers",
      default: [0, 0.5],
      quick: [0, 0.5],
      min: 0,
      max: 0.99,
      description: "fraction of the honest hashrate that sees the attacker's block first in a tie",
    },
    blocks: {
      type: "integer",
      default: 20,
      quick: 12,
      min: 3,
      max: 100_000,
      description: "main-chain blocks per batch (a trial)",
    },
    honest: {
      type: "integer",
      default: 2,
      min: 1,
      max: 8,
      description: "honest miners (γ can be at most (n−1)/n)",
    },
    ...powTestnetParams(180),
  },
  trials: { default: 8, quick: 2 },
  async run(ctx) {
    const alphas = ctx.params.alpha as readonly number[];
    const gammas = ctx.params.gamma as readonly number[];
    const perBatch = ctx.params.blocks as number;
    const nh = ctx.params.honest as number;
    const blockMs = ctx.params["block-ms"] as number;
    const hashrate = ctx.params.hashrate as number;
    for (const g of gammas) {
      if (g > (nh - 1) / nh) {
        throw new ExperimentError(
          "EXPERIMENT_BAD_PARAM",
          `--gamma ${g} needs more honest miners: with --honest ${nh} it can be at most ${((nh - 1) / nh).toFixed(3)}`,
          { param: "gamma" },
        );
      }
    }
    const points: PointSpec[] = gammas.flatMap((gamma) =>
      alphas.map((alpha) => ({
        id: `alpha=${alpha},gamma=${gamma}`,
        coords: { alpha, gamma },
        predicted: { selfish: selfishRevenue(alpha, gamma), honest: alpha },
        primary: "selfish",
        unit: "blocks",
      })),
    );

    ctx.log(`starting a ${nh + 1}-node PoW testnet (1 selfish miner, ${nh} honest)`);
    const net = await startPowTestnet(ctx, {
      nodes: nh + 1,
      miners: nh + 1,
      blockMs,
      hashrate,
      processes: ctx.params.processes === true,
      noStatusRefresh: true,
    });
    try {
      const clients = await Promise.all(net.nodes.map((n) => net.client(n.index)));
      const [att, ...honest] = clients as [(typeof clients)[0], ...typeof clients];
      const coinbases = net.nodes.map((n) => n.coinbase!);
      await stopAndAgree(clients, honest[0]!, hashrate);
      await Promise.all(clients.map(withholdBlocks));
      const nodes = { attacker: att, attackerPeer: net.nodes[0]!.peerId!, honest, coinbases };

      const trial = async (pt: PointSpec, rng: Rng): Promise<TrialOutcome> => {
        const alpha = pt.coords.alpha!;
        const gamma = pt.coords.gamma!;
        const started = Date.now();
        const start = await readTip(att);
        await waitForSameHead(clients, 10_000);
        const before = await Promise.all(clients.map(publisherCounts));
        const sm = new SelfishMiner(nodes, start, gamma, rng);
        const startAll = () =>
          Promise.all([
            startMiner(att, alpha * hashrate),
            ...honest.map((c) => startMiner(c, ((1 - alpha) * hashrate) / nh)),
          ]);
        await startAll();
        const deadline = started + BATCH_TIMEOUT_MS;
        for (;;) {
          if (!(await sm.step(deadline))) {
            throw new ExperimentError("EXPERIMENT_FAILED", `a batch took over ${BATCH_TIMEOUT_MS / 1000} s`);
          }
          if (sm.pubHeight - start.height < perBatch || !sm.settled) continue;
          await Promise.all(clients.map(stopMiner));
          // Play whatever was mined before the miners stopped; go on if it opened a race.
          while (await sm.step(Date.now() + 60)) {}
          if (sm.settled) break;
          await startAll();
        }
        const final = await waitForSameHead(clients, 10_000);
        const after = await Promise.all(clients.map(publisherCounts));
        const found = after.map((a, i) => a.withheld - before[i]!.withheld);
        const authors = await blockAuthors(honest[0]!, start.height, final.height);
        const attackerMain = authors.filter((a) => a === coinbases[0]).length;
        const honestMain = authors.filter((a) => coinbases.slice(1).includes(a)).length;
        const attackerFound = found[0]!;
        const honestFound = found.slice(1).reduce((n, x) => n + x, 0);
        return {
          success: attackerMain / authors.length > alpha,
          units: { successes: attackerMain, count: authors.length },
          data: {
            alpha,
            gamma,
            fromHeight: start.height,
            toHeight: final.height,
            finalHead: final.hash,
            attackerMain,
            honestMain,
            foreignBlocks: authors.length - attackerMain - honestMain,
            attackerFound,
            honestFound,
            ...sm.counts,
            durationMs: Date.now() - started,
            events: sm.events,
          },
        };
      };

      const total = points.length * ctx.trials;
      ctx.log(`running ${total} batches (${points.length} points x ${ctx.trials}) of >= ${perBatch} blocks`);
      const records = await ctx.trialLoop(points, ctx.trials, trial);
      recordResults(ctx, points, records, gammas, { blockMs, hashrate, nh, perBatch });
    } finally {
      await net.stop();
    }
  },
});

function recordResults(
  ctx: ScenarioContext,
  points: readonly PointSpec[],
  records: readonly TrialRecord[],
  gammas: readonly number[],
  o: { blockMs: number; hashrate: number; nh: number; perBatch: number },
): void {
  const stale = staleRates(records);
  ctx.metric("hashrateShares", sharesByAlpha(records));
  ctx.metric("honestStaleRates", stale);
  ctx.metric("strategy", sumCounts(records));
  ctx.metric("meanBatchMs", Math.round(records.reduce((n, r) => n + r.durationMs, 0) / records.length));
  ctx.metric("blockMs", o.blockMs);
  ctx.metric("inconsistentBatches", records.filter((r) => !consistentBatch(r)).length);
  const grid = Array.from({ length: 50 }, (_, i) => i / 100);
  ctx.chart({
    file: "selfish-mining",
    title: "Selfish miner's share of main-chain blocks (real chainlab nodes)",
    xTitle: "selfish miner's hashrate share α",
    yTitle: "share of main-chain blocks",
    seriesTitle: "tie-break γ",
    theory: [
      ...gammas.flatMap((gamma) =>
        grid.map((x) => ({ x, y: selfishRevenue(x, gamma), series: `γ=${gamma}` })),
      ),
      ...grid.map((x) => ({ x, y: x, series: "honest mining (= α)" })),
    ],
    measured: summarizePoints(points, records).map((p) => ({
      x: p.coords.alpha!,
      y: p.estimate,
      lo: p.lo,
      hi: p.hi,
      series: `γ=${p.coords.gamma}`,
      trials: p.trials,
    })),
    rules: gammas.map((g) => ({ x: selfishThreshold(g), label: `threshold γ=${g}` })),
  });
  ctx.chart({
    file: "selfish-mining-stale",
    title: "Honest blocks orphaned under selfish mining",
    xTitle: "selfish miner's hashrate share α",
    yTitle: "honest stale rate (orphaned / mined)",
    seriesTitle: "tie-break γ",
    theory: gammas.flatMap((gamma) =>
      grid.map((x) => ({ x, y: selfishHonestStaleRate(x, gamma), series: `γ=${gamma}` })),
    ),
    measured: stale.map((s) => ({
      x: s.alpha,
      y: s.measured,
      lo: s.lo,
      hi: s.hi,
      series: `γ=${s.gamma}`,
      trials: s.honestFound,
    })),
  });
  ctx.note(selfishNotes(o));
}
