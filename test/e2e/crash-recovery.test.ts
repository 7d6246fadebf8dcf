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
import { mulberry32 } from "../helpers/prng.ts";

const CHILD = fileURLToPath(new URL("./fixtures/crash-child.ts", import.meta.url));
const KILLS = 50;

/**
 * Runs the child until it has imported its first block past its start, then kills it after a
 * random delay, while it goes on importing: on a loaded machine a delay counted from "ready" could
 * end before the first import, and the round would test nothing.
 */
function runAndKill(
  dataDir: string,
  delayMs: number,
  signal: NodeJS.Signals = "SIGKILL",
): Promise<{ lastReported: number }> {
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
        if (m?.[1] === "imported" && timer === undefined) {
          timer = setTimeout(() => child.kill(signal), delayMs);
        }
        nl = buffer.indexOf("\n");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code, how) => {
      if (signal === "SIGKILL" && how === "SIGKILL") resolve({ lastReported });
      else if (signal === "SIGTERM" && code === 0) resolve({ lastReported });
      else reject(new Error(`child exited with ${code ?? how}: ${stderr.slice(0, 500)}`));
    });
    setTimeout(() => child.kill("SIGKILL"), 20_000).unref();
  });
}

/** Reopens the data dir and checks the head, the recomputed state root and the supply invariant. */
async function verifyConsistent(dataDir: string, minHeight: number): Promise<number> {
  const actors = ["alice", "bob", "carol", "dave"].map(actor);
  const genesis = easyGenesis(actors);
  const params = parsePowParams(genesis.consensus.params);
  const allocTotal = Object.values(genesis.alloc).reduce((a, b) => a + b, 0n);
  const node = await ChainlabNode.open({ dataDir, genesis }, silentLogger());
  try {
    const head = node.chain.head();
    const height = head.header.height;
    expect(height).toBeGreaterThanOrEqual(minHeight);
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
    return height;
  } finally {
    await node.stop();
  }
}

describe("graceful shutdown", () => {
  it("SIGTERM during block import exits 0 and leaves a consistent database, 10 times", {
    timeout: 120_000,
  }, async () => {
    const dir = await tempDir("chainlab-sigterm-");
    const random = mulberry32(7);
    let previous = 0;
    try {
      for (let i = 0; i < 10; i++) {
        const { lastReported } = await runAndKill(dir.path, 30 + Math.floor(random() * 300), "SIGTERM");
        previous = await verifyConsistent(dir.path, Math.max(previous, lastReported));
      }
      // Every round imported at least one block before its signal, and kept it.
      expect(previous).toBeGreaterThanOrEqual(10);
    } finally {
      await dir.cleanup();
    }
  });
});

describe("crash recovery", () => {
  it(`reopens at a consistent head after ${KILLS} SIGKILLs during import`, { timeout: 240_000 }, async () => {
    const dir = await tempDir("chainlab-crash-");
    const random = mulberry32(20261128);
    let previous = 0;
    try {
      for (let i = 0; i < KILLS; i++) {
        const { lastReported } = await runAndKill(dir.path, 30 + Math.floor(random() * 300));
        // Every head the child announced was durable before it was announced; the head never goes back.
        previous = await verifyConsistent(dir.path, Math.max(previous, lastReported));
      }
      expect(previous).toBeGreaterThanOrEqual(KILLS);
      const node = await ChainlabNode.open(
        { dataDir: dir.path, genesis: easyGenesis(["alice", "bob", "carol", "dave"].map(actor)) },
        silentLogger(),
      );
      expect(node.chain.getAccount(actor("alice").addressBytes).nonce).toBeGreaterThan(0); // transfers were mined
      await node.stop();
    } finally {
      await dir.cleanup();
    }
  });
});
