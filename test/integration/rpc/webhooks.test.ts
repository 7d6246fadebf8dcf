import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createNonceStore,
  loadOrCreateMasterKey,
  openWebhookService,
  registerWebhookMethods,
  verifyWebhookDelivery,
  type WebhookDelivery,
  type WebhookRecord,
  type WebhookService,
} from "../../../src/rpc/index.ts";
import { type Harness, startHarness } from "./harness.ts";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
  verdict: string;
}

/** A webhook receiver that verifies every delivery and answers 200, 401 or a scripted status. */
async function startReceiver(getSecret: () => string, now: () => number, script: number[] = []) {
  const seenNonces = createNonceStore({ now });
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const scripted = script.shift();
      if (scripted !== undefined) {
        received.push({ headers: req.headers, body, path: req.url ?? "", verdict: `scripted ${scripted}` });
        res.writeHead(scripted).end();
        return;
      }
      try {
        const d = verifyWebhookDelivery(getSecret(), req.headers, body, {
          path: req.url ?? "",
          seenNonces,
          now: now(),
        });
        received.push({ headers: req.headers, body, path: req.url ?? "", verdict: `ok ${d.event}` });
        res.writeHead(200).end();
      } catch (err) {
        received.push({
          headers: req.headers,
          body,
          path: req.url ?? "",
          verdict: (err as { code: string }).code,
        });
        res.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/chainlab?src=test`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("webhooks", () => {
  let h: Harness;
  let service: WebhookService;
  let sleeps: number[];
  const open = () =>
    openWebhookService(
      { retry: { maxAttempts: 4, baseDelayMs: 100 } },
      {
        db: h.db.sublevel<string, WebhookRecord>("rpc-webhooks", { valueEncoding: "json" }),
        masterKey: loadOrCreateMasterKey(h.dir),
        clock: h.clock,
        audit: h.audit,
        logger: pino({ level: "silent" }),
        metrics: h.metrics,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
    );
  beforeEach(async () => {
    sleeps = [];
    h = await startHarness();
    service = await open();
    registerWebhookMethods(h.server.registry, service);
  });
  afterEach(async () => {
    await service.stop();
    await h.close();
  });

  it("delivers a signed event that the receiver verifies, and the receiver refuses a replay", async () => {
    let secret = "";
    const rx = await startReceiver(
      () => secret,
      () => h.clock.now(),
    );
    try {
      const admin = h.client(h.admin.credential);
      const added = await admin.call<{ id: string; secret: string }>("webhook_add", {
        url: rx.url,
        events: ["new_head"],
      });
      secret = added.secret;
      expect(added.secret).toMatch(/^[0-9a-f]{64}$/);
      expect(await admin.call("webhook_list")).toEqual([
        expect.not.objectContaining({ secret: expect.anything() }),
      ]);

      service.emit("new_head", { height: 12, hash: "ab".repeat(32) });
      service.emit("reorg", { depth: 2 }); // not subscribed
      await service.idle();
      expect(rx.received.map((r) => r.verdict)).toEqual(["ok new_head"]);
      const first = rx.received[0]!;
      expect(first.path).toBe("/hooks/chainlab?src=test");
      const delivery = JSON.parse(first.body) as WebhookDelivery;
      expect(delivery).toMatchObject({ webhookId: added.id, event: "new_head", payload: { height: 12 } });

      // A byte-identical replay of the captured delivery is refused.
      const replayHeaders: Record<string, string> = {};
      for (const [k, val] of Object.entries(first.headers))
        if (k.startsWith("x-chainlab-")) replayHeaders[k] = String(val);
      const replay = await fetch(rx.url, { method: "POST", headers: replayHeaders, body: first.body });
      expect(replay.status).toBe(401);
      expect(rx.received.at(-1)?.verdict).toBe("AUTH_REPLAYED_NONCE");

      // A tampered body with fresh headers copied from the original fails the signature.
      const tampered = first.body.replace('"height":12', '"height":13');
      const res = await fetch(rx.url, {
        method: "POST",
        headers: { ...replayHeaders, "x-chainlab-nonce": "ee".repeat(16) },
        body: tampered,
      });
      expect(res.status).toBe(401);
      expect(rx.received.at(-1)?.verdict).toBe("AUTH_BAD_SIGNATURE");

      // Once the window has passed, the replay fails on its timestamp instead.
      h.clock.t += 31_000;
      await fetch(rx.url, { method: "POST", headers: replayHeaders, body: first.body });
      expect(rx.received.at(-1)?.verdict).toBe("AUTH_STALE_TIMESTAMP");
    } finally {
      await rx.close();
    }
  });

  it("retries with exponential backoff and a fresh nonce per attempt, keeping the delivery id", async () => {
    let secret = "";
    const rx = await startReceiver(
      () => secret,
      () => h.clock.now(),
      [503, 500],
    );
    try {
      secret = (await service.add({ url: rx.url, events: ["reorg"] })).secret;
      service.emit("reorg", { depth: 3 });
      await service.idle();
      expect(rx.received.map((r) => r.verdict)).toEqual(["scripted 503", "scripted 500", "ok reorg"]);
      const nonces = new Set(rx.received.map((r) => r.headers["x-chainlab-nonce"]));
      expect(nonces.size).toBe(3);
      const ids = new Set(rx.received.map((r) => (JSON.parse(r.body) as WebhookDelivery).id));
      expect(ids.size).toBe(1);
      expect(sleeps).toHaveLength(2);
      expect(sleeps[0]).toBeGreaterThanOrEqual(50);
      expect(sleeps[0]).toBeLessThanOrEqual(100);
      expect(sleeps[1]).toBeGreaterThanOrEqual(100);
      expect(sleeps[1]).toBeLessThanOrEqual(200);
    } finally {
      await rx.close();
    }
  });

  it("gives up after the bounded attempts, and at once on a non-retryable 4xx", async () => {
    const rx = await startReceiver(
      () => "00".repeat(32),
      () => h.clock.now(),
      [503, 503, 503, 503, 400],
    );
    try {
      await service.add({ url: rx.url, events: ["slashing"] });
      service.emit("slashing", { validator: 1 });
      await service.idle();
      expect(rx.received).toHaveLength(4);
      service.emit("slashing", { validator: 2 });
      await service.idle();
      expect(rx.received).toHaveLength(5);
      const text = await h.metrics.registry.metrics();
      expect(text).toContain('chainlab_webhook_deliveries_total{event="slashing",outcome="gave_up"} 1');
      expect(text).toContain('chainlab_webhook_deliveries_total{event="slashing",outcome="rejected"} 1');
    } finally {
      await rx.close();
    }
  });

  it("only accepts loopback URLs and known events", async () => {
    const admin = h.client(h.admin.credential);
    await expect(
      admin.call("webhook_add", { url: "http://example.com/x", events: ["new_head"] }),
    ).rejects.toMatchObject({
      code: "WEBHOOK_BAD_URL",
      rpcCode: -32021,
    });
    await expect(
      admin.call("webhook_add", { url: "file:///etc/passwd", events: ["new_head"] }),
    ).rejects.toMatchObject({
      code: "WEBHOOK_BAD_URL",
    });
    await expect(
      admin.call("webhook_add", { url: "http://localhost:1/x", events: ["boom"] }),
    ).rejects.toMatchObject({
      rpcCode: -32602,
    });
    const reader = await h.keys.create({ scopes: ["read"], label: "r" });
    await expect(
      h.client(reader.credential).call("webhook_add", { url: "http://localhost:1/", events: ["reorg"] }),
    ).rejects.toMatchObject({
      code: "AUTH_FORBIDDEN_SCOPE",
    });
  });

  it("keeps registrations across a reopen and still signs with the same secret", async () => {
    let secret = "";
    const rx = await startReceiver(
      () => secret,
      () => h.clock.now(),
    );
    try {
      const added = await service.add({ url: rx.url, events: ["new_head"] });
      secret = added.secret;
      await service.stop();
      service = await open();
      expect(service.list().map((w) => w.id)).toEqual([added.id]);
      service.emit("new_head", { height: 1 });
      await service.idle();
      expect(rx.received.map((r) => r.verdict)).toEqual(["ok new_head"]);
      await service.remove(added.id);
      expect(service.list()).toEqual([]);
    } finally {
      await rx.close();
    }
  });
});
