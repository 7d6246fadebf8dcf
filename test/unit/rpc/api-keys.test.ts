import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ApiKeyRecord,
  type AuditLog,
  auditLogPath,
  type JsonSublevel,
  loadOrCreateMasterKey,
  openApiKeyStore,
  openAuditLog,
  readAuditLog,
} from "../../../src/rpc/index.ts";

describe("API key store", () => {
  let dir: string;
  let db: Level<string, string>;
  let sub: JsonSublevel<ApiKeyRecord>;
  let audit: AuditLog;
  const clock = {
    t: 1_000_000,
    now() {
      return this.t;
    },
  };
  const open = (masterKey = loadOrCreateMasterKey(dir), usageFlushMs = 20) =>
    openApiKeyStore({ db: sub, masterKey, clock, audit, logger: pino({ level: "silent" }), usageFlushMs });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "chainlab-keys-"));
    db = new Level<string, string>(join(dir, "db"));
    sub = db.sublevel<string, ApiKeyRecord>("rpc-keys", { valueEncoding: "json" });
    audit = openAuditLog(auditLogPath(dir), { clock });
  });
  afterEach(async () => {
    await audit.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows exactly the metadata fields: never the salt, the sealed secret or internal markers", async () => {
    const store = await open();
    const k = await store.create({ scopes: "read", label: "view" });
    expect(Object.keys(store.get(k.id)!).sort()).toEqual(
      [
        "createdAt",
        "expiresAt",
        "fingerprint",
        "id",
        "label",
        "lastUsedAt",
        "overlapUntil",
        "revokedAt",
        "rotatedFrom",
        "rotatedTo",
        "scopes",
        "status",
        "useCount",
        "version",
      ].sort(),
    );
    await store.close();
  });

  it("creates keys with CSPRNG secrets shown once and metadata in canonical form", async () => {
    const store = await open();
    const k = await store.create({ scopes: "submit,read", label: "wallet", ttlMs: 1000 });
    expect(k.id).toMatch(/^k_[0-9a-f]{12}$/);
    expect(k.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(k.credential).toBe(`${k.id}:${k.secret}`);
    expect(k.key).toMatchObject({
      scopes: ["read", "submit"],
      version: 1,
      createdAt: clock.t,
      expiresAt: clock.t + 1000,
    });
    expect(JSON.stringify(store.list())).not.toContain(k.secret);
    expect(JSON.stringify(await sub.get(k.id))).not.toContain(k.secret);
    expect(store.lookup(k.id)?.secret?.toString("hex")).toBe(k.secret);
    await store.close();
  });

  it.each([
    [{ scopes: [], label: "x" }, "APIKEY_BAD_SCOPES"],
    [{ scopes: ["root"], label: "x" }, "APIKEY_BAD_SCOPES"],
    [{ scopes: ["read"], label: "" }, "APIKEY_BAD_LABEL"],
    [{ scopes: ["read"], label: "a\nb" }, "APIKEY_BAD_LABEL"],
    [{ scopes: ["read"], label: "x", ttlMs: 0 }, "APIKEY_BAD_TTL"],
    [{ scopes: ["read"], label: "x", ttlMs: 1.5 }, "APIKEY_BAD_TTL"],
  ])("refuses %j with %s", async (opts, code) => {
    const store = await open();
    await expect(store.create(opts as never)).rejects.toMatchObject({ code });
    expect(store.size).toBe(0);
    await store.close();
  });

  it("batches usage writes: many uses, one DB batch after the flush interval", async () => {
    const store = await open();
    const k = await store.create({ scopes: ["read"], label: "busy" });
    const batch = vi.spyOn(sub, "batch");
    for (let i = 0; i < 50; i++) store.markUsed(k.id);
    expect((await sub.get(k.id))?.useCount).toBe(0);
    await vi.waitFor(async () => expect((await sub.get(k.id))?.useCount).toBe(50), { timeout: 2000 });
    expect(batch).toHaveBeenCalledTimes(1);
    await store.close();
  });

  it("never lets a usage flush overwrite a revocation", async () => {
    const store = await open(undefined, 60_000);
    const k = await store.create({ scopes: ["read"], label: "x" });
    store.markUsed(k.id);
    const revoking = store.revoke(k.id);
    store.markUsed(k.id);
    await revoking;
    await store.flush();
    const stored = await sub.get(k.id);
    expect(stored).toMatchObject({ revokedAt: clock.t, useCount: 2 });
    await store.close();
  });

  it("audits key_expired exactly once, when the expiry is first observed", async () => {
    const store = await open();
    const k = await store.create({ scopes: ["read"], label: "ttl", ttlMs: 500 });
    clock.t += 499;
    expect(store.get(k.id)?.status).toBe("active");
    clock.t += 1;
    expect(store.list().find((x) => x.id === k.id)?.status).toBe("expired");
    store.list();
    store.lookup(k.id);
    await store.close();
    await audit.flush();
    const expired = (await readAuditLog(audit.path)).entries.filter((e) => e.event === "key_expired");
    expect(expired).toEqual([expect.objectContaining({ keyId: k.id, cause: "ttl", expiredAt: clock.t })]);
    expect((await sub.get(k.id))?.expiredObservedAt).toBe(clock.t);
  });

  it("a rotated key inherits the TTL length and the old key's expiry is the earlier of TTL and overlap", async () => {
    const store = await open();
    const k = await store.create({ scopes: ["read"], label: "r", ttlMs: 10_000 });
    clock.t += 9_000;
    const next = await store.rotate(k.id, { overlapMs: 5_000 });
    expect(next.key.expiresAt).toBe(clock.t + 10_000);
    clock.t += 1_000;
    expect(store.lookup(k.id)?.status).toEqual({ state: "expired", at: clock.t, cause: "ttl" });
    await store.close();
  });

  it("cannot open a secret with another master key", async () => {
    const store = await open();
    const k = await store.create({ scopes: ["read"], label: "x" });
    await store.close();
    const other = await open(randomBytes(32));
    expect(() => other.lookup(k.id)).toThrow(expect.objectContaining({ code: "APIKEY_DECRYPT_FAILED" }));
    await other.close();
  });

  it("never decrypts a revoked key's secret again, not even after a restart", async () => {
    const store = await open();
    const k = await store.create({ scopes: ["read"], label: "gone" });
    await store.revoke(k.id);
    expect(store.lookup(k.id)).toMatchObject({ status: { state: "revoked" } });
    expect(store.lookup(k.id)?.secret).toBeUndefined();
    await store.close();
    // With a master key that cannot open it, a lookup that tried to decrypt would throw.
    const reopened = await open(randomBytes(32));
    expect(reopened.lookup(k.id)).toMatchObject({ status: { state: "revoked" } });
    expect(reopened.lookup(k.id)?.secret).toBeUndefined();
    await reopened.close();
  });
});
