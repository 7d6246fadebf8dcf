import { afterEach, describe, expect, it } from "vitest";
import { type ApiKeyView, type CreatedApiKey, RpcClientError, readAuditLog } from "../../../src/rpc/index.ts";
import { type Harness, startHarness } from "./harness.ts";

const HOUR = 3_600_000;

describe("key rotation with an overlap window (fake clock)", () => {
  let h: Harness;
  afterEach(() => h.close());

  it("old key works until the overlap ends, then is refused and audited; the new key keeps working", async () => {
    h = await startHarness();
    const admin = h.client(h.admin.credential);
    const old = await admin.call<CreatedApiKey>("apikey_create", {
      scopes: ["read"],
      label: "service-a",
      ttlMs: 90 * 24 * HOUR,
    });
    const oldClient = h.client(old.credential);
    expect(await oldClient.call("test_echo", ["before"])).toMatchObject({ text: "before" });

    const rotated = await admin.call<CreatedApiKey & { previous: ApiKeyView }>("apikey_rotate", {
      id: old.id,
      overlapMs: 24 * HOUR,
    });
    expect(rotated.id).not.toBe(old.id);
    expect(rotated.key).toMatchObject({
      version: 2,
      label: "service-a",
      scopes: ["read"],
      rotatedFrom: old.id,
    });
    expect(rotated.previous).toMatchObject({
      rotatedTo: rotated.id,
      overlapUntil: h.clock.now() + 24 * HOUR,
      status: "active",
    });
    expect(rotated.key.expiresAt).toBe(h.clock.now() + 90 * 24 * HOUR);
    const newClient = h.client(rotated.credential);

    // Both keys work during the overlap; lastUsedAt shows who has moved.
    h.clock.t += 23 * HOUR;
    await oldClient.call("test_echo", ["during"]);
    await newClient.call("test_echo", ["during"]);
    const mid = await admin.call<ApiKeyView[]>("apikey_list");
    expect(mid.find((k) => k.id === old.id)).toMatchObject({
      lastUsedAt: h.clock.now(),
      useCount: 2,
      status: "active",
    });

    h.clock.t += HOUR - 1;
    await oldClient.call("test_echo", ["last ms"]);

    h.clock.t += 1;
    const err = await oldClient.call("test_echo", ["after"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcClientError);
    expect(err).toMatchObject({ code: "AUTH_KEY_EXPIRED", httpStatus: 401 });
    expect(await newClient.call("test_echo", ["after"])).toMatchObject({ text: "after" });

    const list = await admin.call<ApiKeyView[]>("apikey_list");
    expect(list.find((k) => k.id === old.id)?.status).toBe("expired");
    await h.audit.flush();
    const events = (await readAuditLog(h.audit.path)).entries.filter(
      (e) => "keyId" in e && e.keyId === old.id,
    );
    expect(events.map((e) => e.event)).toEqual([
      "key_created",
      "key_rotated",
      "key_expired",
      "expired_key_used",
    ]);
    expect(events[2]).toMatchObject({ cause: "overlap_ended", expiredAt: h.clock.now() });
  });

  it("refuses to rotate a key twice, or a revoked key", async () => {
    h = await startHarness();
    const k = await h.keys.create({ scopes: ["read"], label: "x" });
    await h.keys.rotate(k.id, { overlapMs: HOUR });
    await expect(h.keys.rotate(k.id, { overlapMs: HOUR })).rejects.toMatchObject({
      code: "APIKEY_ALREADY_ROTATED",
    });
    const r = await h.keys.create({ scopes: ["read"], label: "y" });
    await h.keys.revoke(r.id);
    await expect(h.keys.rotate(r.id, { overlapMs: HOUR })).rejects.toMatchObject({ code: "APIKEY_INACTIVE" });
    await expect(h.keys.revoke("k_ffffffffffff")).rejects.toMatchObject({ code: "APIKEY_NOT_FOUND" });
  });

  it("an overlap of 0 retires the old key at once", async () => {
    h = await startHarness();
    const k = await h.keys.create({ scopes: ["read"], label: "x" });
    const next = await h.keys.rotate(k.id, { overlapMs: 0 });
    await expect(h.client(k.credential).call("test_echo", ["x"])).rejects.toMatchObject({
      code: "AUTH_KEY_EXPIRED",
    });
    expect(await h.client(next.credential).call("test_echo", ["x"])).toMatchObject({ text: "x" });
  });

  it("validates apikey_* params over RPC", async () => {
    h = await startHarness();
    const admin = h.client(h.admin.credential);
    await expect(admin.call("apikey_create", { scopes: ["root"], label: "x" })).rejects.toMatchObject({
      rpcCode: -32602,
    });
    await expect(admin.call("apikey_create", { scopes: [], label: "x" })).rejects.toMatchObject({
      rpcCode: -32602,
    });
    await expect(admin.call("apikey_rotate", { id: "nope" })).rejects.toMatchObject({ rpcCode: -32602 });
    await expect(admin.call("apikey_revoke", { id: "k_ffffffffffff" })).rejects.toMatchObject({
      rpcCode: -32020,
      code: "APIKEY_NOT_FOUND",
    });
  });
});
