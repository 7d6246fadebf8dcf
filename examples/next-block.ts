/**
 * An example scenario: who mines the next block? Two real nodes mine with throttled hashrate
 * shares s and 1 - s; PoW predicts that the first node wins the next block with probability s.
 * Run it with: chainlab attack run examples/next-block.ts --quick --param share=0.25,0.5
 */
import { join } from "node:path";
import {
  blockAuthors,
  readHead,
  startMiner,
  stopMiner,
  waitForSameHead,
} from "../src/experiments/adversary/index.ts";
import { defineScenario } from "../src/experiments/index.ts";
import { wilsonInterval } from "../src/experiments/stats/index.ts";
import { Testnet } from "../src/testnet/index.ts";

export default defineScenario({
  name: "next-block",
  description: "two throttled miners with shares s and 1-s race for the next block; P(first wins) = s",
  params: {
    share: {
      type: "numbers",
      default: [0.1, 0.25, 0.5],
      min: 0.01,
      max: 0.99,
      description: "first miner's share",
    },
    hashrate: { type: "integer", default: 100_000, min: 1000, description: "total hashes/s" },
  },
  trials: { default: 200, quick: 10 },
  async run(ctx) {
    const shares = ctx.params.share as readonly number[];
    const hashrate = ctx.params.hashrate as number;
    const net = await Testnet.start({
      dir: join(ctx.workDir, "testnet"),
      fresh: true,
      nodes: 2,
      accounts: 1,
      blockTimeSeconds: 0.1,
      hashratePerMiner: hashrate / 2,
      halfLifeSeconds: 1e9,
      inProcess: true,
    });
    try {
      const [a, b] = [await net.client(0), await net.client(1)];
      await Promise.all([stopMiner(a), stopMiner(b)]);
      const points = shares.map((s) => ({
        id: `s=${s}`,
        coords: { s },
        predicted: { pow: s },
        primary: "pow",
      }));
      // One race; near-simultaneous finds (a fork) are resolved by mining on and raced again.
      const race = async (s: number) => {
        for (let ties = 0; ; ties++) {
          const start = await waitForSameHead([a, b], 10_000);
          await Promise.all([startMiner(a, s * hashrate), startMiner(b, (1 - s) * hashrate)]);
          while ((await readHead(a)).height === start.height && (await readHead(b)).height === start.height)
            await new Promise((r) => setTimeout(r, 2));
          await Promise.all([stopMiner(a), stopMiner(b)]);
          await new Promise((r) => setTimeout(r, 50)); // let the block propagate
          const [ha, hb] = [await readHead(a), await readHead(b)];
          if (ha.hash === hb.hash) {
            const [author] = await blockAuthors(a, start.height, start.height + 1);
            return { author, ties };
          }
          await startMiner(a, hashrate);
          await waitForSameHead([a, b], 10_000);
          await stopMiner(a);
        }
      };
      const records = await ctx.trialLoop(points, ctx.trials, async (pt) => {
        const { author, ties } = await race(pt.coords.s!);
        return { success: author === net.nodes[0]!.coinbase, data: { author, ties } };
      });
      ctx.chart({
        file: "next-block",
        title: "Who mines the next block",
        xTitle: "first miner's hashrate share s",
        yTitle: "P(first miner wins the block)",
        seriesTitle: "model",
        theory: [0, 1].map((x) => ({ x, y: x, series: "pow" })),
        measured: points.map((p) => {
          const mine = records.filter((r) => r.point === p.id);
          const ci = wilsonInterval(mine.filter((r) => r.success).length, mine.length);
          return { x: p.coords.s!, y: ci.estimate, lo: ci.lo, hi: ci.hi, series: "pow", trials: mine.length };
        }),
      });
    } finally {
      await net.stop();
    }
  },
});
