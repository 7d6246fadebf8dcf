/**
 * invalid-flood (PoW): a raw libp2p peer floods a victim node with malformed and invalid gossip
 * while honest transfers keep flowing. Nodes 0 and 1 mine, node 2 is the victim (no miner, so its
 * CPU is validation and relay). Honest transfers go to node 0 and to the victim throughout. First a
 * baseline phase without attack; then one trial per attacker identity: a fresh raw peer dials the
 * victim and publishes one kind of forged message as fast as it can until the victim drops it
 * (the ban) or `max-messages` have gone out. Kinds: malformed-tx (random bytes on the txs topic),
 * invalid-tx (well-formed batches of funded transfers with broken signatures), malformed-block
 * (random bytes on the blocks topic), invalid-block (a real block with its seal broken).
 * Reported: the victim's honest throughput (txs and blocks in its chain per second) and CPU before
 * and during the flood, and per identity the time and messages until the ban.
 */
import { join } from "node:path";
import { chainNames } from "../../p2p/index.ts";
import { encodeTxBatch } from "../../p2p/tx-batch.ts";
import { Testnet } from "../../testnet/index.ts";
import {
  badSignatureTx,
  brokenSealBlock,
  chainIdentity,
  fetchBlockBytes,
  garbage,
  gossipVerdicts,
  openAccount,
  pollUntil,
  readHead,
  startHonestLoad,
  startHostile,
  txStatus,
  verdictsSince,
  waitForSameHead,
} from "../adversary/index.ts";
import type { Rng } from "../rng.ts";
import { defineScenario, type TrialOutcome } from "../scenario.ts";
import { blockMsParam, hashrateParam, processesParam } from "./options.ts";
import { measurePhase } from "./victim-figures.ts";
import { acceptanceChart, count, kindLegend, mergeTallies, type Tally, zeroPoints } from "./zero-accepted.ts";

const KINDS = ["malformed-tx", "invalid-tx", "malformed-block", "invalid-block"] as const;
const VICTIM = 2;

