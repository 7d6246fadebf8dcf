/**
 * Eyal and Sirer's selfish-mining strategy (SM1) played by real nodes through their publishers,
 * with the observer acting as the honest network's propagation. Every node withholds the blocks it
 * mines (withholdBlocks); the observer polls the heads and releases each honest block as soon as it
 * sees it, and the attacker's as SM1 says: at a tie (lead 1 → 0) it races them, reaching a chosen
 * fraction γ of the honest miners first (releaseFirstTo); when the honest chain comes within one
 * (lead 2 → 1) it publishes everything; in a tie its next block at once. The nodes must not refresh
 * each other's status periodically (p2p.status_interval), or they would sync the private chain.
 * The miners run throughout; what a miner mines in the few ms before its node sees a block that
 * replaced its tip is a real fork, counted as a collision.
 */
import type { RpcClient } from "../../rpc/index.ts";
import { ExperimentError } from "../errors.ts";
import type { Rng } from "../rng.ts";
import { readTip, type Tip, waitForBlock } from "./chain-view.ts";
import { releaseBlocks, releaseFirstTo } from "./publish.ts";

/** The nodes of a selfish-mining run. */
export interface SelfishNodes {
  attacker: RpcClient;
  attackerPeer: string;
  /** Honest miners, each with the same share of the honest hashrate. */
  honest: readonly RpcClient[];
  /** Coinbases: the attacker's, then the honest miners' (a node's own blocks carry its coinbase). */
  coinbases: readonly string[];
}

/** What the strategy did (its own bookkeeping, checked against the chain afterwards). */
export interface SelfishCounts {
  /** Ties raced, and of them those in which some honest miners saw the attacker's block first. */
  races: number;
  racesLedByAttacker: number;
  /** Races decided by the attacker's next block, by an honest block on its branch, or lost. */
  racesWon: number;
  racesSplit: number;
  racesLost: number;
  /** Private chains published when the honest chain came within one block. */
  overrides: number;
  /** Blocks mined on a tip the miner's node had not yet seen replaced (real forks). */
  collisions: number;
  /** The attacker's blocks this bookkeeping expects on the final main chain. */
  attackerMainExpected: number;
}

const newCounts = (): SelfishCounts => ({
  races: 0,
  racesLedByAttacker: 0,
  racesWon: 0,
  racesSplit: 0,
  racesLost: 0,
  overrides: 0,
  collisions: 0,
  attackerMainExpected: 0,
});

/** How many of the honest miners other than the finder see the attacker's block first: E = γ·n. */
export function raceFollowers(gamma: number, honestMiners: number, rng: Rng): number {
  const x = gamma * honestMiners;
  const k = Math.floor(x) + (rng.next() < x - Math.floor(x) ? 1 : 0);
  if (k > honestMiners - 1) {
    throw new ExperimentError(
      "EXPERIMENT_BAD_PARAM",
      `gamma ${gamma} needs more than ${honestMiners} honest miners (at most (n-1)/n)`,
    );
  }
  return k;
}

/** SM1 on live nodes; one instance per batch, starting from a head every node agrees on. */
export class SelfishMiner {
  readonly counts = newCounts();
  /** What happened, one short line per event (bounded), for the trial's raw data. */
  readonly events: string[] = [];
  private readonly nodes: SelfishNodes;
  private readonly gamma: number;
  private readonly rng: Rng;
  private readonly pollMs: number;
  private readonly known = new Set<string>();
  /** Last tip seen per node: index 0 the attacker, then the honest miners. */
  private seen: Tip[];
  /** Height of the public chain's tip (the longest published). */
  pubHeight: number;
  private attHeight: number;
  /** The attacker's blocks not yet published. */
  private privateBlocks = 0;
  /** The attacker's published block while a tie is being decided. */
  private raceTip: string | undefined;

  constructor(nodes: SelfishNodes, start: Tip, gamma: number, rng: Rng, pollMs = 2) {
    this.nodes = nodes;
    this.gamma = gamma;
    this.rng = rng;
    this.pollMs = pollMs;
    this.pubHeight = start.height;
    this.attHeight = start.height;
    this.known.add(start.hash);
    this.seen = [start, ...nodes.honest.map(() => start)];
  }

  /** No private block, no tie open and every node on one tip. */
  get settled(): boolean {
    return (
      this.privateBlocks === 0 &&
      this.raceTip === undefined &&
      this.seen.every((t) => t.hash === this.seen[0]!.hash)
    );
  }

