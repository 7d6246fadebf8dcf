/**
 * Shared by the scenarios whose secure outcome is "nothing accepted" (tx-replay, api-replay,
 * invalid-flood): one point per attack kind with a predicted success rate of 0, tallies of the
 * refusals by reason, and a chart of the accepted fraction per kind with its 95% Wilson interval
 * (its upper end bounds the acceptance rate the run can rule out).
 */
import type { ChartSpec } from "../report/chart.ts";
import type { PointSpec, TrialRecord } from "../scenario.ts";
import { wilsonInterval } from "../stats/index.ts";

/** Counts by reason code. */
export type Tally = Record<string, number>;

/** Adds `n` to `code` in `t`. */
export function count(t: Tally, code: string, n = 1): void {
  t[code] = (t[code] ?? 0) + n;
}

/** Sums tallies. */
export function mergeTallies(ts: readonly Tally[]): Tally {
  const out: Tally = {};
  for (const t of ts) for (const [k, n] of Object.entries(t)) count(out, k, n);
  return out;
}

/** One point per kind: coordinate `kind` = its 1-based index, predicted success 0 ("secure"). */
export function zeroPoints(kinds: readonly string[]): PointSpec[] {
  return kinds.map((kind, i) => ({
    id: kind,
    coords: { kind: i + 1 },
    predicted: { secure: 0 },
    primary: "secure",
  }));
}

/** The note that maps the kind numbers of the report's table to their names. */
export function kindLegend(kinds: readonly string[]): string {
  return `**Kinds.** ${kinds.map((k, i) => `${i + 1} = ${k}`).join(", ")}.`;
}

/** The accepted fraction of the attack messages of each kind, against the secure prediction 0. */
export function acceptanceChart(
  file: string,
  title: string,
  rows: readonly { kind: string; sent: number; accepted: number }[],
): ChartSpec {
  return {
    file,
    title,
    xTitle: "attack kind (see the legend in the notes)",
    yTitle: "fraction of attack messages accepted",
    seriesTitle: "series",
    theory: rows.map((_, i) => ({ x: i + 1, y: 0, series: "secure (0)" })),
    measured: rows.map((r, i) => {
      const ci = wilsonInterval(r.accepted, r.sent);
      return { x: i + 1, y: ci.estimate, lo: ci.lo, hi: ci.hi, series: "measured", trials: r.sent };
    }),
  };
}

/** One kind's totals over its trials. */
export interface KindRow {
  kind: string;
  sent: number;
  accepted: number;
  reasons: Tally;
}

/** Per kind: attack messages sent (`sentOf`), accepted (data.accepted) and reasons (data.reasons). */
export function kindRows(
  kinds: readonly string[],
  records: readonly TrialRecord[],
  sentOf: (r: TrialRecord) => number,
): KindRow[] {
  return kinds.map((kind) => {
    const mine = records.filter((r) => r.point === kind);
    return {
      kind,
      sent: mine.reduce((n, r) => n + sentOf(r), 0),
      accepted: mine.reduce((n, r) => n + (r.data.accepted as number), 0),
      reasons: mergeTallies(mine.map((r) => r.data.reasons as Tally)),
    };
  });
}

/** The sums of `rows`' sent and accepted counts. */
export function rowTotals(rows: readonly KindRow[]): { sent: number; accepted: number } {
  return {
    sent: rows.reduce((n, r) => n + r.sent, 0),
    accepted: rows.reduce((n, r) => n + r.accepted, 0),
  };
}
