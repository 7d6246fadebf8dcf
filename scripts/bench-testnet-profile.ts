/**
 * Summaries of a V8 .cpuprofile for bench:testnet: top functions by self time, self time by
 * module (our src/ folders, npm packages, node internals, GC) and inclusive time of chosen
 * functions, all as shares of the busy (non-idle) time.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One row of a summary: a name, milliseconds and the share of busy time. */
export interface ProfileRow {
  name: string;
  ms: number;
  pct: number;
}

/** What summarizeProfile returns. */
export interface ProfileSummary {
  file: string;
  totalMs: number;
  busyMs: number;
  topSelf: ProfileRow[];
  byModule: ProfileRow[];
  inclusive: ProfileRow[];
}

const META = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

function moduleOf(url: string, fn: string): string {
  if (META.has(fn)) return fn;
  if (url === "") return "(native)";
  if (url.startsWith("node:")) return url.replace(/^node:(internal\/)?/, "node:").split("/")[0]!;
  if (url.startsWith("wasm://")) return "(wasm)";
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/src\/([^/]+)/.exec(url);
  return src ? `src/${src[1]!.replace(/\.ts$/, "")}` : url;
}

function frameKey(n: ProfileNode): string {
  const cf = n.callFrame;
  if (META.has(cf.functionName)) return cf.functionName;
  const where = cf.url ? ` ${cf.url.replace(/^.*\/(node_modules|src)\//, "$1/")}:${cf.lineNumber + 1}` : "";
  return `${cf.functionName || "(anonymous)"}${where}`;
}

const rows = (m: Map<string, number>, busy: number, n: number): ProfileRow[] =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), pct: Math.round((ms / busy) * 1000) / 10 }));

/** The largest .cpuprofile in `dir` (a node's main thread under load). */
export async function largestProfile(dir: string): Promise<string | undefined> {
  let best: { file: string; size: number } | undefined;
  for (const f of (await readdir(dir)).filter((x) => x.endsWith(".cpuprofile"))) {
    const size = (await stat(join(dir, f))).size;
    if (!best || size > best.size) best = { file: join(dir, f), size };
  }
  return best?.file;
}

/** Summarizes one profile; `inclusiveOf` are function names whose inclusive time is reported. */
export async function summarizeProfile(file: string, inclusiveOf: string[]): Promise<ProfileSummary> {
  const p = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const modules = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const wanted = new Set(inclusiveOf);
  let total = 0;
  let idle = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id);
    if (!n) return;
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    if (n.callFrame.functionName === "(idle)") {
      idle += dt;
      return;
    }
    const key = frameKey(n);
    self.set(key, (self.get(key) ?? 0) + dt);
    const mod = moduleOf(n.callFrame.url, n.callFrame.functionName);
    modules.set(mod, (modules.get(mod) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const fn = byId.get(cur)?.callFrame.functionName ?? "";
      if (wanted.has(fn) && !seen.has(fn)) {
        seen.add(fn);
        inclusive.set(fn, (inclusive.get(fn) ?? 0) + dt);
      }
    }
  });
  const busy = total - idle;
  return {
    file,
    totalMs: Math.round(total),
    busyMs: Math.round(busy),
    topSelf: rows(self, busy, 25),
    byModule: rows(modules, busy, 20),
    inclusive: rows(inclusive, busy, inclusiveOf.length),
  };
}
