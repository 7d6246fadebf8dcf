/**
 * A validator signing through the slashing-protection DB is SIGKILLed at seeded random points 36
 * times and restarted on the same DB; every message it ever sent (its log, written before a message
 * leaves) is then checked pairwise for a slashable pair: two blocks at one slot with different
 * roots, two votes for one target with different roots, or a surround vote. The same signer without
 * the DB is shown to produce such pairs, so the check can fail.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../helpers/fixtures.ts";
import { mulberry32 } from "../../helpers/prng.ts";

const SIGNER = fileURLToPath(new URL("./fixtures/protection-signer.ts", import.meta.url));
const KILLS = 36;
const SEED = 3076;

interface Sent {
  life: number;
  pubkey: string;
  kind: "block" | "attestation";
  slot?: number;
  source?: number;
  target?: number;
  signingRoot: string;
}

/** Every slashable pair among the sent messages, by an independent pairwise check. */
function slashablePairs(sent: Sent[]): [Sent, Sent][] {
  const pairs: [Sent, Sent][] = [];
  for (let i = 0; i < sent.length; i++) {
    for (let j = i + 1; j < sent.length; j++) {
      const a = sent[i]!;
      const b = sent[j]!;
      if (a.pubkey !== b.pubkey || a.kind !== b.kind || a.signingRoot === b.signingRoot) continue;
      const slashable =
        a.kind === "block"
          ? a.slot === b.slot
          : a.target === b.target ||
            (a.source! < b.source! && b.target! < a.target!) ||
            (b.source! < a.source! && a.target! < b.target!);
      if (slashable) pairs.push([a, b]);
    }
  }
  return pairs;
}

/** The complete lines of the log (a line cut by the kill was never sent). */
async function readSent(log: string): Promise<Sent[]> {
  const text = await readFile(log, "utf8").catch(() => "");
  return text
    .split("\n")
    .slice(0, -1)
    .map((l) => JSON.parse(l) as Sent);
}

/**
 * Runs one life of the signer. It is SIGKILLed once it has sent `killAfter` messages (the kill
 * lands wherever its loop is by then), or with `killAfter` 0 `delayMs` after it is ready (during
 * its first checks); "unsafe" runs it without protection until it exits.
 */
function runLife(
  dir: string,
  log: string,
  life: number,
  kill: { killAfter: number; delayMs: number } | "unsafe",
): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [SIGNER, dir, log, String(SEED), String(life), ...(kill === "unsafe" ? ["--unsafe"] : [])];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let killed = false;
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdout.on("data", (c: Buffer) => {
      if (kill === "unsafe" || killed) return;
      const text = c.toString();
      const sent = Math.max(0, ...[...text.matchAll(/sent (\d+)/g)].map((m) => Number(m[1])));
      if (kill.killAfter === 0 && text.includes("ready")) {
        killed = true;
        setTimeout(() => child.kill("SIGKILL"), kill.delayMs);
      } else if (kill.killAfter > 0 && sent >= kill.killAfter) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code, signal) => {
      clearTimeout(guard);
      if (kill === "unsafe" ? code === 0 : killed && signal === "SIGKILL" && stderr === "") resolve();
      else reject(new Error(`signer life ${life} exited with ${code ?? signal}: ${stderr.slice(0, 500)}`));
    });
  });
}

describe("slashing protection under kill -9", () => {
  it(`never lets a slashable pair out across ${KILLS} SIGKILLs and restarts`, {
    timeout: 120_000,
  }, async () => {
    const dir = await tempDir("chainlab-protection-kill-");
    try {
      const random = mulberry32(SEED);
      const log = join(dir.path, "sent.jsonl");
      let minimum = 0;
      for (let life = 0; life < KILLS; life++) {
        // One life in six dies within its first checks, the others after 1 to 40 messages.
        const killAfter = random() < 1 / 6 ? 0 : 1 + Math.floor(random() * 40);
        minimum += killAfter;
        await runLife(join(dir.path, "protection"), log, life, {
          killAfter,
          delayMs: Math.floor(random() * 30),
        });
      }
      const sent = await readSent(log);
      expect(sent.length).toBeGreaterThanOrEqual(minimum);
      expect(minimum).toBeGreaterThan(300);
      expect(sent.some((s) => s.kind === "block") && sent.some((s) => s.kind === "attestation")).toBe(true);
      expect(slashablePairs(sent)).toEqual([]);
    } finally {
      await dir.cleanup();
    }
  });

  it("the same signer without protection sends slashable pairs, which the check finds", {
    timeout: 60_000,
  }, async () => {
    const dir = await tempDir("chainlab-protection-kill-");
    try {
      const log = join(dir.path, "sent.jsonl");
      await runLife(join(dir.path, "protection"), log, 0, "unsafe");
      const sent = await readSent(log);
      expect(sent).toHaveLength(300);
      expect(slashablePairs(sent).length).toBeGreaterThan(0);
    } finally {
      await dir.cleanup();
    }
  });
});
