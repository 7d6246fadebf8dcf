/**
 * The compiled build testnet node processes run, made on demand. Running the TypeScript sources
 * makes every node process load Node's type stripper and strip every module at start-up (about
 * 30 MB of RSS and a third of the start-up CPU per process); a compiled build skips both.
 *
 * In a checkout the build lives in node_modules/.cache/chainlab-build, stamped with a hash of
 * every source file, the tsconfigs and the runtime version: a build whose stamp differs from the
 * sources is never used, it is rebuilt (about 2 s with the TypeScript 7 compiler), so a stale
 * build cannot shadow the sources. It is written to a temp dir and renamed into place, so
 * concurrent testnets never see half a build. Without a compiler (or if the build fails) the
 * nodes run the sources, as before. A packed install (no src/) runs its dist/ build directly.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));
/** The node entry next to this module (sources in a checkout, dist/ in a packed install). */
const SIBLING_ENTRY = fileURLToPath(
  new URL(import.meta.url.endsWith(".js") ? "../cli/node-entry.js" : "../cli/node-entry.ts", import.meta.url),
);
const ROOT = join(HERE, "..", "..");
const CACHE = join(ROOT, "node_modules", ".cache", "chainlab-build");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** What the nodes will run: the entry file and whether it is compiled. */
export interface NodeEntryFile {
  file: string;
  compiled: boolean;
  /** Why the sources are run, when they are. */
  reason?: string;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out.sort();
}

/** A hash of every source file, the tsconfigs and the runtime version. */
export async function sourceStamp(): Promise<string> {
  const h = createHash("sha256").update(process.version);
  const files = [
    ...(await sourceFiles(join(ROOT, "src"))),
    join(ROOT, "tsconfig.json"),
    join(ROOT, "tsconfig.build.json"),
  ];
  for (const f of files)
    h.update(f.slice(ROOT.length))
      .update("\0")
      .update(await readFile(f))
      .update("\0");
  return h.digest("hex");
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", (err) => resolve({ code: -1, output: err.message }));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

/** Builds of other source versions untouched for a day go (a running testnet may still use one). */
async function removeOldBuilds(keep: string): Promise<void> {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of await readdir(CACHE)) {
    const p = join(CACHE, name);
    if (p === keep) continue;
    const s = await stat(p).catch(() => undefined);
    if (s !== undefined && s.mtimeMs < dayAgo) await rm(p, { recursive: true, force: true });
  }
}

/**
 * The node entry for testnet processes: an up-to-date compiled build (made now if missing or
 * stale), else the sources. `progress` hears about a build.
 */
export async function nodeEntryFile(progress: (m: string) => void = () => {}): Promise<NodeEntryFile> {
  if (SIBLING_ENTRY.endsWith(".js")) return { file: SIBLING_ENTRY, compiled: true };
  const sources = { file: SIBLING_ENTRY, compiled: false };
  if (process.env.CHAINLAB_NODE_BUILD === "0") return { ...sources, reason: "CHAINLAB_NODE_BUILD=0" };
  if (!existsSync(TSC)) return { ...sources, reason: "no TypeScript compiler in node_modules" };
  const stamp = await sourceStamp();
  const dir = join(CACHE, stamp.slice(0, 16));
  const entry = join(dir, "src", "cli", "node-entry.js");
  if (existsSync(join(dir, "STAMP")) && (await readFile(join(dir, "STAMP"), "utf8")) === stamp) {
    return { file: entry, compiled: true };
  }
  progress("compiling the node build for the testnet's processes (once per source change) ...");
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(CACHE, { recursive: true });
  const args = [TSC, "-p", "tsconfig.build.json", "--outDir", tmp, "--declaration", "false"];
  const built = await run(process.execPath, [...args, "--sourceMap", "false"]);
  if (built.code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    return { ...sources, reason: `the build failed: ${built.output.trim().split("\n")[0] ?? ""}` };
  }
  await writeFile(join(tmp, "STAMP"), stamp);
  try {
    await rename(tmp, dir);
  } catch {
    // Another testnet finished the same build first: use that one.
    await rm(tmp, { recursive: true, force: true });
  }
  await removeOldBuilds(dir);
  return { file: entry, compiled: true };
}
