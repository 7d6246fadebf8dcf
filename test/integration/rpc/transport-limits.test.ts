/**
 * Issue 10, items 3 and 5 against the real HTTP server: no body is buffered before the headers
 * pass, caps on connections and in-flight bytes, prompt timeouts, quiet aborts, Host/Origin
 * allow-lists, and the refusal of a non-loopback bind.
 */
import { statSync } from "node:fs";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  createNodeMetrics,
  createRpcClient,
  createRpcServer,
  readAuditLog,
  signedHeaders,
} from "../../../src/rpc/index.ts";
import { type Harness, startHarness } from "./harness.ts";
import { captureLogger, httpGet, rawConnect, requestHead } from "./raw-http.ts";

const signedHead = (h: Harness, contentLength: number, cred = h.admin) =>
  requestHead(h.url, {
    ...signedHeaders(cred.id, cred.secret, {
      method: "POST",
      path: "/rpc",
      body: "",
      timestamp: h.clock.now(),
    }),
    "Content-Length": String(contentLength),
  });

describe("unauthenticated load", () => {
  let h: Harness;
  afterEach(() => h.close());

  it("answers 401 to an unsigned request announcing a 1 MiB body without waiting for any of it", async () => {
    h = await startHarness();
    const c = await rawConnect(h.url, requestHead(h.url, { "Content-Length": String(1 << 20) }));
    expect(await c.status).toBe(401);
    c.socket.destroy();
  });

  it("answers a known key with a stale timestamp before its body, too", async () => {
    h = await startHarness();
    const head = requestHead(h.url, {
      ...signedHeaders(h.admin.id, h.admin.secret, { method: "POST", path: "/rpc", body: "", timestamp: 1 }),
      "Content-Length": "100000",
    });
    const c = await rawConnect(h.url, head);
    expect(await c.status).toBe(401);
    c.socket.destroy();
  });

  it("keeps the audit log small under a flood of refused requests (aggregated per remote and reason)", async () => {
    h = await startHarness();
    const before = statSync(h.audit.path).size;
    for (let i = 0; i < 300; i++) {
      const res = await fetch(`${h.url}/rpc`, { method: "POST", body: "{}" });
      expect(res.status).toBe(401);
    }
    await h.audit.flush();
    expect(statSync(h.audit.path).size - before).toBeLessThan(1000);
    h.clock.t += 60_000;
    await h.audit.flush();
    const { entries } = await readAuditLog(h.audit.path);
    expect(entries).toContainEqual(
      expect.objectContaining({ event: "refusals_aggregated", reason: "AUTH_MISSING_HEADERS", count: 299 }),
    );
  });

  it("caps the body bytes in flight over all connections (503 SERVER_BUSY)", async () => {
    h = await startHarness({ maxBodyBytes: 4096, maxInflightBodyBytes: 2048 });
    const a = await rawConnect(h.url, signedHead(h, 4000) + "x".repeat(1500));
    const b = await rawConnect(h.url, signedHead(h, 4000) + "y".repeat(1500));
    const first = await Promise.race([a.status, b.status]);
    expect(first).toBe(503);
    a.socket.destroy();
    b.socket.destroy();
  });

  it("closes connections over maxConnections on arrival", async () => {
    h = await startHarness({ maxConnections: 2 });
    const held = [await rawConnect(h.url), await rawConnect(h.url)];
    // Make sure the server has accepted both before the third arrives.
    for (const c of held) c.socket.write(`GET /health HTTP/1.1\r\nHost: ${new URL(h.url).host}\r\n\r\n`);
    expect(await Promise.all(held.map((c) => c.status))).toEqual([200, 200]);
    const extra = await rawConnect(h.url);
    expect(await extra.closed).toBe("");
    for (const c of held) c.socket.destroy();
  });

  it("times out a stalled header promptly, not at a 30 s sweep", async () => {
    h = await startHarness({ headersTimeoutMs: 200 });
    const started = performance.now();
    const c = await rawConnect(h.url, `POST /rpc HTTP/1.1\r\nHost: ${new URL(h.url).host}\r\n`);
    await c.closed;
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("times out a stalled body with 408 BODY_TIMEOUT", async () => {
    h = await startHarness({ bodyTimeoutMs: 200 });
    const started = performance.now();
    const c = await rawConnect(h.url, signedHead(h, 1000) + "z".repeat(10));
    expect(await c.status).toBe(408);
    expect(await c.closed).toContain("BODY_TIMEOUT");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("logs a client that aborts mid-body as one debug line without a stack trace", async () => {
    const cap = captureLogger();
    h = await startHarness({}, { logger: cap.logger });
    const c = await rawConnect(h.url, signedHead(h, 1000) + "w".repeat(100));
    c.socket.destroy();
    const line = await cap.waitFor((l) => l["code"] === "REQUEST_ABORTED");
    expect(line["level"]).toBe(20);
    expect(JSON.stringify(cap.lines)).not.toContain("stack");
    expect(cap.lines.filter((l) => (l["level"] as number) >= 50)).toEqual([]);
    await h.audit.flush();
  });
});

describe("Host and Origin allow-lists (DNS rebinding)", () => {
  let h: Harness;
  afterEach(() => h.close());

  it.each(["/health", "/metrics", "/rpc"])(
    "refuses a foreign Host on %s and accepts our own",
    async (path) => {
      h = await startHarness({ metricsPublic: true });
      const port = new URL(h.url).port;
      const evil = await httpGet(h.url, path, { Host: `rebind.example:${port}` });
      expect(evil.status).toBe(403);
      expect(evil.body).toContain("HOST_NOT_ALLOWED");
      const wrongPort = await httpGet(h.url, path, { Host: "127.0.0.1:1" });
      expect(wrongPort.status).toBe(403);
      if (path !== "/rpc") {
        expect((await httpGet(h.url, path, { Host: `localhost:${port}` })).status).toBe(200);
        expect((await httpGet(h.url, path, { Host: `127.0.0.1:${port}` })).status).toBe(200);
      }
    },
  );

  it("refuses a browser Origin that is not ours, and one the operator allowed passes", async () => {
    h = await startHarness({ metricsPublic: true, allowedOrigins: ["https://ops.example.com"] });
    const host = new URL(h.url).host;
    const foreign = await httpGet(h.url, "/health", { Host: host, Origin: "http://rebind.example" });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain("ORIGIN_NOT_ALLOWED");
    expect((await httpGet(h.url, "/health", { Host: host, Origin: "null" })).status).toBe(403);
    expect((await httpGet(h.url, "/health", { Host: host, Origin: `http://${host}` })).status).toBe(200);
    expect((await httpGet(h.url, "/health", { Host: host, Origin: "https://ops.example.com" })).status).toBe(
      200,
    );
  });
});

describe("non-loopback bind", () => {
  it("is refused without allowRemote, and warns loudly with it, also when a secret is returned", async () => {
    const h = await startHarness();
    try {
      const metrics = createNodeMetrics({ defaultMetrics: false });
      const deps = { keys: h.keys, audit: h.audit, metrics, clock: h.clock };
      const refused = createRpcServer(
        { host: "0.0.0.0", port: 0 },
        { ...deps, logger: pino({ level: "silent" }) },
      );
      await expect(refused.start()).rejects.toMatchObject({ code: "RPC_REMOTE_BIND_REFUSED" });
      const cap = captureLogger();
      const remote = createRpcServer(
        { host: "0.0.0.0", port: 0, allowRemote: true },
        { ...deps, logger: cap.logger },
      );
      const url = (await remote.start()).replace("0.0.0.0", "127.0.0.1");
      try {
        expect(cap.lines.some((l) => l["level"] === 40 && String(l["msg"]).includes("plain HTTP"))).toBe(
          true,
        );
        const client = createRpcClient({ url, credential: h.admin.credential, now: () => h.clock.now() });
        await client.call("apikey_create", { scopes: ["read"], label: "over the wire" });
        expect(await cap.waitFor((l) => l["method"] === "apikey_create" && l["level"] === 40)).toBeDefined();
      } finally {
        await remote.stop();
      }
    } finally {
      await h.close();
    }
  });
});
