/**
 * Aggregation of refused requests for the audit log, so unauthenticated traffic cannot grow it
 * without bound: per refused event kind, remote address and reason, the first refusal of a window
 * is written at once and the rest of that window become one `refusals_aggregated` line (count,
 * first and last seen). Past `maxGroups` distinct groups per window, new remotes share one `*`
 * group, so the lines per window are bounded whatever the attacker varies.
 */

/** A refusal as the aggregator sees it. */
export interface Refusal {
  event: string;
  remote: string;
  /** The reason code, or for key-bound events the key id. */
  reason: string;
}

/** The summary of the refusals that were counted and not written one by one. */
export interface RefusalSummary {
  event: "refusals_aggregated";
  refused: string;
  remote: string;
  reason: string;
  count: number;
  firstAt: number;
  lastAt: number;
}

/** Decides which refusals are written and summarises the others. */
export interface RefusalAggregator {
  /** True if this refusal opens a window for its group (write it); otherwise it is counted. */
  admit(r: Refusal, at: number): boolean;
  /** Summaries of windows that admit() found ended (cheap; call after each admit). */
  takeReady(): RefusalSummary[];
  /** Summaries of the windows that ended by `now` (all of them for +Infinity); those groups reset. */
  drain(now: number): RefusalSummary[];
}

interface Group {
  r: Refusal;
  windowEnd: number;
  count: number;
  firstAt: number;
  lastAt: number;
}

/** Creates an aggregator with windows of `windowMs` and at most `maxGroups` groups. */
export function createRefusalAggregator(windowMs: number, maxGroups = 1000): RefusalAggregator {
  const groups = new Map<string, Group>();
  const ready: RefusalSummary[] = [];
  const summary = (g: Group): RefusalSummary => ({
    event: "refusals_aggregated",
    refused: g.r.event,
    remote: g.r.remote,
    reason: g.r.reason,
    count: g.count,
    firstAt: g.firstAt,
    lastAt: g.lastAt,
  });
  return {
    admit(r, at) {
      let key = `${r.event}|${r.remote}|${r.reason}`;
      if (!groups.has(key) && groups.size >= maxGroups) {
        r = { ...r, remote: "*" };
        key = `${r.event}|*|${r.reason}`;
      }
      const g = groups.get(key);
      if (g && at < g.windowEnd) {
        if (g.count === 0) g.firstAt = at;
        g.count++;
        g.lastAt = at;
        return false;
      }
      if (g && g.count > 0) ready.push(summary(g));
      groups.set(key, { r, windowEnd: at + windowMs, count: 0, firstAt: at, lastAt: at });
      return true;
    },
    takeReady: () => ready.splice(0),
    drain(now) {
      const out = ready.splice(0);
      for (const [key, g] of groups) {
        if (g.windowEnd > now) continue;
        if (g.count > 0) out.push(summary(g));
        groups.delete(key);
      }
      return out;
    },
  };
}
