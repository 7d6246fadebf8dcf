/**
 * The PoS panel's data, read from what each node's consensus_status reports (slot, epoch,
 * proposer, justified and finalized checkpoints, participation per recent epoch, active
 * validators and stake, slashed validators with their evidence) and never from the engine's name:
 * a status without those fields yields no panel. Participation is kept per epoch across polls
 * (the engine reports only recent epochs), and every list is bounded.
 */

/** A checkpoint as the page shows it. */
export interface CheckpointView {
  epoch: number;
  root?: string;
  height?: number;
}

/** A slashed validator with the evidence a node reported, and which nodes reported it. */
export interface SlashedView {
  index: number;
  publicKey?: string;
  reason?: string;
  /** The remaining reported fields (the evidence), as bounded JSON text. */
  evidence: string;
  reportedBy: string[];
}

/** Per-node PoS figures for the panel's table. */
export interface PosNodeView {
  node: string;
  slot?: number;
  epoch?: number;
  proposer?: number;
  justified?: CheckpointView;
  finalized?: CheckpointView;
}

/** The PoS panel. */
export interface PosView {
  slot?: number;
  epoch?: number;
  justified?: CheckpointView;
  finalized?: CheckpointView;
  activeValidators?: number;
  activeStake?: string;
  /** Fraction of active stake that attested, oldest epoch first. */
  participation: EpochParticipation[];
  slashed: SlashedView[];
  nodes: PosNodeView[];
}

/** A node's engine status, as the poller holds it. */
export interface StatusRow {
  name: string;
  state: string;
  consensus?: Record<string, unknown>;
}

const KEEP_EPOCHS = 64;
const KEEP_SLASHED = 256;
const EVIDENCE_CHARS = 2_000;
const POS_FIELDS = ["slot", "epoch", "justified", "participation", "activeValidators", "slashed"];

