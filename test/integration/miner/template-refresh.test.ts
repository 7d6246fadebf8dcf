/**
 * The miner refreshes its template within 50 ms of a new head: while node A mines, blocks mined by
 * node B keep arriving and moving A's head; no seal A finds on an old head may complete later than
 * 50 ms after the head moved. Also: every block A mines validates on B.
 */
import { afterAll, describe, expect, it } from "vitest";
import { targetForHashes, targetToCompact } from "../../../src/consensus/pow/difficulty.ts";
import { createPoolSealer } from "../../../src/consensus/pow/miner/pool-sealer.ts";
import type { Sealer } from "../../../src/consensus/pow/sealer.ts";
import { decodeHeader } from "../../../src/core/block.ts";
import { type Genesis, genesisToJson, parseGenesis } from "../../../src/core/genesis.ts";
import { toHex } from "../../../src/core/hash.ts";
import { silentLogger } from "../../../src/node/logger.ts";
import { ChainlabNode } from "../../../src/node/node.ts";
import { actor, easyGenesis, tempDir } from "../../helpers/fixtures.ts";

const REFRESH_DEADLINE_MS = 50;

function moderateGenesis(): Genesis {
  const g = genesisToJson(easyGenesis([actor("alice")], { blockTimeMs: 150 }));
  const params = (g.consensus as { params: Record<string, unknown> }).params;
  params.initialBits = `0x${targetToCompact(targetForHashes(150_000)).toString(16).padStart(8, "0")}`;
  g.timestamp = Date.now(); // on schedule from the start, so ASERT keeps this difficulty
  return parseGenesis(g);
}

interface SealRecord {
  parent: string;
  resolvedAt: number;
  found: boolean;
}

describe("PoW template refresh", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("abandons a stale template within 50 ms of a new head, and its blocks validate elsewhere", {
    timeout: 60_000,
  }, async () => {
    const genesis = moderateGenesis();
    const seals: SealRecord[] = [];
    const recording = (): Sealer => {
      const inner = createPoolSealer({ threads: 1, hashrate: 1_000_000 });
      return {
        async seal(header, target, signal) {
          const parent = toHex(decodeHeader(header).parentHash);
          const out = await inner.seal(header, target, signal);
          seals.push({ parent, resolvedAt: performance.now(), found: out !== null });
          return out;
        },
        hashrate: () => inner.hashrate(),
        close: () => inner.close(),
      };
    };
    const dirA = await tempDir();
    const dirB = await tempDir();
    cleanups.push(dirA.cleanup, dirB.cleanup);
    const a = await ChainlabNode.open(
      {
        dataDir: dirA.path,
        genesis,
        produce: { beneficiary: actor("minerA").addressBytes },
        engine: { pow: { createSealer: recording } },
      },
      silentLogger(),
    );
    const b = await ChainlabNode.open(
      {
        dataDir: dirB.path,
        genesis,
        produce: { beneficiary: actor("minerB").addressBytes, engine: { threads: 1, hashrate: 1_000_000 } },
      },
      silentLogger(),
    );
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );

    const headChanges: { at: number; head: string }[] = [];
    a.chain.onHeadChange((c) => headChanges.push({ at: performance.now(), head: toHex(c.head.hash) }));
    // Blocks flow both ways, like two peers: B's blocks move A's head while A is mining.
    const mirrored = new Set<string>();
    b.onBlockImported((block, r) => {
      if (!mirrored.has(toHex(r.hash))) {
        mirrored.add(toHex(r.hash));
        void a.importBlock(block, { kind: "gossip" }).catch(() => {});
      }
    });
    const bErrors: unknown[] = [];
    a.onBlockImported((block, r) => {
      if (!mirrored.has(toHex(r.hash))) {
        mirrored.add(toHex(r.hash));
        void b.importBlock(block, { kind: "gossip" }).catch((err: unknown) => bErrors.push(err));
      }
    });
    a.startProducing();
    b.startProducing();
    await new Promise<void>((resolve) => {
      const stop = a.chain.onHeadChange((c) => {
        if (c.head.header.height >= 20) {
          stop();
          resolve();
        }
      });
    });
    await a.stopProducing();
    await b.stopProducing();

    // For each found seal, the head in force REFRESH_DEADLINE_MS before it resolved must be its parent
    // (or the head moved less than the deadline ago).
    const genesisHex = toHex(a.chain.tree.genesis().hash);
    const headAt = (t: number) => [...headChanges].reverse().find((h) => h.at <= t)?.head ?? genesisHex;
    const stale = seals.filter(
      (s) =>
        s.found &&
        headAt(s.resolvedAt - REFRESH_DEADLINE_MS) !== s.parent &&
        headAt(s.resolvedAt) !== s.parent,
    );
    expect(headChanges.length).toBeGreaterThanOrEqual(20);
    expect(seals.filter((s) => s.found).length).toBeGreaterThan(0);
    expect(seals.some((s) => !s.found)).toBe(true); // some searches were preempted by a new head
    expect(stale).toEqual([]);
    expect(bErrors).toEqual([]);
  });
});
