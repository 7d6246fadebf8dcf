import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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