const int = (x: unknown): number | undefined => {
  const n = typeof x === "string" && /^[0-9]+$/.test(x) ? Number(x) : x;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

const text = (x: unknown, max = 160): string | undefined =>
  typeof x === "string" ? x.slice(0, max) : typeof x === "bigint" ? String(x) : undefined;

/** Whether a status reports any PoS field. */
export function isPosStatus(s: Record<string, unknown> | undefined): boolean {
  return s !== undefined && POS_FIELDS.some((f) => s[f] !== undefined);
}

/** A checkpoint from `{epoch, root | hash, height}`; undefined when it has no epoch. */
export function readCheckpoint(x: unknown): CheckpointView | undefined {
  if (x === null || typeof x !== "object") return undefined;
  const c = x as Record<string, unknown>;
  const epoch = int(c["epoch"]);
  if (epoch === undefined) return undefined;
  const root = text(c["root"] ?? c["hash"], 66);
  const height = int(c["height"]);
  return { epoch, ...(root !== undefined ? { root } : {}), ...(height !== undefined ? { height } : {}) };
}

const obj = (x: unknown): Record<string, unknown> =>
  x !== null && typeof x === "object" ? (x as Record<string, unknown>) : {};

const fraction = (x: unknown): number | undefined =>
  typeof x === "number" && Number.isFinite(x) && x >= 0 && x <= 1 ? x : undefined;

/** One epoch's participation; `partial` while the epoch is still the head's own (votes may follow). */
export interface EpochParticipation {
  epoch: number;
  fraction: number;
  partial?: boolean;
}

/** The epoch of the status's head (headSlot / slotsPerEpoch), else the clock's epoch. */
function headEpoch(s: Record<string, unknown>): number | undefined {
  const slot = int(s["headSlot"]);
  const per = int(s["slotsPerEpoch"]);
  return slot !== undefined && per !== undefined && per > 0 ? Math.floor(slot / per) : int(s["epoch"]);
}

/**
 * Participation per epoch from a status: `{previousEpoch, currentEpoch}` (fractions for the epochs
 * before and of the head, as the PoS engine reports them), an array of `{epoch, fraction}`, an
 * object mapping epoch to fraction, or a single fraction for the status's own epoch.
 */
export function readParticipation(s: Record<string, unknown>): EpochParticipation[] {
  const p = s["participation"];
  const out: EpochParticipation[] = [];
  const push = (epoch: number | undefined, f: number | undefined, partial = false) => {
    if (epoch !== undefined && f !== undefined)
      out.push({ epoch, fraction: f, ...(partial ? { partial } : {}) });
  };
  if (Array.isArray(p)) {
    for (const e of p.slice(-KEEP_EPOCHS)) {
      if (e === null || typeof e !== "object") continue;
      const r = e as Record<string, unknown>;
      push(int(r["epoch"]), fraction(r["fraction"] ?? r["participation"] ?? r["rate"]));
    }
  } else if (p !== null && typeof p === "object" && ("previousEpoch" in p || "currentEpoch" in p)) {
    const r = p as Record<string, unknown>;
    const e = headEpoch(s);
    if (e !== undefined && e >= 1) push(e - 1, fraction(r["previousEpoch"]));
    push(e, fraction(r["currentEpoch"]), true);
  } else if (p !== null && typeof p === "object") {
    for (const [k, v] of Object.entries(p).slice(-KEEP_EPOCHS)) push(int(k), fraction(v));
  } else push(int(s["epoch"]), fraction(p));
  return out;
}

const REASONS: Record<string, string> = {
  proposer: "proposer equivocation",
  attester: "double or surround vote",
};

/** Slashed validators from a status's `slashed` list (bounded). */
export function readSlashed(s: Record<string, unknown>): Omit<SlashedView, "reportedBy">[] {
  const list = s["slashed"];
  if (!Array.isArray(list)) return [];
  const out: Omit<SlashedView, "reportedBy">[] = [];
  for (const e of list.slice(0, KEEP_SLASHED)) {
    if (e === null || typeof e !== "object") continue;
    const { index, publicKey, reason, ...rest } = e as Record<string, unknown>;
    const i = int(index);
    if (i === undefined) continue;
    const pk = text(publicKey, 130);
    const kinds = Array.isArray(rest["evidence"])
      ? [...new Set(rest["evidence"].map((x) => REASONS[String(obj(x)["kind"])] ?? ""))].filter(Boolean)
      : [];
    const why = text(reason) ?? (kinds.length > 0 ? kinds.join(", ") : undefined);
    const evidence = JSON.stringify(rest, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) ?? "{}";
    out.push({
      index: i,
      ...(pk !== undefined ? { publicKey: pk } : {}),
      ...(why !== undefined ? { reason: why } : {}),
      evidence: evidence.length > EVIDENCE_CHARS ? `${evidence.slice(0, EVIDENCE_CHARS)}…` : evidence,
    });
  }
  return out;
}

/** Participation per epoch across polls: the latest report for an epoch wins; bounded. */
export class ParticipationHistory {
  private readonly byEpoch = new Map<number, EpochParticipation>();
  private readonly keep: number;

  constructor(keep = KEEP_EPOCHS) {
    this.keep = keep;
  }

  get size(): number {
    return this.byEpoch.size;
  }

  /** Records what the up nodes report (the most advanced node's figure last, so it wins). */
  observe(rows: readonly StatusRow[]): void {
    const reporting = rows
      .filter((r) => r.state !== "down" && isPosStatus(r.consensus))
      .sort((a, b) => (int(a.consensus!["slot"]) ?? 0) - (int(b.consensus!["slot"]) ?? 0));
    for (const r of reporting)
      for (const p of readParticipation(r.consensus!)) {
        // A final figure is not replaced by a partial one from a node that lags behind.
        const known = this.byEpoch.get(p.epoch);
        if (p.partial && known && !known.partial) continue;
        this.byEpoch.set(p.epoch, p);
      }
    if (this.byEpoch.size > this.keep) {
      const epochs = [...this.byEpoch.keys()].sort((a, b) => a - b);
      for (const e of epochs.slice(0, epochs.length - this.keep)) this.byEpoch.delete(e);
    }
  }

  /** Oldest epoch first. */
  list(): EpochParticipation[] {
    return [...this.byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  }
}

const later = (a: CheckpointView | undefined, b: CheckpointView | undefined) =>
  a === undefined || (b !== undefined && b.epoch > a.epoch) ? b : a;

/** The PoS panel from the nodes' statuses; undefined when no up node reports PoS fields. */
export function posView(rows: readonly StatusRow[], history?: ParticipationHistory): PosView | undefined {
  const reporting = rows.filter((r) => r.state !== "down" && isPosStatus(r.consensus));
  if (reporting.length === 0) return undefined;
  const nodes: PosNodeView[] = [];
  const slashed = new Map<number, SlashedView>();
  let view: Omit<PosView, "participation" | "slashed" | "nodes"> = {};
  let lead: Record<string, unknown> | undefined;
  for (const r of reporting) {
    const s = r.consensus!;
    const slot = int(s["slot"]);
    const epoch = int(s["epoch"]);
    const proposer = int(s["proposer"]);
    const justified = readCheckpoint(s["justified"]);
    const finalized = readCheckpoint(s["finalized"]);
    nodes.push({
      node: r.name,
      ...(slot !== undefined ? { slot } : {}),
      ...(epoch !== undefined ? { epoch } : {}),
      ...(proposer !== undefined ? { proposer } : {}),
      ...(justified ? { justified } : {}),
      ...(finalized ? { finalized } : {}),
    });
    if (lead === undefined || (slot ?? -1) > (int(lead["slot"]) ?? -1)) lead = s;
    const j = later(view.justified, justified);
    const f = later(view.finalized, finalized);
    view = { ...view, ...(j ? { justified: j } : {}), ...(f ? { finalized: f } : {}) };
    for (const v of readSlashed(s)) {
      const known = slashed.get(v.index);
      if (known) known.reportedBy.push(r.name);
      else if (slashed.size < KEEP_SLASHED) slashed.set(v.index, { ...v, reportedBy: [r.name] });
    }
  }
  const s = lead!;
  const slot = int(s["slot"]);
  const epoch = int(s["epoch"]);
  const activeValidators = int(s["activeValidators"]);
  const activeStake =
    text(s["activeStake"], 40) ??
    (typeof s["activeStake"] === "number" ? String(s["activeStake"]) : undefined);
  return {
    ...(slot !== undefined ? { slot } : {}),
    ...(epoch !== undefined ? { epoch } : {}),
    ...view,
    ...(activeValidators !== undefined ? { activeValidators } : {}),
    ...(activeStake !== undefined ? { activeStake } : {}),
    participation: history ? history.list() : readParticipation(s),
    slashed: [...slashed.values()].sort((a, b) => a.index - b.index),
    nodes,
  };
}
