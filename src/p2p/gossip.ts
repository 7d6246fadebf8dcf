/**
 * The gossip router: the topics this node speaks, their validators and size caps, publishing, and
 * the experiment knobs (inbound delay and drop per topic and per peer). Every received message
 * passes the size cap, the fault rules, then the topic's validator; a REJECT is counted by reason
 * and reported to the peer manager, which may ban the sender. An ACCEPTed message is forwarded
 * only if the node's outbound publisher lets it (its policy can delay or drop relays).
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

/** An inbound fault for experiments: messages on `topic` from `peer` (absent: any) are delayed or dropped. */
export interface GossipFault {
  topic?: string;
  peer?: string;
  delayMs?: number;
  /** In [0, 1]. */
  dropProbability?: number;
}

/** Dependencies of the router. */
export interface GossipRouterDeps {
  stats: P2PStats;
  log: Logger;
  /** Asked before an ACCEPTed message is forwarded (the node's publisher); default: relay. */
  relayAction?: (topic: string, data: Uint8Array, from: string) => Promise<"relay" | "drop">;
  /** Told about every REJECT, to penalize and maybe ban the sender. */
  onInvalid(peer: string, reason: string): void;
  /**
   * True for a peer across an experiment's partition: its messages still in flight while the
   * connection closes are ignored, so a partition holds from the moment it is set. (A banned
   * peer's are still judged: ignoring marks a message seen, and an honest copy relayed later by
   * another peer would then be dropped as a duplicate.)
   */
  isPartitioned?: (peer: string) => boolean;
  random?: () => number;
}

/** Topics, validators, publishing, delay and drop injection. */
export class GossipRouter {
  private readonly deps: GossipRouterDeps;
  private readonly topics = new Map<string, TopicRegistration>();
  private pubsub: GossipSub | undefined;
  private faults: GossipFault[] = [];
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

  /** Replaces the inbound fault rules ([] turns them off). The first matching rule applies. */
  setFaults(faults: readonly GossipFault[]): void {
    this.faults = faults.map((f) => ({
      ...f,
      delayMs: Math.max(0, f.delayMs ?? 0),
      dropProbability: Math.min(1, Math.max(0, f.dropProbability ?? 0)),
    }));
  }

  /** The inbound fault rules in force. */
  currentFaults(): GossipFault[] {
    return [...this.faults];
  }

  private faultFor(name: string, from: string): GossipFault | undefined {
    return this.faults.find(
      (f) => (f.topic === undefined || f.topic === name) && (f.peer === undefined || f.peer === from),
    );
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
    const fault = this.faults.length > 0 ? this.faultFor(reg.name, from) : undefined;
    if (this.deps.isPartitioned?.(from) === true) {
      result = ignore("from_partitioned_peer");
    } else if (data.length > reg.maxBytes) {
      result = reject("MESSAGE_TOO_LARGE");
    } else if (fault?.dropProbability && this.random() < fault.dropProbability) {
      result = ignore("dropped_by_experiment");
    } else {
      if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      try {
        result = await reg.validate(data, from);
      } catch (err) {
        // A validator that throws has a bug or hit a local failure: never blame the peer for it.
        log.error({ topic, peer: from, err: describeError(err) }, "gossip validator failed");
        result = ignore("validator_error");
      }
      if (result.verdict === "accept" && this.deps.relayAction !== undefined) {
        if ((await this.deps.relayAction(reg.name, data, from)) === "drop")
          result = ignore("relay_held_by_policy");
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

  /** Publishes `data` on `topic` (a full topic name); failures are logged, not thrown. */
  async publish(topic: string, data: Uint8Array): Promise<void> {
    const pubsub = this.pubsub;
    if (pubsub === undefined) return;
    try {
      await pubsub.publish(topic, data);
      this.deps.stats.count(this.deps.stats.messagesOut, topic);
    } catch (err) {
      this.deps.log.warn({ topic, err: describeError(err) }, "gossip publish failed");
    }
  }
}
