import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RpcClientError, readAuditLog } from "../../../src/rpc/index.ts";
import { parseExposition } from "../../unit/rpc/exposition.ts";
import { type Harness, rawRequest, rpcBody, startHarness } from "./harness.ts";

type Resp = {
  jsonrpc: "2.0";
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data: Record<string, unknown> };
};

describe("JSON-RPC 2.0 over POST /rpc", () => {
  let h: Harness;
  let cred: { id: string; secret: string };
  beforeAll(async () => {
    h = await startHarness({ maxBatchSize: 10 });
    const k = await h.keys.create({ scopes: ["read", "submit"], label: "rw" });
    cred = { id: k.id, secret: k.secret };
  });
  afterAll(() => h.close());
  const send = (body: string) => rawRequest(h.url, cred, { body, timestamp: h.clock.now() });

  it("answers malformed JSON with -32700 and HTTP 400, audited", async () => {
    const res = await send('{"jsonrpc":"2.0",');
    expect(res.status).toBe(400);
    expect((res.json as Resp).error).toMatchObject({ code: -32700, data: { code: "PARSE_ERROR" } });
    expect((res.json as Resp).id).toBeNull();
    await h.audit.flush();
    const last = (await readAuditLog(h.audit.path)).entries.at(-1);
    expect(last).toMatchObject({ event: "request_rejected", reason: "PARSE_ERROR", keyId: cred.id });
  });

  it.each([
    ["a non-object", "42"],
    ["a missing jsonrpc", '{"id":1,"method":"test_echo"}'],
    ["a wrong version", '{"jsonrpc":"1.0","id":1,"method":"test_echo"}'],
    ["a non-string method", '{"jsonrpc":"2.0","id":1,"method":5}'],
    ["scalar params", '{"jsonrpc":"2.0","id":1,"method":"test_echo","params":"x"}'],
    ["an object id", '{"jsonrpc":"2.0","id":{},"method":"test_echo"}'],
  ])("answers %s with -32600 and HTTP 400", async (_what, body) => {
    const res = await send(body);
    expect(res.status).toBe(400);
    expect((res.json as Resp).error?.code).toBe(-32600);
  });

  it("answers an empty batch with a single -32600 error", async () => {
    const res = await send("[]");
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
  });

  it("refuses a batch over the size limit", async () => {
    const calls = Array.from({ length: 11 }, (_, i) => JSON.parse(rpcBody("test_echo", ["x"], i)));
    expect((await send(JSON.stringify(calls))).status).toBe(400);
  });

  it("answers an unknown method with -32601 and keeps the id", async () => {
    const res = await send(rpcBody("nope_nothing", [], "abc"));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: "abc",
      error: { code: -32601, data: { code: "METHOD_NOT_FOUND" } },
    });
  });

  it.each([
    [{ text: 5 }, "text"],
    [["hi", -1], "n"],
    [{ text: "hi", n: 1.5 }, "n"],
    [{ text: "hi", extra: true }, "extra"],
    [["a", 1, 2], "positional"],
    [{}, "text"],
  ])("answers bad params %j with -32602 naming %s", async (params, name) => {
    const res = await send(rpcBody("test_echo", params));
    expect(res.status).toBe(200);
    const err = (res.json as Resp).error!;
    expect(err.code).toBe(-32602);
    expect(err.data["code"]).toBe("INVALID_PARAMS");
    expect(err.message).toContain(name);
  });

  it("accepts positional and named params alike", async () => {
    const a = (await send(rpcBody("test_echo", ["hi", 3]))).json as Resp;
    const b = (await send(rpcBody("test_echo", { n: 3, text: "hi" }))).json as Resp;
    expect(a.result).toEqual(b.result);
    expect(a.result).toMatchObject({ text: "hi", n: 3 });
  });

  it("maps a domain error to -32010 with data.code and data.reason", async () => {
    const res = await send(rpcBody("test_fail"));
    expect(res.json).toMatchObject({
      error: {
        code: -32010,
        message: "nonce too low",
        data: { code: "TX_NONCE_TOO_LOW", reason: "nonce too low", got: 1, expected: 2 },
      },
    });
  });

  it("hides internal errors behind -32603", async () => {
    const res = await send(rpcBody("test_crash"));
    expect(res.json).toMatchObject({ error: { code: -32603, data: { code: "INTERNAL_ERROR" } } });
    expect(res.text).not.toContain("secret internals");
  });

  it("runs a mixed batch: results in order, notifications omitted, invalid entries answered", async () => {
    const batch = [
      { jsonrpc: "2.0", id: 1, method: "test_echo", params: ["one"] },
      { jsonrpc: "2.0", method: "test_echo", params: ["notify"] },
      { jsonrpc: "2.0", id: 2, method: "missing_method" },
      { foo: "bar" },
      { jsonrpc: "2.0", id: 3, method: "test_echo", params: { text: 1 } },
      { jsonrpc: "2.0", id: 4, method: "test_submit" },
    ];
    const res = await send(JSON.stringify(batch));
    expect(res.status).toBe(200);
    const out = res.json as Resp[];
    expect(out).toHaveLength(5);
    expect(out[0]).toMatchObject({ id: 1, result: { text: "one" } });
    expect(out[1]).toMatchObject({ id: 2, error: { code: -32601 } });
    expect(out[2]).toMatchObject({ id: null, error: { code: -32600 } });
    expect(out[3]).toMatchObject({ id: 3, error: { code: -32602 } });
    expect(out[4]).toMatchObject({ id: 4, result: "submitted" });
  });

  it("answers a notification and an all-notification batch with 204 and no body", async () => {
    const single = await send(JSON.stringify({ jsonrpc: "2.0", method: "test_echo", params: ["x"] }));
    expect(single.status).toBe(204);
    expect(single.text).toBe("");
    const batch = await send(
      JSON.stringify([
        { jsonrpc: "2.0", method: "test_echo", params: ["x"] },
        { jsonrpc: "2.0", method: "nope" },
      ]),
    );
    expect(batch.status).toBe(204);
  });

  it("counts calls by method and status in the metrics", async () => {
    await send(rpcBody("test_echo", ["m"]));
    const text = await h.metrics.registry.metrics();
    expect(text).toMatch(/chainlab_rpc_requests_total\{method="test_echo",status="ok"\} \d+/);
    expect(text).toMatch(/chainlab_rpc_requests_total\{method="test_echo",status="INVALID_PARAMS"\} \d+/);
    expect(text).toMatch(/chainlab_rpc_requests_total\{method="unknown",status="METHOD_NOT_FOUND"\} \d+/);
  });

  it("serves /health without auth, refuses other verbs and paths", async () => {
    const health = await fetch(`${h.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect((await fetch(`${h.url}/rpc`)).status).toBe(405);
    expect((await fetch(`${h.url}/health`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${h.url}/nowhere`)).status).toBe(404);
  });

  it("guards /metrics with a signed read-scope request", async () => {
    expect((await fetch(`${h.url}/metrics`)).status).toBe(401);
    const text = await h.client(`${cred.id}:${cred.secret}`).metrics();
    expect(text).toContain("# HELP chainlab_head_height");
    const s = await h.keys.create({ scopes: ["submit"], label: "no read" });
    await expect(h.client(s.credential).metrics()).rejects.toMatchObject({
      code: "AUTH_FORBIDDEN_SCOPE",
      httpStatus: 403,
    });
  });

  it("surfaces errors through the client as RpcClientError", async () => {
    const c = h.client(`${cred.id}:${cred.secret}`);
    const err = await c.call("test_fail").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcClientError);
    expect(err).toMatchObject({
      code: "TX_NONCE_TOO_LOW",
      rpcCode: -32010,
      reason: "nonce too low",
      httpStatus: 200,
    });
    const results = await c.batch([{ method: "test_echo", params: ["b"] }, { method: "nope" }]);
    expect(results[0]).toMatchObject({ text: "b" });
    expect(results[1]).toBeInstanceOf(RpcClientError);
    await expect(c.notify("test_echo", ["n"])).resolves.toBeUndefined();
    expect(await c.call("rpc_methods")).toEqual(
      expect.arrayContaining([{ name: "apikey_create", scope: "admin", description: expect.any(String) }]),
    );
  });
});

