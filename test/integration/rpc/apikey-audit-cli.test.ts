/** `chainlab apikey audit` streams the audit log and its rotated files, as text or JSON. */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLogPath, openAuditLog } from "../../../src/rpc/index.ts";
import { runCli } from "../../e2e/helpers.ts";

describe("chainlab apikey audit", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "chainlab-audit-cli-"));
    const clock = { now: () => 1_750_000_000_000 };
    const log = openAuditLog(auditLogPath(dir), { clock }, { maxBytes: 600, maxFiles: 10 });
    for (let i = 0; i < 20; i++) {
      log.record({ event: "key_revoked", keyId: `k_${String(i).padStart(12, "0")}` });
      await log.flush();
    }
    await log.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints every entry of the rotated files in order as JSON", async () => {
    expect(readdirSync(dir).length).toBeGreaterThan(2);
    const r = await runCli(["apikey", "audit", "--data-dir", dir, "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { entries: Array<{ keyId: string }>; skippedLines: number };
    expect(out.entries.map((e) => e.keyId)).toEqual(
      Array.from({ length: 20 }, (_, i) => `k_${String(i).padStart(12, "0")}`),
    );
    expect(out.skippedLines).toBe(0);
  });

  it("prints only the last N as text with --limit", async () => {
    const r = await runCli(["apikey", "audit", "--data-dir", dir, "--limit", "2"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("k_000000000019");
  });
});