export default defineScenario({
  name: "invalid-flood",
  description:
    "A raw peer floods a victim with malformed and invalid blocks and txs from fresh identities; the victim's honest throughput and CPU before and during the flood, and the time and messages until each identity is banned",
  params: {
    "baseline-ms": {
      type: "integer",
      default: 5000,
      quick: 2000,
      min: 500,
      max: 600_000,
      description: "length of the phase without attack (ms)",
    },
    "flood-ms": {
      type: "integer",
      default: 5000,
      quick: 2000,
      min: 0,
      max: 600_000,
      description:
        "shortest flood phase: after the recorded trials, more identities flood until it is over (ms)",
    },
    "max-messages": {
      type: "integer",
      default: 2000,
      quick: 500,
      min: 1,
      max: 1_000_000,
      description: "most messages one attacker identity sends before it counts as not banned",
    },
    batch: {
      type: "integer",
      default: 64,
      min: 1,
      max: 512,
      description: "txs per invalid-tx message",
    },
    tps: {
      type: "number",
      default: 20,
      quick: 10,
      min: 0.1,
      max: 1000,
      description: "honest transfers per second to each of node 0 and the victim",
    },
    "block-ms": blockMsParam(
      { default: 500, quick: 300 },
      "mean block interval of the two miners together (ms)",
    ),
    hashrate: hashrateParam(100_000, "total throttled hashrate of the two miners (hashes/s)"),
    processes: processesParam(
      "run the nodes as child processes (the victim's CPU is then its own process's)",
    ),
  },
  trials: { default: 10, quick: 2 },
  async run(ctx) {
    const baselineMs = ctx.params["baseline-ms"] as number;
    const maxMessages = ctx.params["max-messages"] as number;
    const floodMs = ctx.params["flood-ms"] as number;
    const batch = ctx.params.batch as number;
    const tps = ctx.params.tps as number;
    const blockMs = ctx.params["block-ms"] as number;
    const hashrate = ctx.params.hashrate as number;
    const inProcess = ctx.params.processes !== true;

    ctx.log("starting a 3-node PoW testnet (nodes 0 and 1 mine, node 2 is the victim)");
    const net = await Testnet.start({
      dir: join(ctx.workDir, "testnet"),
      fresh: true,
      nodes: 3,
      miners: 2,
      accounts: 4,
      blockTimeSeconds: blockMs / 1000,
      hashratePerMiner: hashrate / 2,
      halfLifeSeconds: 1e9,
      inProcess,
      onProgress: (m) => ctx.log(m),
    });
    let load: Awaited<ReturnType<typeof startHonestLoad>> | undefined;
    try {
      const clients = await Promise.all(net.nodes.map((_, i) => net.client(i)));
      const victim = clients[VICTIM]!;
      const victimInfo = net.nodes[VICTIM]!;
      const identity = await chainIdentity(victim);
      const names = chainNames(identity.genesisHash);
      await waitForSameHead(clients, 30_000);
      const [w0, w1, mallory] = await Promise.all([0, 1, 3].map((i) => openAccount(net.manifest, i)));
      const payee = net.manifest.accounts[2]!.address;
      load = await startHonestLoad(
        [
          { wallet: w0!, client: clients[0]!, to: payee },
          { wallet: w1!, client: victim, to: payee },
        ],
        identity,
        tps,
      );
      const measure = <T>(work: () => Promise<T>) => measurePhase(victim, victimInfo.pid, work);

      ctx.log(`baseline: ${baselineMs} ms of honest load without attack`);
      const before = (await measure(() => new Promise((r) => setTimeout(r, baselineMs)))).figures;

      // A real block of the victim's, to forge broken seals from.
      const sample = await fetchBlockBytes(
        names,
        victimInfo.multiaddr!,
        victimInfo.peerId!,
        Math.max(1, (await readHead(victim)).height),
      );
      const malloryNonce = (
        await victim.call<{ nonce: number }>("account_get", { address: mallory!.address })
      ).nonce;
      const forge = (kind: string, rng: Rng, i: number): { topic: string; data: Uint8Array } => {
        if (kind === "malformed-tx") return { topic: names.txsTopic, data: garbage(rng, 1, 4096) };
        if (kind === "malformed-block") return { topic: names.blocksTopic, data: garbage(rng, 1, 8192) };
        if (kind === "invalid-block")
          return { topic: names.blocksTopic, data: brokenSealBlock(sample, 1 + i) };
        const txs = Array.from({ length: batch }, (_, k) =>
          badSignatureTx(mallory!, identity, payee, malloryNonce, BigInt(1 + i * batch + k), rng),
        );
        return { topic: names.txsTopic, data: encodeTxBatch(txs) };
      };

      const trial = async (kind: string, rng: Rng): Promise<TrialOutcome> => {
        const peer = await startHostile(names);
        try {
          await peer.dial(victimInfo.multiaddr!);
          await Promise.all([
            peer.subscribed(victimInfo.peerId!, names.txsTopic),
            peer.subscribed(victimInfo.peerId!, names.blocksTopic),
          ]);
          const verdictsBefore = await gossipVerdicts(victim);
          let banned = false;
          const gone = peer.disconnectedFrom(victimInfo.peerId!, 60_000).then(() => {
            banned = true;
          });
          gone.catch(() => {});
          const t0 = Date.now();
          let sent = 0;
          let bannedAfterMs: number | null = null;
          while (!banned && sent < maxMessages) {
            const m = forge(kind, rng, sent);
            await peer.publish(m.topic, m.data).catch(() => 0);
            sent++;
            // Let the connection events in (in-process, the attacker shares the event loop).
            await new Promise((r) => setImmediate(r));
          }
          if (banned) bannedAfterMs = Date.now() - t0;
          // The verdicts the victim gave to this identity's messages (the attacker is alone on
          // the victim's gossip but for the honest traffic, whose accepts are counted apart).
          const after = await gossipVerdicts(victim);
          const reasons: Tally = {};
          for (const v of verdictsSince(verdictsBefore, after)) if (v !== "ACCEPT") count(reasons, v);
          return {
            success: !banned,
            data: {
              kind,
              peer: peer.peerId,
              banned,
              bannedAfterMs,
              messagesSent: sent,
              bansBefore: verdictsBefore.bans,
              bansAfter: after.bans,
              reasons,
            },
          };
        } finally {
          await peer.stop();
        }
      };

      const points = zeroPoints(KINDS);
      ctx.log(
        `flood: ${points.length * ctx.trials} attacker identities (${points.length} kinds x ${ctx.trials})`,
      );
      const floodStarted = Date.now();
      const sustained = { identities: 0, banned: 0, messages: 0 };
      const flood = await measure(async () => {
        const recorded = await ctx.trialLoop(points, ctx.trials, (p, rng) => trial(p.id, rng));
        // The flood lasts at least `flood-ms`: more fresh identities, the kinds in turn.
        const rng = ctx.rng.fork();
        while (Date.now() - floodStarted < floodMs && !ctx.signal.aborted) {
          const extra = await trial(KINDS[sustained.identities % KINDS.length]!, rng);
          sustained.identities++;
          if (extra.data.banned) sustained.banned++;
          sustained.messages += extra.data.messagesSent as number;
        }
        return recorded;
      });
      const records = flood.result;
      const sent = await load.stop();
      load = undefined;
      // Progress after the flood: the last honest transfer sent to the victim gets into its chain.
      const lateTx = sent[1]!.at(-1);
      const waitStarted = Date.now();
      const lateIncluded =
        lateTx === undefined
          ? false
          : await pollUntil(
              "the last honest transfer to the victim to be included",
              async () => ((await txStatus(victim, lateTx.id)).status === "included" ? true : undefined),
              30_000,
              20,
            ).catch(() => false);
      const rows = KINDS.map((kind) => {
        const mine = records.filter((r) => r.point === kind);
        const banned = mine.filter((r) => r.data.banned);
        const times = banned.map((r) => r.data.bannedAfterMs as number).sort((a, b) => a - b);
        const msgs = banned.map((r) => r.data.messagesSent as number).sort((a, b) => a - b);
        return {
          kind,
          identities: mine.length,
          banned: banned.length,
          medianMsToBan: times.length ? times[Math.floor(times.length / 2)]! : null,
          maxMsToBan: times.length ? times.at(-1)! : null,
          medianMessagesToBan: msgs.length ? msgs[Math.floor(msgs.length / 2)]! : null,
          maxMessagesToBan: msgs.length ? msgs.at(-1)! : null,
          sent: mine.reduce((n, r) => n + (r.data.messagesSent as number), 0),
          reasons: mergeTallies(mine.map((r) => r.data.reasons as Tally)),
        };
      });
      ctx.metric("byKind", rows);
      ctx.metric("sustainedFlood", sustained);
      ctx.metric("throughputBefore", before);
      ctx.metric("throughputDuringFlood", flood.figures);
      ctx.metric(
        "cpuScope",
        inProcess ? "whole process (all nodes, the load and the attacker)" : "victim process",
      );
      ctx.metric("honestTxsSent", { toNode0: sent[0]!.length, toVictim: sent[1]!.length });
      ctx.metric("lastHonestTxToVictim", {
        id: lateTx?.id ?? null,
        included: lateIncluded,
        waitMs: Date.now() - waitStarted,
      });
      ctx.chart(
        acceptanceChart(
          "invalid-flood",
          "Attacker identities not banned within the message budget, by kind",
          rows.map((r) => ({ kind: r.kind, sent: r.identities, accepted: r.identities - r.banned })),
        ),
      );
      ctx.note(kindLegend(KINDS));
      ctx.note(
        [
          `**Design.** Three ${inProcess ? "in-process" : "child-process"} PoW nodes: nodes 0 and 1 mine (one block per ${blockMs} ms together), node 2 is the victim and mines nothing. Honest transfers go at ${tps} per second each to node 0 and to the victim for the whole run.`,
          `The baseline phase lasts ${baselineMs} ms. Then each trial is one attacker identity: a fresh raw libp2p peer (its own peer id) dials the victim, waits until the victim's subscriptions are visible, and publishes forged messages of its kind back to back until the victim closes the connection (the ban) or ${maxMessages} messages have gone out (a success for the attacker).`,
          `invalid-tx batches hold ${batch} funded transfers with the right nonce and random bytes for a signature, so the victim pays a signature check and the attacker no signing; invalid-block messages are a real block of the victim's chain with the timestamp moved so that the header hash is at least 2^248 (the seal cannot hold).`,
          "Throughput is read from the victim's chain: txs and blocks imported per second over each phase; CPU is CPU time over wall time in percent of one core, of the scope given in metric cpuScope.",
          `The flood phase runs the recorded trials and then more fresh identities, the kinds in turn, until it has lasted ${floodMs} ms (metric sustainedFlood).`,
          "The verdict counts per identity (metric byKind.reasons) are the victim's ignore and reject reasons over that identity's trial; honest gossip is accepted, so it does not mix in, except for duplicates it ignores.",
        ].join(" "),
      );
    } finally {
      await load?.stop().catch(() => {});
      await net.stop();
    }
  },
});
