/**
 * The node's one outbound publisher: every block, transaction batch and engine message the node
 * sends leaves through here, and every gossip message it would relay asks here first. Its policy
 * is the hook experiments use (withhold, release, delay or drop, per topic and origin) without a
 * patched copy of the node. Topics are the short names ("blocks", "txs", engine topic names).
 *
 * Relays are gossipsub forwards of messages we validated: the policy can delay or drop them (a
 * dropped relay is an IGNORE, so it is never forwarded); "withhold" on a relay drops it, because a
 * content-addressed message already seen cannot be published again later.
 */
import type { Logger } from "pino";
import { describeError } from "../core/errors.ts";
import type { OutboundPort } from "../p2p/index.ts";

/** Where an outbound message comes from. */
export type Origin = "local" | "relay";

/** One message on its way out. */
export interface OutboundMessage {
  topic: string;
  data: Uint8Array;
  origin: Origin;
  /** For relays: the peer we got it from. */
  from?: string;
}

/** What the policy does with a message. */
export type OutboundAction =
  | { action: "send" }
  | { action: "drop" }
  | { action: "withhold" }
  | { action: "delay"; ms: number };

/** Decides per message; the default sends everything at once. */
export type PublishPolicy = (message: OutboundMessage) => OutboundAction;

/** One rule of a declarative policy (the RPC's admin_publishPolicy). */
export interface PolicyRule {
  /** Short topic name; absent matches every topic. */
  topic?: string;
  /** absent matches both. */
  origin?: Origin;
  action: "withhold" | "drop" | "delay";
  delayMs?: number;
}

/** A policy from rules: the first matching rule decides; no match sends. */
export function rulesPolicy(rules: readonly PolicyRule[]): PublishPolicy {
  return (m) => {
    for (const r of rules) {
      if (r.topic !== undefined && r.topic !== m.topic) continue;
      if (r.origin !== undefined && r.origin !== m.origin) continue;
      if (r.action === "delay") return { action: "delay", ms: r.delayMs ?? 0 };
      return { action: r.action };
    }
    return { action: "send" };
  };
}

const SEND_ALL: PublishPolicy = () => ({ action: "send" });

/** Counters of what the publisher did, by topic. */
export interface PublisherStats {
  sent: Record<string, number>;
  dropped: Record<string, number>;
  delayed: Record<string, number>;
  withheld: number;
  released: number;
}

/** Most withheld messages kept (oldest dropped beyond). */
const MAX_WITHHELD = 10_000;
/** Most withheld bytes kept. */
const MAX_WITHHELD_BYTES = 256 << 20;

/** The outbound publisher of one node. */
export class Publisher implements OutboundPort {
  private send: ((topic: string, data: Uint8Array) => Promise<void>) | undefined;
  private policy: PublishPolicy = SEND_ALL;
  private rules: PolicyRule[] = [];
  private held: OutboundMessage[] = [];
  private heldBytes = 0;
  private readonly log: Logger;
  private readonly counters: PublisherStats = {
    sent: {},
    dropped: {},
    delayed: {},
    withheld: 0,
    released: 0,
  };
  private readonly listeners = new Set<(m: OutboundMessage, action: OutboundAction["action"]) => void>();

  constructor(log: Logger) {
    this.log = log.child({ module: "publisher" });
  }

  /** Called by the network layer once it can send. */
  attach(send: (topic: string, data: Uint8Array) => Promise<void>): void {
    this.send = send;
  }

  /** Installs a policy function (undefined: send everything). */
  setPolicy(policy: PublishPolicy | undefined): void {
    this.policy = policy ?? SEND_ALL;
    this.rules = [];
  }

  /** Installs a declarative policy (what admin_publishPolicy sets); [] sends everything. */
  setRules(rules: readonly PolicyRule[]): void {
    this.policy = rules.length === 0 ? SEND_ALL : rulesPolicy(rules);
    this.rules = [...rules];
  }

  /** The current declarative rules (empty when a function policy or none is set). */
  currentRules(): PolicyRule[] {
    return [...this.rules];
  }

  /** Subscribes to every decision the policy makes (for experiments and tests). */
  onDecision(listener: (m: OutboundMessage, action: OutboundAction["action"]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes a message of ours under the policy; never throws. */
  async publish(topic: string, data: Uint8Array): Promise<void> {
    const message: OutboundMessage = { topic, data, origin: "local" };
    const decision = this.decide(message);
    switch (decision.action) {
      case "drop":
        bump(this.counters.dropped, topic);
        return;
      case "withhold":
        this.hold(message);
        return;
      case "delay":
        bump(this.counters.delayed, topic);
        await new Promise((r) => setTimeout(r, decision.ms));
        await this.transmit(message);
        return;
      case "send":
        await this.transmit(message);
    }
  }

  /** Whether gossipsub may forward a message we validated from `from`. */
  async relayAction(topic: string, data: Uint8Array, from: string): Promise<"relay" | "drop"> {
    const message: OutboundMessage = { topic, data, origin: "relay", from };
    const decision = this.decide(message);
    if (decision.action === "send") return "relay";
    if (decision.action === "delay") {
      bump(this.counters.delayed, topic);
      await new Promise((r) => setTimeout(r, decision.ms));
      return "relay";
    }
    bump(this.counters.dropped, topic);
    return "drop";
  }

  /** Withheld messages, oldest first. */
  withheld(): readonly OutboundMessage[] {
    return this.held;
  }

  /**
   * Sends the withheld messages that match `filter` (all by default), oldest first and at once,
   * bypassing the policy; returns how many left.
   */
  async release(filter: (m: OutboundMessage) => boolean = () => true): Promise<number> {
    const now = this.held.filter(filter);
    this.held = this.held.filter((m) => !filter(m));
    this.heldBytes = this.held.reduce((n, m) => n + m.data.length, 0);
    for (const m of now) await this.transmit(m);
    this.counters.released += now.length;
    return now.length;
  }

  stats(): PublisherStats & { withholding: number } {
    return { ...this.counters, withholding: this.held.length };
  }

  private decide(message: OutboundMessage): OutboundAction {
    let decision: OutboundAction;
    try {
      decision = this.policy(message);
    } catch (err) {
      this.log.error({ err: describeError(err), topic: message.topic }, "publish policy failed; sending");
      decision = { action: "send" };
    }
    for (const l of this.listeners) l(message, decision.action);
    return decision;
  }

  private hold(message: OutboundMessage): void {
    this.held.push(message);
    this.heldBytes += message.data.length;
    this.counters.withheld++;
    while (this.held.length > MAX_WITHHELD || this.heldBytes > MAX_WITHHELD_BYTES) {
      const old = this.held.shift()!;
      this.heldBytes -= old.data.length;
    }
  }

  private async transmit(message: OutboundMessage): Promise<void> {
    if (this.send === undefined) return;
    try {
      await this.send(message.topic, message.data);
      bump(this.counters.sent, message.topic);
    } catch (err) {
      this.log.warn({ err: describeError(err), topic: message.topic }, "publish failed");
    }
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
