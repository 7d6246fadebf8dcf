import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  type ApiKeyRecord,
  auditLogPath,
  ensureAdminKey,
  loadOrCreateMasterKey,
  openApiKeyStore,
  openAuditLog,
} from "../../../src/rpc/index.ts";
import { fakeClock, startHarness } from "./harness.ts";

describe("keys survive a restart", () => {
  it("keeps keys, revocations, rotations and usage across closing and reopening the DB", async () => {
    const clock = fakeClock();
    const h1 = await startHarness({}, { clock });
    const kept = await h1.keys.create({ scopes: ["read"], label: "kept" });
    const revoked = await h1.keys.create({ scopes: ["read"], label: "revoked" });
    const rotated = await h1.keys.create({ scopes: ["read"], label: "rotated" });
    await h1.client(kept.credential).call("test_echo", ["x"]);
    await h1.client(h1.admin.credential).call("apikey_revoke", { id: revoked.id });
    const next = await h1.keys.rotate(rotated.id, { overlapMs: 60_000 });
    await h1.stop();

    const h2 = await startHarness({}, { dir: h1.dir, clock });
    try {
      expect(await h2.client(kept.credential).call("test_echo", ["again"])).toMatchObject({ text: "again" });
      await expect(h2.client(revoked.credential).call("test_echo", ["x"])).rejects.toMatchObject({
        code: "AUTH_KEY_REVOKED",
      });
      expect(await h2.client(rotated.credential).call("test_echo", ["x"])).toMatchObject({ text: "x" });
      expect(await h2.client(next.credential).call("test_echo", ["x"])).toMatchObject({ text: "x" });
      clock.t += 60_000;
      await expect(h2.client(rotated.credential).call("test_echo", ["x"])).rejects.toMatchObject({
        code: "AUTH_KEY_EXPIRED",
      });
      await h2.keys.flush();
      expect(h2.keys.get(kept.id)).toMatchObject({ useCount: 2, label: "kept" });
      expect(h2.keys.get(h1.admin.id)?.scopes).toEqual(["admin"]);
    } finally {
      await h2.close();
    }
  });

  it("stores no secret in LevelDB, only a sealed form", async () => {
    const h = await startHarness();
    const k = await h.keys.create({ scopes: ["read"], label: "sealed" });
    await h.stop();
    const db = new Level<string, string>(join(h.dir, "db"));
    const raw: string[] = [];
    for await (const [key, value] of db.iterator()) raw.push(key + value);
    await db.close();
    const dump = raw.join("\n");
    expect(dump).toContain(k.id);
    expect(dump).not.toContain(k.secret);
    expect(dump).not.toContain(h.admin.secret);
    await h.close();
  });

  it("writes admin.key (mode 0600, ID:SECRET) on first start only, and the key works", async () => {
    const dir = mkdtempSync(join(tmpdir(), "chainlab-admin-"));
    const db = new Level<string, string>(join(dir, "db"));
    const clock = fakeClock();
    const audit = openAuditLog(auditLogPath(dir), { clock });
    const open = () =>
      openApiKeyStore({
        db: db.sublevel<string, ApiKeyRecord>("rpc-keys", { valueEncoding: "json" }),
        masterKey: loadOrCreateMasterKey(dir),
        clock,
        audit,
        logger: pino({ level: "silent" }),
      });
    const store = await open();
    const first = await ensureAdminKey(store, dir);
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(dir, "admin.key"));
    const content = readFileSync(first.path!, "utf8");
    expect(content).toMatch(/^k_[0-9a-f]{12}:[0-9a-f]{64}$/);
    expect(statSync(first.path!).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "rpc-master.key")).mode & 0o777).toBe(0o600);
    expect(statSync(audit.path).mode & 0o777).toBe(0o600);
    const again = await ensureAdminKey(store, dir);
    expect(again).toEqual({ path: first.path, created: false });
    expect(readFileSync(first.path!, "utf8")).toBe(content);
    const id = content.split(":")[0]!;
    expect(store.lookup(id)?.secret?.toString("hex")).toBe(content.split(":")[1]);
    expect(store.get(id)?.scopes).toEqual(["admin"]);
    await store.close();
    await audit.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
