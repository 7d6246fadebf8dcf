import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openAuditLog, readAuditLog } from "../../../src/rpc/index.ts";

describe("audit log", () => {
  let dir: string;
  const clock = { now: () => 1_750_000_000_000 };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "chainlab-audit-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("appends JSON lines with a time, creating the file with mode 0600", async () => {
    const path = join(dir, "audit.log");
    const log = openAuditLog(path, { clock });
    log.record({ event: "key_revoked", keyId: "k_000000000001" });
    log.record({ event: "auth_failure", reason: "AUTH_BAD_SIGNATURE", remote: "127.0.0.1" });
    await log.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(JSON.parse(lines[0]!)).toEqual({
      time: "2025-06-15T15:06:40.000Z",
      at: 1_750_000_000_000,
      event: "key_revoked",
      keyId: "k_000000000001",
    });
    const again = openAuditLog(path, { clock });
    again.record({ event: "key_revoked", keyId: "k_000000000002" });
    await again.close();
    expect((await readAuditLog(path)).entries.map((e) => e.event)).toEqual([
      "key_revoked",
      "auth_failure",
      "key_revoked",
    ]);
  });

  it("tightens the mode of an existing file", async () => {
    const path = join(dir, "audit.log");
    writeFileSync(path, "", { mode: 0o644 });
    await openAuditLog(path, { clock }).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("tolerates a torn last line, and terminates it before appending again", async () => {
    const path = join(dir, "audit.log");
    const log = openAuditLog(path, { clock });
    log.record({ event: "key_revoked", keyId: "k_000000000001" });
    await log.close();
    appendFileSync(path, '{"time":"2025-06-15T15:06:40.000Z","event":"key_cre');
    expect(await readAuditLog(path)).toMatchObject({ entries: [{ event: "key_revoked" }], skippedLines: 1 });
    const reopened = openAuditLog(path, { clock });
    reopened.record({ event: "key_revoked", keyId: "k_000000000003" });
    await reopened.close();
    const { entries, skippedLines } = await readAuditLog(path);
    expect(entries.map((e) => "keyId" in e && e.keyId)).toEqual(["k_000000000001", "k_000000000003"]);
    expect(skippedLines).toBe(1);
  });

  it("reads a missing log as empty", async () => {
    expect(await readAuditLog(join(dir, "none.log"))).toEqual({ entries: [], skippedLines: 0 });
  });
});

describe("audit log bounds", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "chainlab-audit-bounds-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("aggregates refusals per remote and reason within a window: counts, first and last seen", async () => {
    const clock = { t: 1_000_000, now: () => clock.t };
    const path = join(dir, "audit.log");
    const log = openAuditLog(path, { clock }, { aggregateWindowMs: 60_000 });
    for (let i = 0; i < 1000; i++) {
      clock.t = 1_000_000 + i;
      log.record({ event: "auth_failure", reason: "AUTH_MISSING_HEADERS", remote: "10.0.0.1" });
      log.record({ event: "auth_failure", reason: "AUTH_MISSING_HEADERS", remote: "10.0.0.2" });
    }
    log.record({ event: "key_revoked", keyId: "k_000000000001" });
    await log.flush();
    expect((await readAuditLog(path)).entries.map((e) => e.event)).toEqual([
      "auth_failure",
      "auth_failure",
      "key_revoked",
    ]);
    clock.t = 1_000_000 + 60_000;
    await log.flush();
    const summaries = (await readAuditLog(path)).entries.filter((e) => e.event === "refusals_aggregated");
    expect(summaries).toEqual([
      expect.objectContaining({
        remote: "10.0.0.1",
        reason: "AUTH_MISSING_HEADERS",
        count: 999,
        firstAt: 1_000_001,
        lastAt: 1_000_999,
      }),
      expect.objectContaining({ remote: "10.0.0.2", reason: "AUTH_MISSING_HEADERS", count: 999 }),
    ]);
    await log.close();
    expect(statSync(path).size).toBeLessThan(2000);
  });

  it("folds remotes past maxGroups into one group, so varying the address does not grow the log", async () => {
    const clock = { t: 0, now: () => clock.t };
    const path = join(dir, "audit.log");
    const log = openAuditLog(path, { clock }, { maxGroups: 3 });
    for (let i = 0; i < 500; i++)
      log.record({
        event: "auth_failure",
        reason: "AUTH_INVALID_CREDENTIALS",
        remote: `10.1.${i >> 8}.${i & 255}`,
      });
    await log.close();
    const { entries } = await readAuditLog(path);
    expect(entries.filter((e) => e.event === "auth_failure")).toHaveLength(4);
    expect(entries).toContainEqual(
      expect.objectContaining({ event: "refusals_aggregated", remote: "*", count: 496 }),
    );
  });

  it("rotates by size into a bounded number of files, and reads them back oldest first", async () => {
    const clock = { t: 0, now: () => clock.t };
    const path = join(dir, "audit.log");
    const log = openAuditLog(path, { clock }, { maxBytes: 1000, maxFiles: 2 });
    for (let i = 0; i < 100; i++) {
      log.record({ event: "key_revoked", keyId: `k_${String(i).padStart(12, "0")}` });
      await log.flush();
    }
    await log.close();
    expect(readdirSync(dir).sort()).toEqual(["audit.log", "audit.log.1", "audit.log.2"]);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(1000);
    const ids = (await readAuditLog(path)).entries.map((e) => ("keyId" in e ? e.keyId : ""));
    expect(ids.at(-1)).toBe("k_000000000099");
    expect(ids).toEqual([...ids].sort());
    expect(ids.length).toBeLessThan(100);
  });

  it("holds at most maxPendingBytes while the disk is busy and reports what it dropped", async () => {
    const clock = { t: 0, now: () => clock.t };
    const path = join(dir, "audit.log");
    const log = openAuditLog(path, { clock }, { maxPendingBytes: 2000 });
    for (let i = 0; i < 1000; i++)
      log.record({ event: "key_revoked", keyId: `k_${String(i).padStart(12, "0")}` });
    await log.close();
    const { entries } = await readAuditLog(path);
    const dropped = entries.find((e) => e.event === "audit_lines_dropped");
    expect(dropped).toBeDefined();
    const kept = entries.filter((e) => e.event === "key_revoked").length;
    expect(kept + (dropped as { count: number }).count).toBe(1000);
  });

  it("keeps only the last N entries when reading with a limit", async () => {
    const clock = { t: 0, now: () => clock.t };
    const path = join(dir, "audit.log");
    const log = openAuditLog(path, { clock });
    for (let i = 0; i < 50; i++)
      log.record({ event: "key_revoked", keyId: `k_${String(i).padStart(12, "0")}` });
    await log.close();
    const { entries } = await readAuditLog(path, { limit: 3 });
    expect(entries.map((e) => ("keyId" in e ? e.keyId : ""))).toEqual([
      "k_000000000047",
      "k_000000000048",
      "k_000000000049",
    ]);
  });
});
