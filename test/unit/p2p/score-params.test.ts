import {
  validatePeerScoreParams,
  validatePeerScoreThresholds,
  validateTopicScoreParams,
} from "@libp2p/gossipsub/score";
import { describe, expect, it } from "vitest";
import {
  BLOCK_INVALID_WEIGHT,
  DEFAULT_INVALID_WEIGHT,
  peerScoreParams,
  SCORE_THRESHOLDS,
  topicScoreParams,
} from "../../../src/p2p/score-params.ts";

/** P4 alone: counter^2 x weight x topicWeight. */
const p4 = (count: number, weight: number) => count * count * weight;

describe("gossipsub score parameters", () => {
  it("pass gossipsub's own validation", () => {
    const topics = { b: topicScoreParams(BLOCK_INVALID_WEIGHT), t: topicScoreParams(DEFAULT_INVALID_WEIGHT) };
    for (const t of Object.values(topics)) expect(() => validateTopicScoreParams(t)).not.toThrow();
    expect(() => validatePeerScoreParams(peerScoreParams(topics, () => 0))).not.toThrow();
    expect(() => validatePeerScoreThresholds(SCORE_THRESHOLDS)).not.toThrow();
  });

  it("graylist a peer after a handful of invalid messages, even with the maximum positive score", () => {
    const cap = peerScoreParams({}, () => 0).topicScoreCap;
    expect(p4(1, BLOCK_INVALID_WEIGHT)).toBeLessThanOrEqual(SCORE_THRESHOLDS.gossipThreshold);
    expect(cap + p4(3, BLOCK_INVALID_WEIGHT)).toBeLessThan(SCORE_THRESHOLDS.graylistThreshold);
    expect(cap + p4(5, DEFAULT_INVALID_WEIGHT)).toBeLessThan(SCORE_THRESHOLDS.graylistThreshold);
    // A single stray invalid tx (for example a race) costs gossip, not the connection.
    expect(p4(1, DEFAULT_INVALID_WEIGHT)).toBeGreaterThan(SCORE_THRESHOLDS.gossipThreshold);
  });

  it("keep the thresholds ordered as gossipsub requires", () => {
    const t = SCORE_THRESHOLDS;
    expect(t.graylistThreshold).toBeLessThan(t.publishThreshold);
    expect(t.publishThreshold).toBeLessThan(t.gossipThreshold);
    expect(t.gossipThreshold).toBeLessThan(0);
  });
});
