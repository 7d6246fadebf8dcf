/**
 * bench:testnet — local testnet figures next to the goals of issues 5 and 14:
 *   1. time from `up` until every node is producing or following one head (4 nodes, processes);
 *   2. the same for 16 nodes (processes first; in-process if that fails, and the mode is printed);
 *   3. RSS per node (VmRSS idle after up; VmHWM peak under load), from /proc/PID/status, and PSS
 *      (/proc/PID/smaps_rollup), which splits the pages the node processes share (the node binary);
 *   4. sustained included transfers/s under runLoad on a 4-node PoW testnet (every node validates
 *      every tx), with submitted/included tx/s, inclusion latency p50/p95 and rejections.
 * The in-run memory baseline is a second 4-node testnet whose processes run the TypeScript sources
 * with V8's default heap settings (CHAINLAB_NODE_BUILD=0, no CHAINLAB_NODE_V8_FLAGS), as before
 * issue 14 (--no-baseline skips it). The machine's load average is printed: the cores are shared.
 * With --profile DIR the load testnet's node processes run the sources with --cpu-prof and the top functions
 * by self time of node-0 are printed. --node-options passes V8/Node flags (NODE_OPTIONS) to every
 * node process of the run, e.g. "--max-old-space-size=128" to see how RSS responds.
 *
 *   npm run bench:testnet -- [--json] [--tps 1000] [--duration 20] [--accounts 256]
 *     [--big 16] [--big-mode auto|process|in-process] [--big-miners K] [--skip-big] [--load-only]
 *     [--big-only]
 * --big-miners K makes only K of the big testnet's nodes mine (default: all): the lighter mode for
 * 64 nodes in one process, where 64 miners on one event loop fork faster than blocks propagate.
 *     [--profile DIR] [--node-options="FLAGS"]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { describeError } from "../src/core/errors.ts";
import { type LoadReport, runLoad, Testnet, type TestnetOptions } from "../src/testnet/index.ts";
import {
  largestProfile,
  type ProfileRow,
  type ProfileSummary,
  summarizeProfile,
} from "./bench-testnet-profile.ts";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    tps: { type: "string", default: "1000" },
    duration: { type: "string", default: "20" },
    accounts: { type: "string", default: "256" },
    big: { type: "string", default: "16" },
    "big-mode": { type: "string", default: "auto" },
    "skip-big": { type: "boolean", default: false },
    "load-only": { type: "boolean", default: false },
    "big-only": { type: "boolean", default: false },
    "no-baseline": { type: "boolean", default: false },
    "big-miners": { type: "string" },
    profile: { type: "string" },
    "node-options": { type: "string" },
  },
});
/** Issue 5's start-up goal, and issue 14's memory, scale and throughput goals. */
const GOALS = {
  readySeconds4: 5,
  readySeconds16: 8,
  idleRssMb: 100,
  loadRssMb: 200,
  includedTps: 2000,
  p95Ms: 3000,
};
const say = (m: string) => {
  if (!values.json) process.stderr.write(`${m}\n`);
};

type Mem = { rss: number; peak: number; pss: number };

