/**
 * The gossip router: the topics this node speaks, their validators and size caps, publishing, and
 * the experiment knobs (gossip delay and drop). Every received message passes the size cap, the
 * drop/delay injection, then the topic's validator; a REJECT is counted by reason and reported to
 * the peer manager, which may ban the sender.
 */
import { type GossipSub, type GossipsubMessage, TopicValidatorResult } from "@libp2p/gossipsub";
import type { TopicScoreParams } from "@libp2p/gossipsub/score";
import type { Logger } from "pino";
import { describeError } from "../core/errors.ts";
import { P2PError } from "./errors.ts";
import { DEFAULT_INVALID_WEIGHT, topicScoreParams } from "./score-params.ts";
import type { P2PStats } from "./stats.ts";

/** What a topic validator decides (the values of gossipsub's TopicValidatorResult). */
export const GossipVerdict = { accept: "accept", ignore: "ignore", reject: "reject" } as const;
export type GossipVerdict = (typeof GossipVerdict)[keyof typeof GossipVerdict];

/** A verdict and the reason it is counted under (an error code, or e.g. "duplicate"). */
export interface GossipValidation {
  verdict: GossipVerdict;
  reason: string;
}

/** Validates one message; REJECT only for data no honest node would forward. */
export type TopicValidator = (data: Uint8Array, from: string) => GossipValidation | Promise<GossipValidation>;
/** Receives each accepted message. */
export type TopicHandler = (data: Uint8Array, from: string) => void;

/** A topic as an engine (or p2p itself) registers it. */
export interface TopicRegistration {
  /** Short name: the topic is `/chainlab/<genesis8>/<name>/1`. */
  name: string;
  /** Messages larger than this are rejected before decoding. */
  maxBytes: number;
  validate: TopicValidator;
  handle?: TopicHandler;
  /** P4 weight for this topic (negative); defaults to DEFAULT_INVALID_WEIGHT. */
  invalidWeight?: number;
}

const RESULT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

/** ACCEPT: deliver and forward. */
export const accept = (reason = "valid"): GossipValidation => ({ verdict: "accept", reason });
/** IGNORE: drop without penalty (duplicate, known, or not judgeable yet). */
export const ignore = (reason: string): GossipValidation => ({ verdict: "ignore", reason });
/** REJECT: invalid; the sender's gossip score drops and it counts toward a ban. */
export const reject = (reason: string): GossipValidation => ({ verdict: "reject", reason });

/** Dependencies of the router. */
export interface GossipRouterDeps {
  stats: P2PStats;
  log: Logger;
  /** Told about every REJECT, to penalize and maybe ban the sender. */
  onInvalid(peer: string, reason: string): void;
  random?: () => number;
}

/** Topics, validators, publishing, delay and drop injection. */
export class GossipRouter {
  private readonly deps: GossipRouterDeps;
  private readonly topics = new Map<string, TopicRegistration>();
  private pubsub: GossipSub | undefined;
  private delayMs = 0;
  private dropProbability = 0;
  private readonly random: () => number;
  private readonly onMessage = (evt: CustomEvent<GossipsubMessage>): void => {
    const reg = this.topics.get(evt.detail.msg.topic);
    if (reg?.handle === undefined) return;
    try {
      reg.handle(evt.detail.msg.data, evt.detail.propagationSource.toString());
    } catch (err) {
      this.deps.log.error({ topic: evt.detail.msg.topic, err: describeError(err) }, "gossip handler failed");
    }
  };

  constructor(deps: GossipRouterDeps) {
    this.deps = deps;
    this.random = deps.random ?? Math.random;
  }

  /** Adds a topic; only before attach() (score parameters are fixed when gossipsub is built). */
  register(topic: string, reg: TopicRegistration): void {
    if (this.pubsub !== undefined) {
      throw new P2PError(
        "P2P_ALREADY_STARTED",
        `topic ${topic} must be registered before the p2p service starts`,
      );
    }
    if (this.topics.has(topic)) throw new P2PError("P2P_BAD_OPTIONS", `topic ${topic} is already registered`);
    this.topics.set(topic, reg);
  }

  /** Topic names, for gossipsub's allow list. */
  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  /** Score parameters of every registered topic. */
  scoreTopics(): Record<string, TopicScoreParams> {
    const out: Record<string, TopicScoreParams> = {};
    for (const [t, reg] of this.topics)
      out[t] = topicScoreParams(reg.invalidWeight ?? DEFAULT_INVALID_WEIGHT);
    return out;
  }

  /** Subscribes to every topic and installs the validators. */
  attach(pubsub: GossipSub): void {
    this.pubsub = pubsub;
    for (const [topic, reg] of this.topics) {
      pubsub.topicValidators.set(topic, (peer, msg) => this.validate(topic, reg, peer.toString(), msg.data));
      pubsub.subscribe(topic);
    }
    pubsub.addEventListener("gossipsub:message", this.onMessage);
  }

  detach(): void {
    this.pubsub?.removeEventListener("gossipsub:message", this.onMessage);
    this.pubsub = undefined;
  }

  /** Delays every received and published message by `ms` (0 turns it off). */
  setDelay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Drops each received and published message with probability `p` (0 turns it off). */
  setDrop(p: number): void {
    this.dropProbability = Math.min(1, Math.max(0, p));
  }

  private async validate(
    topic: string,
    reg: TopicRegistration,
    from: string,
    data: Uint8Array,
  ): Promise<TopicValidatorResult> {
    const { stats, log } = this.deps;
    stats.count(stats.messagesIn, topic);
    let result: GossipValidation;
    if (data.length > reg.maxBytes) {
      result = reject("MESSAGE_TOO_LARGE");
    } else if (this.dropProbability > 0 && this.random() < this.dropProbability) {
      result = ignore("dropped_by_experiment");
    } else {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      try {
        result = await reg.validate(data, from);
      } catch (err) {
        // A validator that throws has a bug or hit a local failure: never blame the peer for it.
        log.error({ topic, peer: from, err: describeError(err) }, "gossip validator failed");
        result = ignore("validator_error");
      }
    }
    if (result.verdict === "accept") stats.count(stats.accepted, topic);
    else if (result.verdict === "ignore") stats.count(stats.ignored, result.reason);
    else {
      stats.count(stats.rejections, result.reason);
      log.debug({ topic, peer: from, reason: result.reason, bytes: data.length }, "rejected gossip");
      this.deps.onInvalid(from, result.reason);
    }
    return RESULT[result.verdict];
  }

  /** Publishes `data` on `topic`, honouring the delay and drop knobs; failures are logged, not thrown. */
  async publish(topic: string, data: Uint8Array): Promise<void> {
    const pubsub = this.pubsub;
    if (pubsub === undefined) return;
    if (this.dropProbability > 0 && this.random() < this.dropProbability) return;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    try {
      await pubsub.publish(topic, data);
      this.deps.stats.count(this.deps.stats.messagesOut, topic);
    } catch (err) {
      this.deps.log.warn({ topic, err: describeError(err) }, "gossip publish failed");
    }
  }
}
