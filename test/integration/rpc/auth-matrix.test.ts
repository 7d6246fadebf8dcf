import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AuditEntry, readAuditLog, signedHeaders } from "../../../src/rpc/index.ts";
import { type Harness, rawRequest, rpcBody, startHarness } from "./harness.ts";

type RpcErr = { error: { code: number; data: { code: string; reason: string } } };

describe("RPC auth matrix", () => {
  let h: Harness;
  let reader: { id: string; secret: string };
  beforeEach(async () => {
    h = await startHarness({ rateLimit: { ratePerSecond: 5, burst: 5 } });
    const k = await h.keys.create({ scopes: ["read"], label: "reader" });
    reader = { id: k.id, secret: k.secret };
  });
  afterEach(() => h.close());

  const call = (
    cred: { id: string; secret: string } | undefined,
    extra: Parameters<typeof rawRequest>[2] | object = {},
  ) =>
    rawRequest(h.url, cred, {
      body: rpcBody("test_echo", { text: "hi" }),
      timestamp: h.clock.now(),
      ...extra,
    });
  const auditEntries = async (): Promise<AuditEntry[]> => {
    await h.audit.flush();
    return (await readAuditLog(h.audit.path)).entries;
  };
  const expectRefused = async (
    res: Awaited<ReturnType<typeof rawRequest>>,
    status: number,
    code: string,
    rpcCode: number,
    auditReason = code,
  ) => {
    expect(res.status).toBe(status);
    const err = res.json as RpcErr;
    expect(err.error.code).toBe(rpcCode);
    expect(err.error.data.code).toBe(code);
    const last = (await auditEntries()).at(-1);
    expect(last).toBeDefined();
    expect(JSON.stringify(last)).toContain(
      code === "AUTH_KEY_REVOKED" || code === "AUTH_KEY_EXPIRED" ? "key_used" : auditReason,
    );
  };

  it("accepts a correctly signed request and counts the use", async () => {
    const res = await call(reader);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      jsonrpc: "2.0",
      id: 1,
      result: { text: "hi", n: null, big: (2n ** 70n).toString() },
    });
    await h.keys.flush();
    expect(h.keys.get(reader.id)).toMatchObject({ useCount: 1, lastUsedAt: h.clock.now() });
  });

  it.each(["X-Chainlab-Key", "X-Chainlab-Timestamp", "X-Chainlab-Nonce", "X-Chainlab-Signature"])(
    "refuses a request without %s (401)",
    async (header) => {
      await expectRefused(await call(reader, { omit: [header] }), 401, "AUTH_MISSING_HEADERS", -32001);
    },
  );

  it("refuses malformed headers (short nonce, non-numeric timestamp)", async () => {
    await expectRefused(await call(reader, { nonce: "abcd" }), 401, "AUTH_MALFORMED_HEADERS", -32001);
    await expectRefused(
      await call(reader, { headers: { "X-Chainlab-Timestamp": "soon" } }),
      401,
      "AUTH_MALFORMED_HEADERS",
      -32001,
    );
  });

  it("refuses a bad signature, and a body changed after signing (generic code, real reason audited)", async () => {
    await expectRefused(
      await call(reader, { headers: { "X-Chainlab-Signature": "0".repeat(64) } }),
      401,
      "AUTH_INVALID_CREDENTIALS",
      -32001,
      "AUTH_BAD_SIGNATURE",
    );
    const wrongSecret = { id: reader.id, secret: "ab".repeat(32) };
    await expectRefused(
      await call(wrongSecret),
      401,
      "AUTH_INVALID_CREDENTIALS",
      -32001,
      "AUTH_BAD_SIGNATURE",
    );
  });

  it("refuses an unknown key with the same code, message and data shape as a wrong secret", async () => {
    const unknown = await call({ id: "k_000000000000", secret: reader.secret });
    await expectRefused(unknown, 401, "AUTH_INVALID_CREDENTIALS", -32001, "AUTH_UNKNOWN_KEY");
    const wrong = await call({ id: reader.id, secret: "ab".repeat(32) });
    const shape = (r: typeof wrong) => {
      const { keyId: _k, ...rest } = (r.json as { error: { data: Record<string, unknown> } }).error.data;
      return { status: r.status, rest, message: (r.json as { error: { message: string } }).error.message };
    };
    expect(shape(unknown)).toEqual(shape(wrong));
  });

  it("refuses stale and future timestamps at the window edge", async () => {
    const now = h.clock.now();
    expect((await call(reader, { timestamp: now - 30_000 })).status).toBe(200);
    expect((await call(reader, { timestamp: now + 30_000 })).status).toBe(200);
    await expectRefused(await call(reader, { timestamp: now - 30_001 }), 401, "AUTH_STALE_TIMESTAMP", -32001);
    await expectRefused(
      await call(reader, { timestamp: now + 30_001 }),
      401,
      "AUTH_FUTURE_TIMESTAMP",
      -32001,
    );
  });

  it("refuses a byte-identical replay, and still refuses it until the window closes", async () => {
    const nonce = "1f".repeat(16);
    const first = await call(reader, { nonce });
    expect(first.status).toBe(200);
    await expectRefused(await call(reader, { nonce }), 401, "AUTH_REPLAYED_NONCE", -32001);
    h.clock.t += 29_000;
    await expectRefused(
      await call(reader, { nonce, timestamp: h.clock.t - 29_000 }),
      401,
      "AUTH_REPLAYED_NONCE",
      -32001,
    );
    h.clock.t += 2_000;
    await expectRefused(
      await call(reader, { nonce, timestamp: h.clock.t - 31_000 }),
      401,
      "AUTH_STALE_TIMESTAMP",
      -32001,
    );
  });

  it("refuses a revoked key at once, with a revoked_key_used audit entry", async () => {
    expect((await call(reader)).status).toBe(200);
    await h.client(h.admin.credential).call("apikey_revoke", { id: reader.id });
    await expectRefused(await call(reader), 401, "AUTH_KEY_REVOKED", -32001);
    expect((await auditEntries()).some((e) => e.event === "revoked_key_used" && e.keyId === reader.id)).toBe(
      true,
    );
  });

  it("refuses an expired key, auditing key_expired once and expired_key_used once per window, repeats counted", async () => {
    const k = await h.keys.create({ scopes: ["read"], label: "short", ttlMs: 60_000 });
    const cred = { id: k.id, secret: k.secret };
    expect((await call(cred)).status).toBe(200);
    h.clock.t += 60_000;
    await expectRefused(await call(cred), 401, "AUTH_KEY_EXPIRED", -32001);
    await expectRefused(await call(cred), 401, "AUTH_KEY_EXPIRED", -32001);
    const entries = await auditEntries();
    expect(entries.filter((e) => e.event === "key_expired" && e.keyId === k.id)).toHaveLength(1);
    expect(entries.filter((e) => e.event === "expired_key_used" && e.keyId === k.id)).toHaveLength(1);
    h.clock.t += 60_000;
    expect(await auditEntries()).toContainEqual(
      expect.objectContaining({
        event: "refusals_aggregated",
        refused: "expired_key_used",
        reason: k.id,
        count: 1,
      }),
    );
  });

  it("refuses a method outside the key's scopes with 403, and runs nothing in such a batch", async () => {
    await expectRefused(
      await call(reader, { body: rpcBody("test_submit") }),
      403,
      "AUTH_FORBIDDEN_SCOPE",
      -32002,
    );
    await expectRefused(
      await call(reader, { body: rpcBody("apikey_list") }),
      403,
      "AUTH_FORBIDDEN_SCOPE",
      -32002,
    );
    const batch = JSON.stringify([
      JSON.parse(rpcBody("test_echo", ["a"])),
      JSON.parse(rpcBody("test_submit", [], 2)),
    ]);
    await expectRefused(await call(reader, { body: batch }), 403, "AUTH_FORBIDDEN_SCOPE", -32002);
  });

  it("applies least privilege: submit does not imply read, admin implies all", async () => {
    const s = await h.keys.create({ scopes: ["submit"], label: "submitter" });
    const submitter = { id: s.id, secret: s.secret };
    expect((await call(submitter, { body: rpcBody("test_submit") })).status).toBe(200);
    expect((await call(submitter)).status).toBe(403);
    const admin = { id: h.admin.id, secret: h.admin.secret };
    expect((await call(admin)).status).toBe(200);
    expect((await call(admin, { body: rpcBody("test_submit") })).status).toBe(200);
  });

  it("rate-limits per key with 429 and Retry-After, without affecting other keys", async () => {
    for (let i = 0; i < 5; i++) expect((await call(reader)).status).toBe(200);
    const limited = await call(reader);
    await expectRefused(limited, 429, "RATE_LIMITED", -32003);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await call({ id: h.admin.id, secret: h.admin.secret })).status).toBe(200);
    h.clock.t += 1000;
    expect((await call(reader)).status).toBe(200);
  });

  it("counts a batch against the rate limit call by call", async () => {
    const six = JSON.stringify(
      Array.from({ length: 6 }, (_, i) => JSON.parse(rpcBody("test_echo", ["x"], i))),
    );
    expect((await call(reader, { body: six })).status).toBe(429);
  });

  it("refuses a body over the limit with 413 before reading it all", async () => {
    const big = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "test_echo",
      params: { text: "x".repeat(1024 * 1024) },
    });
    await expectRefused(await call(reader, { body: big }), 413, "BODY_TOO_LARGE", -32004);
  });

  it("refuses an unsigned chunked body with 401 before reading it", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ < 4) controller.enqueue(new TextEncoder().encode("x".repeat(1024)));
        else controller.close();
      },
    });
    const res = await fetch(`${h.url}/rpc`, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(401);
    expect(res.headers.get("connection")).toBe("close");
  });

  it("refuses a chunked body over the limit (no Content-Length) with 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 40) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const headers = signedHeaders(reader.id, reader.secret, {
      method: "POST",
      path: "/rpc",
      body: "",
      timestamp: h.clock.now(),
    });
    const res = await fetch(`${h.url}/rpc`, {
      method: "POST",
      headers,
      body: stream,
      duplex: "half",
    } as RequestInit).catch((err: Error) => err);
    // The server answers 413 and closes; depending on timing the client sees the answer or a reset.
    if (res instanceof Response) expect(res.status).toBe(413);
    else expect(res).toBeInstanceOf(Error);
    const entries = await auditEntries();
    expect(entries.at(-1)).toMatchObject({ event: "request_rejected", reason: "BODY_TOO_LARGE" });
  });

  it("changes no state on an auth failure: no use counted, nonce still unspent", async () => {
    const nonce = "2e".repeat(16);
    await call(reader, { nonce, headers: { "X-Chainlab-Signature": "1".repeat(64) } });
    await h.keys.flush();
    expect(h.keys.get(reader.id)?.useCount).toBe(0);
    expect((await call(reader, { nonce })).status).toBe(200);
  });

  it("counts auth failures by reason in the metrics", async () => {
    await call(reader, { omit: ["X-Chainlab-Key"] });
    await call({ id: "k_000000000000", secret: reader.secret });
    const text = await h.metrics.registry.metrics();
    expect(text).toContain('chainlab_rpc_auth_failures_total{reason="AUTH_MISSING_HEADERS"} 1');
    expect(text).toContain('chainlab_rpc_auth_failures_total{reason="AUTH_UNKNOWN_KEY"} 1');
  });

  it("never writes a secret into the audit log", async () => {
    await call({ id: reader.id, secret: "cd".repeat(32) });
    const rotated = await h.client(h.admin.credential).call<{ secret: string }>("apikey_rotate", {
      id: reader.id,
      overlapMs: 0,
    });
    await h.audit.flush();
    const text = readFileSync(h.audit.path, "utf8");
    expect(text).toContain("key_rotated");
    for (const secret of [reader.secret, rotated.secret, h.admin.secret]) expect(text).not.toContain(secret);
  });
});