  /** Waits for the next change of any head and plays it; false when nothing changed by `deadline`. */
  async step(deadline: number): Promise<boolean> {
    const clients = [this.nodes.attacker, ...this.nodes.honest];
    for (;;) {
      const tips = await Promise.all(clients.map(readTip));
      const changed = tips.flatMap((t, i) => (t.hash !== this.seen[i]!.hash ? [i] : []));
      if (changed.length > 0) {
        // Several at once: in the order they were mined (header time in ms).
        changed.sort((a, b) => tips[a]!.timestamp - tips[b]!.timestamp);
        for (const i of changed) {
          const tip = tips[i]!;
          this.seen[i] = tip;
          // A node's new head is its own new block, or one it was sent (published by us).
          const own = tip.beneficiary === this.nodes.coinbases[i] && !this.known.has(tip.hash);
          this.note(
            `${i === 0 ? "A" : `H${i}`} ${own ? "mined" : "moved"} h=${tip.height} ${tip.hash.slice(0, 8)} pub=${this.pubHeight} att=${this.attHeight} priv=${this.privateBlocks}${this.raceTip ? " race" : ""}`,
          );
          if (!own) {
            if (i === 0) await this.onAttackerAdopted(tip);
          } else if (i === 0) await this.onAttackerBlock(tip);
          else await this.onHonestBlock(i - 1, tip);
        }
        return true;
      }
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  private note(line: string): void {
    if (this.events.length < 2000) this.events.push(line);
  }

  private async publishAttacker(tip: string): Promise<void> {
    this.note(`  publish A -> ${tip.slice(0, 8)}`);
    await releaseBlocks(this.nodes.attacker, tip);
    this.known.add(tip);
  }

  private async publishHonest(i: number, tip: Tip): Promise<void> {
    this.note(`  publish H${i + 1} -> ${tip.hash.slice(0, 8)}`);
    await releaseBlocks(this.nodes.honest[i]!, tip.hash);
    this.known.add(tip.hash);
  }

  /** The attacker's node followed a published chain; private blocks it held are lost. */
  private async onAttackerAdopted(tip: Tip): Promise<void> {
    this.attHeight = tip.height;
    if (this.privateBlocks > 0) {
      this.note(`  lost ${this.privateBlocks} private`);
      this.privateBlocks = 0;
    }
  }

  private async onAttackerBlock(tip: Tip): Promise<void> {
    if (tip.height <= this.pubHeight) {
      // Mined on a tip an honest block had just replaced: a tie nobody saw first; race it.
      this.counts.collisions++;
      await this.publishAttacker(tip.hash);
      this.privateBlocks = 0;
      this.attHeight = tip.height;
      this.raceTip = tip.hash;
      this.counts.races++;
      return;
    }
    this.privateBlocks += tip.height - this.attHeight;
    this.attHeight = tip.height;
    if (this.raceTip !== undefined) {
      // Its next block decides the tie: publish, the honest miners switch to the longer chain.
      await this.publishAttacker(tip.hash);
      this.counts.racesWon++;
      this.counts.attackerMainExpected += this.privateBlocks + 1;
      this.privateBlocks = 0;
      this.raceTip = undefined;
      this.pubHeight = tip.height;
    }
  }

  private async onHonestBlock(i: number, tip: Tip): Promise<void> {
    if (tip.height <= this.pubHeight) {
      // Mined before its node saw the block that replaced its tip: a fork among honest miners.
      this.counts.collisions++;
      await this.publishHonest(i, tip);
      return;
    }
    const lead = this.privateBlocks > 0 ? this.attHeight - this.pubHeight : 0;
    if (this.raceTip !== undefined) {
      if (tip.parentHash === this.raceTip) {
        this.counts.racesSplit++;
        this.counts.attackerMainExpected++;
      } else this.counts.racesLost++;
      this.raceTip = undefined;
      await this.publishHonest(i, tip);
    } else if (lead === 1) {
      await this.race(i, tip);
    } else if (lead === 2) {
      // The honest chain is one behind: publish everything, the private chain wins.
      await this.publishAttacker(this.seen[0]!.hash);
      await this.publishHonest(i, tip);
      this.counts.overrides++;
      this.counts.attackerMainExpected += this.privateBlocks;
      this.privateBlocks = 0;
      this.pubHeight = this.attHeight;
      return;
    } else {
      await this.publishHonest(i, tip);
      if (lead <= 0) this.privateBlocks = 0;
    }
    this.pubHeight = tip.height;
    this.attHeight = Math.max(this.attHeight, tip.height);
  }

  /** A tie: the attacker's one private block against honest block `tip` of miner `i`. */
  private async race(i: number, tip: Tip): Promise<void> {
    const others = this.rng.shuffle(this.nodes.honest.filter((_, j) => j !== i));
    const k = raceFollowers(this.gamma, this.nodes.honest.length, this.rng);
    const first = others.slice(0, k);
    const attackerTip = this.seen[0]!.hash;
    this.counts.races++;
    if (first.length > 0) {
      this.counts.racesLedByAttacker++;
      this.note(`  race: A -> ${attackerTip.slice(0, 8)} to ${first.length} first`);
      await releaseFirstTo({
        releaser: this.nodes.attacker,
        releaserPeer: this.nodes.attackerPeer,
        tip: attackerTip,
        first,
        rest: others.slice(k),
      });
      this.known.add(attackerTip);
      await this.publishHonest(i, tip);
    } else {
      await this.publishHonest(i, tip);
      await waitForBlock(others, tip.hash, 10_000, this.pollMs);
      await this.publishAttacker(attackerTip);
    }
    this.privateBlocks = 0;
    this.raceTip = attackerTip;
  }
}
