/**
 * The compiled build testnet node processes run, made on demand. Running the TypeScript sources
 * makes every node process load Node's type stripper and strip every module at start-up (about
 * 30 MB of RSS and a third of the start-up CPU per process); a compiled build skips both.
 *
 * With esbuild installed (a devDependency) the build is one bundle of the node entry and its
 * dependencies, whitespace- and syntax-minified with names kept (stack traces stay readable; a
 * source map sits beside it for `--enable-source-maps`), plus one file per worker thread, all in
 * one folder so the workers' `new URL("./worker.js", import.meta.url)` finds them. One bundle
 * instead of ~270 modules saves a node about 7 MB of RSS (module sources, module records and the
 * code of never-called functions). Packages with native addons or their own worker threads
 * (classic-level, pino) stay external and load from node_modules. Without esbuild the build is
 * tsc's per-module output, as before.
 *
 * In a checkout the build lives in node_modules/.cache/chainlab-build, stamped with a hash of
 * every source file, the tsconfigs, the builder and the runtime version: a build whose stamp
 * differs from the sources is never used, it is rebuilt (under a second with esbuild, about 2 s
 * with the TypeScript 7 compiler), so a stale build cannot shadow the sources. It is written to a
 * temp dir and renamed into place, so concurrent testnets never see half a build. Without a
 * compiler (or if the build fails) the nodes run the sources. A packed install (no src/) runs its
 * dist/ build directly.
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
const ESBUILD = join(ROOT, "node_modules", "esbuild", "package.json");
/** The entries of a bundle, by the file name the code that starts them looks for. */
const BUNDLE_ENTRIES: Record<string, string> = {
  "node-entry": "src/cli/node-entry.ts",
  worker: "src/consensus/pow/miner/worker.ts",
  "verify-worker": "src/crypto/verify-worker.ts",
};
/** Loaded from node_modules at run time: native addons, and pino's transport worker. */
const BUNDLE_EXTERNAL = ["classic-level", "pino", "pino-pretty"];
/** CommonJS dependencies inside an ES bundle call require(): give them one. */
const BUNDLE_BANNER =
  'import { createRequire as __chainlabRequire } from "node:module"; const require = __chainlabRequire(import.meta.url);';

/** How a build is made: one esbuild bundle, or tsc's per-module output. */
type Builder = { kind: "bundle"; version: string } | { kind: "tsc" };

/** What the nodes will run: the entry file and whether it is compiled. */
export interface NodeEntryFile {
  file: string;
  compiled: boolean;
  /** Why the sources are run, when they are. */
  reason?: string;
  /**
   * Where the node processes keep V8's compiled code of the build (NODE_COMPILE_CACHE): a node
   * after the first skips compiling the bundle, about 0.1 s of CPU each, and its RSS is the same.
   */
  compileCache?: string;
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

async function chooseBuilder(): Promise<Builder | undefined> {
  if (existsSync(ESBUILD)) {
    const pkg = JSON.parse(await readFile(ESBUILD, "utf8")) as { version?: string };
    return { kind: "bundle", version: String(pkg.version) };
  }
  return existsSync(TSC) ? { kind: "tsc" } : undefined;
}

/** A hash of every source file, the tsconfigs, the builder and the runtime version. */
export async function sourceStamp(): Promise<string> {
  const builder = await chooseBuilder();
  const h = createHash("sha256")
    .update(process.version)
    .update(
      builder === undefined ? "none" : builder.kind === "bundle" ? `esbuild ${builder.version}` : "tsc",
    );
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

/** tsc's per-module build into `out`; the compiler's output when it fails. */
async function compile(out: string): Promise<string | undefined> {
  const args = [
    TSC,
    "-p",
    "tsconfig.build.json",
    "--outDir",
    out,
    "--declaration",
    "false",
    "--sourceMap",
    "false",
  ];
  const built = await run(process.execPath, args);
  return built.code === 0 ? undefined : built.output;
}

/**
 * The bundle into `out`: out/src/cli/{node-entry,worker,verify-worker}.js and a package.json that
 * names the package (the version reader looks two folders up) and marks the files as ES modules.
 */
async function bundle(out: string): Promise<string | undefined> {
  try {
    const esbuild = await import("esbuild");
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: Object.entries(BUNDLE_ENTRIES).map(([name, file]) => ({ in: file, out: name })),
      outdir: join(out, "src", "cli"),
      bundle: true,
      platform: "node",
      format: "esm",
      target: `node${process.versions.node.split(".")[0]}`,
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: true,
      external: BUNDLE_EXTERNAL,
      banner: { js: BUNDLE_BANNER },
      logLevel: "silent",
    });
    if (result.errors.length > 0) return result.errors[0]!.text;
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      name: string;
      version: string;
    };
    await writeFile(
      join(out, "package.json"),
      JSON.stringify({ name: pkg.name, version: pkg.version, type: "module" }),
    );
    return undefined;
  } catch (err) {
    const errors = (err as { errors?: { text: string }[] }).errors;
    return errors?.[0]?.text ?? (err instanceof Error ? err.message : String(err));
  }
}

/**
 * Builds into `out` with `kind`; a bundle that fails (say esbuild's platform binary was not
 * installed) falls back to tsc's per-module build when tsc is there. The first failure's text
 * when nothing could be built. `bundler` is for tests.
 */
export async function buildInto(
  out: string,
  kind: Builder["kind"],
  bundler: (out: string) => Promise<string | undefined> = bundle,
): Promise<string | undefined> {
  if (kind === "tsc") return compile(out);
  const failure = await bundler(out);
  if (failure === undefined || !existsSync(TSC)) return failure;
  await rm(out, { recursive: true, force: true });
  return (await compile(out)) === undefined ? undefined : failure;
}

/**
 * The node entry for testnet processes: an up-to-date compiled build (made now if missing or
 * stale), else the sources. `progress` hears about a build.
 */
export async function nodeEntryFile(progress: (m: string) => void = () => {}): Promise<NodeEntryFile> {
  if (SIBLING_ENTRY.endsWith(".js")) return { file: SIBLING_ENTRY, compiled: true };
  const sources = { file: SIBLING_ENTRY, compiled: false };
  if (process.env.CHAINLAB_NODE_BUILD === "0") return { ...sources, reason: "CHAINLAB_NODE_BUILD=0" };
  const builder = await chooseBuilder();
  if (builder === undefined) return { ...sources, reason: "neither esbuild nor tsc in node_modules" };
  const stamp = await sourceStamp();
  const dir = join(CACHE, stamp.slice(0, 16));
  const entry = join(dir, "src", "cli", "node-entry.js");
  if (existsSync(join(dir, "STAMP")) && (await readFile(join(dir, "STAMP"), "utf8")) === stamp) {
    return { file: entry, compiled: true, compileCache: join(dir, "compile-cache") };
  }
  progress("compiling the node build for the testnet's processes (once per source change) ...");
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(CACHE, { recursive: true });
  const failure = await buildInto(tmp, builder.kind);
  if (failure !== undefined) {
    await rm(tmp, { recursive: true, force: true });
    return { ...sources, reason: `the build failed: ${failure.trim().split("\n")[0] ?? ""}` };
  }
  await writeFile(join(tmp, "STAMP"), stamp);
  try {
    await rename(tmp, dir);
  } catch {
    // Another testnet finished the same build first: use that one.
    await rm(tmp, { recursive: true, force: true });
  }
  await removeOldBuilds(dir);
  return { file: entry, compiled: true, compileCache: join(dir, "compile-cache") };
}
