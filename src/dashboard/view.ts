/**
 * The state pushed to the page: the node table, the headline figures and every panel's data,
 * bounded (windows of recent blocks) so a long run or a large testnet stays cheap to send and draw.
 * Engine-specific panels are driven by what consensus_status reports, never by the engine's name.
 */
import {
  bestTip,
  chainTo,
  components,
  forkTree,
  histogram,
  intervals,
  producerShare,
  propagation,
} from "./aggregate.ts";
import type { StoredBlock } from "./block-store.ts";
import type { RunView } from "./experiments.ts";
import type { NodeRow, Poller } from "./poller.ts";
import { isPosStatus, posView } from "./pos.ts";

/** Sizes of the windows the panels show. */
export interface ViewWindows {
  /** Canonical blocks for intervals, txs per block and producer share. */
  chain: number;
  /** Heights in the fork tree. */
  tree: number;
  /** Blocks in the propagation panel. */
  propagation: number;
}

const DEFAULT_WINDOWS: ViewWindows = { chain: 120, tree: 24, propagation: 60 };
const HOUR_MS = 3_600_000;

/** The status of a control run in the background (a load), when there is one. */
export interface BackgroundTask {
  kind: string;
  running: boolean;
  startedAt: number;
  progress?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: string;
}

function num(x: unknown): number | undefined {
  const n = typeof x === "string" ? Number(x) : x;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

/** Builds the view from the poller's last round. */
export function buildView(
  poller: Poller,
  extra: {
    task?: BackgroundTask;
    experiments?: RunView[];
    now?: number;
    windows?: Partial<ViewWindows>;
  } = {},
) {
  const w = { ...DEFAULT_WINDOWS, ...extra.windows };
  const now = extra.now ?? Date.now();
  const rows = poller.rows;
  const store = poller.store;
  const byCoinbase = new Map(rows.filter((r) => r.coinbase).map((r) => [r.coinbase!, r.name]));
  const producerName = (b: StoredBlock) => byCoinbase.get(b.beneficiary) ?? b.beneficiary;
  const best = bestTip(store);
  const chain = best ? chainTo(store, best.hash, w.chain + 1) : [];
  const gaps = intervals(chain);
  const up = rows.filter((r) => r.state !== "down");
  const rates = new Map<string, number>();
  for (const r of rows) {
    const rate = num(r.consensus?.["hashrate"]);
    if (r.miner && rate !== undefined && r.state !== "down") rates.set(r.name, rate);
  }
  const finalized = up.map((r) => r.finalized).filter((f): f is number => f !== undefined);
  const prop = propagation(store, w.propagation);
  const edges: [string, string][] = rows.flatMap((r) =>
    r.peerNames.map((p): [string, string] => [r.name, p]),
  );
  const names = rows.map((r) => r.name);
  return {
    at: now,
    consensus: poller.manifest?.consensus,
    nodes: rows.map(({ consensus: _c, ...r }) => r),
    headline: {
      bestHeight: best?.height,
      bestHash: best?.hash,
      finalizedHeight: finalized.length > 0 ? Math.max(...finalized) : undefined,
      avgIntervalMs: gaps.length > 0 ? gaps.reduce((a, g) => a + g.ms, 0) / gaps.length : undefined,
      hashrate: rates.size > 0 ? [...rates.values()].reduce((a, b) => a + b, 0) : undefined,
      reorgsLastHour: store.reorgs.filter((r) => now - r.at <= HOUR_MS).length,
      nodesUp: up.length,
      nodes: rows.length,
    },
    intervals: { series: gaps, histogram: histogram(gaps.map((g) => g.ms)) },
    txsPerBlock: chain.filter((b) => b.height > 0).map((b) => ({ height: b.height, txs: b.txCount })),
    propagation: {
      blocks: prop,
      histogram: histogram(prop.flatMap((p) => Object.values(p.delays))),
      resolutionMs: poller.intervalMs,
    },
    forkTree: forkTree(store, w.tree, producerName),
    reorgs: store.reorgs.slice(-20).reverse(),
    producers: producerShare(chain, producerName, rates),
    topology: {
      nodes: rows.map((r) => ({ name: r.name, up: r.state !== "down" })),
      edges: dedupe(edges.filter(([a, b]) => names.includes(a) && names.includes(b))),
      components: components(
        up.map((r) => r.name),
        edges,
      ),
    },
    engine: engineStatus(rows),
    pos: posView(rows, poller.participation),
    ...(extra.task ? { task: extra.task } : {}),
    experiments: extra.experiments ?? [],
  };
}

/** The view's type, as the page receives it (JSON). */
export type DashboardView = ReturnType<typeof buildView>;

function dedupe(edges: [string, string][]): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const [a, b] of edges) {
    const [x, y] = a < b ? [a, b] : [b, a];
    seen.set(`${x}|${y}`, [x, y]);
  }
  return [...seen.values()];
}

/** Per-node engine status as reported, for the engine panel (statuses with PoS fields have their own). */
function engineStatus(rows: NodeRow[]) {
  return rows
    .filter((r) => r.consensus !== undefined && r.state !== "down" && !isPosStatus(r.consensus))
    .map((r) => {
      const s = r.consensus!;
      return {
        node: r.name,
        type: typeof s["type"] === "string" ? s["type"] : undefined,
        difficulty: typeof s["difficulty"] === "string" ? s["difficulty"] : undefined,
        hashrate: num(s["hashrate"]),
        cumulativeWork: typeof s["cumulativeWork"] === "string" ? s["cumulativeWork"] : undefined,
      };
    });
}
