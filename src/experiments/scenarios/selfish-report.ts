/** The selfish-mining report's aggregates: verified hashrate shares, stale rates, strategy counts. */
import type { TrialRecord } from "../scenario.ts";
import { selfishHonestStaleRate, selfishRevenue, wilsonInterval } from "../stats/index.ts";

const num = (r: TrialRecord, k: string): number => r.data[k] as number;
const sum = (rs: readonly TrialRecord[], k: string): number => rs.reduce((n, r) => n + num(r, k), 0);

/** The attacker's share of all blocks mined (the publisher's counts), per configured α. */
export function sharesByAlpha(records: readonly TrialRecord[]) {
  const alphas = [...new Set(records.map((r) => num(r, "alpha")))].sort((a, b) => a - b);
  return alphas.map((alpha) => {
    const mine = records.filter((r) => num(r, "alpha") === alpha);
    const a = sum(mine, "attackerFound");
    const h = sum(mine, "honestFound");
    const ci = wilsonInterval(a, a + h);
    return { alpha, attackerFound: a, honestFound: h, measured: ci.estimate, lo: ci.lo, hi: ci.hi };
  });
}

/**
 * Per point: honest blocks mined but not on the main chain against the SM1 prediction, and the
 * attacker share the batches realized with R at that share.
 */
export function staleRates(records: readonly TrialRecord[]) {
  const keys = [...new Set(records.map((r) => `${num(r, "alpha")}/${num(r, "gamma")}`))];
  return keys.map((k) => {
    const mine = records.filter((r) => `${num(r, "alpha")}/${num(r, "gamma")}` === k);
    const alpha = num(mine[0]!, "alpha");
    const gamma = num(mine[0]!, "gamma");
    const found = sum(mine, "honestFound");
    const main = sum(mine, "honestMain");
    const ci = wilsonInterval(Math.max(0, found - main), found);
    // The share these batches' miners realized (the throttles are not exact over a few hundred blocks).
    const realized = sum(mine, "attackerFound") / Math.max(1, sum(mine, "attackerFound") + found);
    return {
      alpha,
      gamma,
      honestFound: found,
      honestMain: main,
      measured: ci.estimate,
      lo: ci.lo,
      hi: ci.hi,
      predicted: selfishHonestStaleRate(alpha, gamma),
      realizedAlpha: realized,
      revenueAtRealizedAlpha: realized < 0.5 ? selfishRevenue(realized, gamma) : null,
    };
  });
}

const COUNT_KEYS = [
  "races",
  "racesLedByAttacker",
  "racesWon",
  "racesSplit",
  "racesLost",
  "overrides",
  "collisions",
] as const;

/** The strategy's moves summed over every batch, and collisions per main-chain block. */
export function sumCounts(records: readonly TrialRecord[]) {
  const out: Record<string, number> = {};
  for (const k of COUNT_KEYS) out[k] = sum(records, k);
  const blocks = records.reduce((n, r) => n + (r.units?.count ?? 0), 0);
  out.collisionsPerBlock = blocks === 0 ? 0 : out.collisions! / blocks;
  return out;
}

/**
 * A batch agrees with itself when every main-chain block is the attacker's or an honest miner's,
 * no more of the attacker's blocks are on it than it mined, and the strategy's own bookkeeping
 * expected exactly the attacker's blocks the chain shows (a collision may break the last).
 */
export function consistentBatch(r: TrialRecord): boolean {
  return (
    num(r, "foreignBlocks") === 0 &&
    num(r, "attackerMain") <= num(r, "attackerFound") &&
    num(r, "honestMain") <= num(r, "honestFound") &&
    (num(r, "collisions") > 0 || num(r, "attackerMain") === num(r, "attackerMainExpected"))
  );
}

/** The design notes of the report. */
export function selfishNotes(o: { blockMs: number; hashrate: number; nh: number; perBatch: number }): string {
  return [
    `**Trial design.** ${o.nh + 1} real chainlab nodes on libp2p over loopback: node-0 is the selfish miner, nodes 1–${o.nh} honest miners that share 1−α of the hashrate equally (throttled miners, ${o.hashrate} hashes/s in all, fixed difficulty: one block per ${o.blockMs} ms at the full rate).`,
    "Every node's publisher withholds the blocks it mines (admin_publishPolicy withhold: its own blocks are held, relays dropped). The observer polls every head and plays two parts: the honest network, releasing each honest block as soon as it appears (so propagation is as fast as the observer), and the attacker's SM1 strategy: keep new blocks private; when an honest block ties the private chain (lead 1 → 0), release the private block to a chosen set of the other honest miners first (admin_gossipFault makes the rest drop the attacker's gossip until the chosen have it, then the honest block goes out): with n honest miners of equal hashrate, ⌊γn⌋ or ⌈γn⌉ of them at random, so the expected fraction of the honest hashrate mining on the attacker's block is γ (R is linear in γ); when the honest chain comes within one block (lead 2 → 1), publish everything; in a tie, publish the next private block at once.",
    "With a lead above 2 the attacker keeps its blocks instead of revealing one per honest block as Eyal and Sirer do: the honest miners would keep mining on their own branch either way, so the revenue is the same.",
    "The miners are never paused, so a block mined in the few ms between another block being found and the miner's node seeing its release is a real fork (a collision, counted in metrics.strategy; the model has none). The hashrate shares are verified from the publishers' counts of blocks mined (metrics.hashrateShares; metrics.honestStaleRates gives each point's realized share and R at that share).",
    `**Statistics.** A trial is a batch: the nodes start on one head, and the batch ends once the main chain has grown by at least ${o.perBatch} blocks with no private block and no open tie (a renewal point of the strategy, so the ratio over complete batches is a consistent estimate of the long-run share). The attacker's share is read from the final main chain by RPC (each block's coinbase). Blocks of one batch are not independent (a won race adds two attacker blocks at once), so the interval is not the Wilson interval over blocks: it is the Wilson interval on the effective sample (blocks / design effect), the design effect being the variance of the ratio between batches over the binomial variance (at least 1). With few batches that variance is itself noisy; more batches (--trials) tighten it.`,
    "Predictions: `selfish` is R(α, γ) = [α(1−α)²(4α+γ(1−2α)) − α³] / [1 − α(1+(2−α)α)] (the one tested); `honest` is α, what honest mining earns; selfish mining pays above the threshold (1−γ)/(3−2γ). The honest stale rate is compared with 1 − p0 − p0'(2−γ) from the stationary probabilities of the same state machine.",
  ].join(" ");
}
