/**
 * kill -9 at random points during block import, 50 times, on one data dir. After every kill the
 * data dir must reopen at a consistent head: the stored state recomputes to the head's state root,
 * the supply invariant holds, and the head never goes backwards.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { blockReward, parsePowParams } from "../../src/consensus/pow/params.ts";
import { decodeAccount } from "../../src/core/account.ts";
import { bytesEqual } from "../../src/core/hash.ts";
import { LtHash } from "../../src/core/lthash.ts";
import { silentLogger } from "../../src/node/logger.ts";
import { ChainlabNode } from "../../src/node/node.ts";
import { actor, easyGenesis, tempDir } from "../helpers/fixtures.ts";

const CHILD = fileURLToPath(new URL("./fixtures/crash-child.ts", import.meta.url));
const KILLS = 50;

/** A seeded PRNG (mulberry32) so the kill schedule is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the child until it has imported `minImports` blocks past its start, then SIGKILLs it after a random delay. */
function runAndKill(dataDir: string, delayMs: number): Promise<{ lastReported: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    let lastReported = -1;
    let buffer = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const m = /^(ready|imported) (\d+)$/.exec(line);
        if (m) lastReported = Number(m[2]);
        if (m?.[1] === "ready" && timer === undefined) {
          timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
        }
        nl = buffer.indexOf("\n");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve({ lastReported });
      else reject(new Error(`child exited with ${code}: ${stderr.slice(0, 500)}`));
    });
    setTimeout(() => child.kill("SIGKILL"), 20_000).unref();
  });
}

describe("crash recovery", () => {
  it(`reopens at a consistent head after ${KILLS} SIGKILLs during import`, { timeout: 240_000 }, async () => {
    const dir = await tempDir("chainlab-crash-");
    const actors = ["alice", "bob", "carol", "dave"].map(actor);
    const genesis = easyGenesis(actors);
    const params = parsePowParams(genesis.consensus.params);
    const allocTotal = Object.values(genesis.alloc).reduce((a, b) => a + b, 0n);
    const random = prng(20261128);
    let previousHeight = 0;
    try {
      for (let i = 0; i < KILLS; i++) {
        const { lastReported } = await runAndKill(dir.path, 30 + Math.floor(random() * 300));
        const node = await ChainlabNode.open({ dataDir: dir.path, genesis }, silentLogger());
        try {
          const head = node.chain.head();
          const height = head.header.height;
          // Every head change the child announced was durable before it was announced.
          expect(height).toBeGreaterThanOrEqual(lastReported);
          expect(height).toBeGreaterThanOrEqual(previousHeight);
          previousHeight = height;
          // Recompute the commitment from every stored state entry, not from the stored accumulator.
          const acc = new LtHash();
          let supply = 0n;
          for await (const { key, value } of node.chain.store.state()) {
            acc.add(key, value);
            if (key[0] === 0x01) supply += decodeAccount(value).balance;
          }
          expect(bytesEqual(acc.root(), head.header.stateRoot)).toBe(true);
          let minted = 0n;
          for (let h = 1; h <= height; h++) minted += blockReward(params, h);
          expect(supply).toBe(allocTotal + minted);
          if (i === KILLS - 1)
            expect(node.chain.getAccount(actors[0]!.addressBytes).nonce).toBeGreaterThan(0);
        } finally {
          await node.stop();
        }
      }
      expect(previousHeight).toBeGreaterThan(KILLS);
    } finally {
      await dir.cleanup();
    }
  });
});