/** VmRSS, VmHWM and PSS of a process in MB, from /proc. */
async function memoryMb(pid: number): Promise<Mem | undefined> {
  const text = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  const kb = (t: string, key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(t)?.[1] ?? Number.NaN);
  return text
    ? { rss: kb(text, "VmRSS") / 1024, peak: kb(text, "VmHWM") / 1024, pss: kb(rollup, "Pss") / 1024 }
    : undefined;
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function nodeMemory(net: Testnet): Promise<{ rss: number[]; peak: number[]; pss: number[] }> {
  const pids = net.nodes.map((n) => n.pid!);
  const unique = [...new Set(pids)];
  const mem = await Promise.all(unique.map(memoryMb));
  // In-process nodes share one process: report its RSS divided by the node count.
  const share = unique.length === 1 && pids.length > 1 ? pids.length : 1;
  const pick = (k: keyof Mem) => mem.map((m) => Math.round((m?.[k] ?? Number.NaN) / share));
  return { rss: pick("rss"), peak: pick("peak"), pss: pick("pss") };
}

async function withTestnet<T>(
  o: Omit<TestnetOptions, "dir">,
  use: (net: Testnet, readyS: number) => Promise<T>,
) {
  const dir = await mkdtemp(join(tmpdir(), "chainlab-bench-testnet-"));
  try {
    const t0 = performance.now();
    const net = await Testnet.start({ dir, ...o });
    const readyS = (performance.now() - t0) / 1000;
    try {
      return await use(net, readyS);
    } finally {
      await net.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface ReadyResult {
  nodes: number;
  mode: "process" | "in-process";
  readySeconds: number;
  rssMb: number[];
  pssMb: number[];
  miners: number;
  processFailure?: string;
}

async function measureReady(
  nodes: number,
  mode: "process" | "in-process",
  env: Record<string, string> = {},
  miners?: number,
): Promise<ReadyResult> {
  say(`up: ${nodes} nodes (${mode})${Object.keys(env).length > 0 ? ` with ${JSON.stringify(env)}` : ""} ...`);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await withTestnet(
      { nodes, inProcess: mode === "in-process", readyTimeoutMs: 120_000, ...(miners ? { miners } : {}) },
      async (net, s) => {
        const mem = await nodeMemory(net);
        say(`  ready in ${s.toFixed(2)} s; RSS MB ${mem.rss.join(" ")}`);
        return { nodes, mode, readySeconds: s, rssMb: mem.rss, pssMb: mem.pss, miners: miners ?? nodes };
      },
    );
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function measureBig(): Promise<ReadyResult> {
  const n = Number(values.big);
  const mode = values["big-mode"];
  const miners = values["big-miners"] === undefined ? undefined : Number(values["big-miners"]);
  if (mode === "in-process") return measureReady(n, "in-process", {}, miners);
  try {
    return await measureReady(n, "process", {}, miners);
  } catch (err) {
    if (mode === "process") throw err;
    const reason = describeError(err);
    say(`  ${n} processes failed (${reason.code}: ${reason.message.slice(0, 200)}); trying in-process`);
    return {
      ...(await measureReady(n, "in-process", {}, miners)),
      processFailure: `${reason.code}: ${reason.message}`,
    };
  }
}

interface LoadResult {
  report: LoadReport;
  rssMb: number[];
  peakRssMb: number[];
  pssMb: number[];
  idleCpuShare: number[];
  cpuShare: number[];
  /** CPU ms per included tx per node, above the node's idle (mining) baseline. */
  cpuMsPerTx: number[];
  loaderCpuShare: number;
  blocks: number;
  profile?: ProfileSummary;
}

/** Functions whose inclusive time the profile summary reports. */
const INCLUSIVE = [
  "dispatchRpcBody",
  "submitTx",
  "validateTx",
  "verify",
  "importBlock",
  "verifyBlockStateless",
  "executeBlock",
  "buildBlockTemplate",
  "publish",
  "handleReceivedMessage",
  "noiseOnMessageDecrypt",
  "noiseOnMessageEncrypt",
];

/** CPU cores each pid used over `ms` of wall time. */
async function cpuShareOver(pids: number[], ms: number): Promise<number[]> {
  const c0 = await Promise.all(pids.map(cpuSeconds));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const c1 = await Promise.all(pids.map(cpuSeconds));
  const wall = (performance.now() - t0) / 1000;
  return c1.map((c, i) => Math.round(((c - c0[i]!) / wall) * 100) / 100);
}

async function measureLoad(): Promise<LoadResult> {
  const accounts = Number(values.accounts);
  const profileDir = values.profile;
  const saved = process.env.NODE_OPTIONS;
  const extra = [values["node-options"], profileDir ? `--cpu-prof --cpu-prof-dir=${profileDir}` : undefined];
  if (extra.some(Boolean)) process.env.NODE_OPTIONS = [saved, ...extra].filter(Boolean).join(" ");
  // The build is one bundle: a profile of it could not tell our modules from npm's. A profiled
  // run's nodes run the sources (their RSS is then not the figure to quote).
  const savedBuild = process.env.CHAINLAB_NODE_BUILD;
  if (profileDir) {
    process.env.CHAINLAB_NODE_BUILD = "0";
    say("  profiling: the node processes run the TypeScript sources, so the profile names modules");
  }
  say(`load: 4 nodes (process), ${accounts} accounts, ${values.tps} tx/s for ${values.duration} s ...`);
  if (values["node-options"]) say(`  node processes run with NODE_OPTIONS ${values["node-options"]}`);
  const result = await withTestnet({ nodes: 4, accounts }, async (net) => {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
    if (savedBuild === undefined) delete process.env.CHAINLAB_NODE_BUILD;
    else process.env.CHAINLAB_NODE_BUILD = savedBuild;
    const pids = net.nodes.map((n) => n.pid!);
    const idleCpuShare = await cpuShareOver(pids, 3000);
    const loader0 = process.cpuUsage();
    const cpu0 = await Promise.all(pids.map(cpuSeconds));
    const h0 = (await net.status())[0]?.height ?? 0;
    const t0 = performance.now();
    const report = await runLoad(net, {
      tps: Number(values.tps),
      durationSeconds: Number(values.duration),
      onProgress: (p) => {
        if (Math.round(p.elapsed * 20) % 20 === 0)
          say(
            `  ${p.elapsed.toFixed(0)} s: submitted ${p.submitted} accepted ${p.accepted} included ${p.included}`,
          );
      },
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = await Promise.all(pids.map(cpuSeconds));
    const loader = process.cpuUsage(loader0);
    const mem = await nodeMemory(net);
    const h1 = (await net.status())[0]?.height ?? h0;
    return {
      report,
      rssMb: mem.rss,
      peakRssMb: mem.peak,
      pssMb: mem.pss,
      idleCpuShare,
      loaderCpuShare: Math.round(((loader.user + loader.system) / 1e6 / wall) * 100) / 100,
      cpuShare: cpu1.map((c, i) => Math.round(((c - cpu0[i]!) / wall) * 100) / 100),
      cpuMsPerTx: cpu1.map(
        (c, i) =>
          Math.round(((c - cpu0[i]! - idleCpuShare[i]! * wall) * 1e5) / Math.max(1, report.included)) / 100,
      ),
      blocks: h1 - h0,
    };
  });
  const file = profileDir ? await largestProfile(profileDir) : undefined;
  if (file) return { ...result, profile: await summarizeProfile(file, INCLUSIVE) };
  return result;
}

const loadAvgStart = loadavg()[0]!;
const ready4 = values["load-only"] || values["big-only"] ? undefined : await measureReady(4, "process");
const baseline4 =
  values["load-only"] || values["big-only"] || values["no-baseline"]
    ? undefined
    : await measureReady(4, "process", { CHAINLAB_NODE_BUILD: "0", CHAINLAB_NODE_V8_FLAGS: " " });
const big = values["skip-big"] || values["load-only"] ? undefined : await measureBig();
if (values["big-only"]) {
  if (values.json) process.stdout.write(`${JSON.stringify({ big }, null, 2)}\n`);
  else
    process.stdout.write(
      `ready, ${big!.nodes} nodes (${big!.mode}, ${big!.miners} mining): ${big!.readySeconds.toFixed(2)} s; RSS per node ${Math.min(...big!.rssMb)}-${Math.max(...big!.rssMb)} MB (PSS ${Math.min(...big!.pssMb)}-${Math.max(...big!.pssMb)} MB)\n`,
    );
  process.exit(0);
}
const load = await measureLoad();

const r = load.report;
const met = {
  readySeconds4: ready4 ? ready4.readySeconds < GOALS.readySeconds4 : undefined,
  readySeconds16:
    big && big.nodes === 16 && big.mode === "process" ? big.readySeconds < GOALS.readySeconds16 : undefined,
  idleRssMb: ready4 ? Math.max(...ready4.rssMb) <= GOALS.idleRssMb : undefined,
  loadRssMb: Math.max(...load.peakRssMb) <= GOALS.loadRssMb,
  includedTps: r.includedTps >= GOALS.includedTps,
  p95Ms: r.latencyMs.p95 !== null && r.latencyMs.p95 < GOALS.p95Ms,
};
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ goals: GOALS, met, loadAverage: [loadAvgStart, loadavg()[0]], ready4, baseline4, big, load }, null, 2)}\n`,
  );
} else {
  const ok = (b: boolean | undefined) => (b === undefined ? "-" : b ? "met" : "NOT met");
  const list = (xs: number[]) => xs.join(", ");
  const pct = (rows: ProfileRow[]) =>
    rows.map((t) => `  ${t.pct.toFixed(1).padStart(5)}%  ${String(t.ms).padStart(6)} ms  ${t.name}`);
  const lines = [
    "",
    `machine load average (1 min, ${cpus().length} cores): ${loadAvgStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`,
  ];
  if (ready4) {
    lines.push(
      `ready, 4 nodes (${ready4.mode}):    ${ready4.readySeconds.toFixed(2)} s   (goal < ${GOALS.readySeconds4} s: ${ok(met.readySeconds4)})`,
      `RSS per node after up:         ${list(ready4.rssMb)} MB (PSS ${list(ready4.pssMb)} MB)   (goal <= ${GOALS.idleRssMb} MB: ${ok(met.idleRssMb)})`,
    );
  }
  if (baseline4) {
    lines.push(
      `baseline (sources, V8 defaults): ready in ${baseline4.readySeconds.toFixed(2)} s; RSS ${list(baseline4.rssMb)} MB (PSS ${list(baseline4.pssMb)} MB)`,
    );
  }
  if (big) {
    lines.push(
      `ready, ${big.nodes} nodes (${big.mode}):  ${big.readySeconds.toFixed(2)} s${met.readySeconds16 === undefined ? "" : `   (goal < ${GOALS.readySeconds16} s: ${ok(met.readySeconds16)})`}${big.processFailure ? `   (processes failed: ${big.processFailure.slice(0, 120)})` : ""}`,
      `RSS per node after up (${big.nodes}):    ${Math.min(...big.rssMb)}-${Math.max(...big.rssMb)} MB (PSS ${Math.min(...big.pssMb)}-${Math.max(...big.pssMb)} MB)`,
    );
  }
  const rejected = Object.entries(r.rejected).map(([k, v]) => `${k}=${v}`);
  lines.push(
    `load (4 nodes, processes):     ${r.targetTps} tx/s for ${r.durationSeconds} s from ${values.accounts} accounts`,
    `  submitted / accepted:        ${r.submitted} / ${r.accepted}  (${r.submittedTps.toFixed(0)} tx/s submitted)`,
    `  included:                    ${r.included}  (${r.includedTps.toFixed(0)} tx/s; goal >= ${GOALS.includedTps}: ${ok(met.includedTps)})`,
    `  rejected:                    ${rejected.join(", ") || "none"}; pending at end ${r.pendingAtEnd}`,
    `  inclusion latency:           p50 ${r.latencyMs.p50 ?? "-"} ms, p95 ${r.latencyMs.p95 ?? "-"} ms   (goal p95 < ${GOALS.p95Ms} ms: ${ok(met.p95Ms)})`,
    `  blocks:                      ${load.blocks}`,
    `  node CPU (cores):            idle ${list(load.idleCpuShare)}; under load ${list(load.cpuShare)}; load generator ${load.loaderCpuShare}`,
    `  node CPU per included tx:    ${list(load.cpuMsPerTx)} ms (above idle)`,
    `  RSS per node:                ${list(load.rssMb)} MB (peak ${list(load.peakRssMb)} MB; PSS ${list(load.pssMb)} MB)   (goal <= ${GOALS.loadRssMb} MB: ${ok(met.loadRssMb)})`,
  );
  const prof = load.profile;
  if (prof) {
    lines.push(
      "",
      `profile ${prof.file}: busy ${prof.busyMs} ms of ${prof.totalMs} ms (shares below are of busy time)`,
      "self time by module:",
      ...pct(prof.byModule),
      "top functions by self time:",
      ...pct(prof.topSelf),
      "inclusive time:",
      ...pct(prof.inclusive),
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}
