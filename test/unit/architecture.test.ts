/**
 * The layering rules of DESIGN.md §2, enforced by scanning every import in src/: imports point
 * down the layer list, chain/mempool/p2p/rpc see consensus only through consensus/engine.ts, and
 * core/ has no I/O.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Layer rank: a module may import only modules of a lower or equal rank (equal = same folder). */
const RANK: Record<string, number> = {
  cli: 10,
  experiments: 9,
  dashboard: 9,
  testnet: 8,
  node: 7,
  rpc: 6,
  p2p: 6,
  chain: 5,
  mempool: 5,
  consensus: 4,
  storage: 3,
  core: 1,
  crypto: 1,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"/g)) out.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*"([^"]+)"\s*\)/g)) out.push(m[1]!);
  return out;
}

const edges = files(SRC).flatMap((file) =>
  imports(file)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => ({
      from: relative(SRC, file),
      to: relative(SRC, resolve(dirname(file), spec)),
    })),
);
const top = (p: string) => p.split("/")[0]!;

describe("architecture", () => {
  it("finds the source tree", () => {
    expect(edges.length).toBeGreaterThan(100);
  });

  it("imports point down the layers", () => {
    const bad = edges.filter((e) => {
      const a = top(e.from);
      const b = top(e.to);
      if (a === b) return false;
      if (RANK[a] === undefined || RANK[b] === undefined) return true;
      // core and crypto share the bottom layer; no other folders of equal rank import each other.
      if (RANK[a] === RANK[b]) return RANK[a] !== 1;
      return RANK[b]! > RANK[a]!;
    });
    expect(bad).toEqual([]);
  });

  it("chain, mempool, p2p, rpc and storage use consensus only through engine.ts", () => {
    const bad = edges.filter(
      (e) =>
        ["chain", "mempool", "p2p", "rpc", "storage"].includes(top(e.from)) &&
        e.to.startsWith("consensus/") &&
        e.to !== "consensus/engine.ts",
    );
    expect(bad).toEqual([]);
  });

  it("only node/ picks an engine implementation (consensus/registry.ts)", () => {
    const bad = edges.filter(
      (e) =>
        e.to === "consensus/registry.ts" && !["node", "cli", "testnet", "experiments"].includes(top(e.from)),
    );
    expect(bad).toEqual([]);
  });

  it("engine implementations are reached only through consensus/registry.ts", () => {
    // The slashing-protection DB is a validator tool's API (EIP-3076 import/export from cli/), not an
    // engine; pos/audit.ts re-exports the wire formats and signing rules experiments re-verify votes with.
    const doors = [
      "consensus/engine.ts",
      "consensus/registry.ts",
      "consensus/pos/protection/index.ts",
      "consensus/pos/audit.ts",
    ];
    const bad = edges.filter(
      (e) => top(e.from) !== "consensus" && e.to.startsWith("consensus/") && !doors.includes(e.to),
    );
    expect(bad).toEqual([]);
  });

  it("nothing imports cli/", () => {
    expect(edges.filter((e) => top(e.to) === "cli" && top(e.from) !== "cli")).toEqual([]);
  });

  it("core/ does no I/O", () => {
    const io = /from\s+"node:(fs|fs\/promises|net|http|https|child_process|worker_threads)"|from\s+"level"/;
    const bad = files(join(SRC, "core")).filter((f) => io.test(readFileSync(f, "utf8")));
    expect(bad.map((f) => relative(SRC, f))).toEqual([]);
  });
});