describe("server options", () => {
  it("serves /metrics publicly with metricsPublic and adds the health callback's fields", async () => {
    const h = await startHarness({ metricsPublic: true, health: () => ({ height: 7 }) });
    try {
      const m = await fetch(`${h.url}/metrics`);
      expect(m.status).toBe(200);
      expect(m.headers.get("content-type")).toContain("text/plain");
      expect(parseExposition(await m.text()).has("chainlab_rpc_requests_total")).toBe(true);
      expect(await (await fetch(`${h.url}/health`)).json()).toEqual({ status: "ok", height: 7 });
    } finally {
      await h.close();
    }
  });

  it("answers 503 when the health callback throws", async () => {
    const h = await startHarness({
      health: () => {
        throw new Error("db down");
      },
    });
    try {
      expect((await fetch(`${h.url}/health`)).status).toBe(503);
    } finally {
      await h.close();
    }
  });

  it("stop() closes idle keep-alive connections", async () => {
    const h = await startHarness();
    const { request } = await import("node:http");
    const agent = new (await import("node:http")).Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request(`${h.url}/health`, { agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      })
        .on("error", reject)
        .end();
    });
    const started = Date.now();
    await h.close();
    expect(Date.now() - started).toBeLessThan(2000);
    agent.destroy();
  });
});
