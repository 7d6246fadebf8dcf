/** Issue 10, items 1 and 2 against the real HTTP server: replay at the window edge and nonce-store lockout. */
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, rawRequest, rpcBody, startHarness } from "./harness.ts";

type RpcErr = { error: { data: { code: string } } };
const codeOf = (r: { json: unknown }) => (r.json as RpcErr | undefined)?.error?.data?.code;

describe("replay at the window edge (real clock, live server)", () => {
  let h: Harness;
  afterEach(() => h.close());

  it("re-sends spent requests around their window's end many times and none is accepted twice", async () => {
    const windowMs = 1000;
    h = await startHarness({ timestampWindowMs: windowMs }, { realClock: true });
    const cred = { id: h.admin.id, secret: h.admin.secret };
    const body = rpcBody("test_echo", { text: "edge" });
    let spent = 0;
    let resends = 0;
    let acceptedAgain = 0;
    for (let i = 0; i < 30; i++) {
      // Stamped so that its window ends 5 to 35 ms from now.
      const timestamp = Date.now() - windowMs + 5 + i;
      const nonce = i.toString(16).padStart(2, "0").repeat(16);
      const first = await rawRequest(h.url, cred, { body, timestamp, nonce });
      if (first.status !== 200) continue;
      spent++;
      // Re-send the identical request until the server calls it stale, and a few times after.
      let staleSeen = 0;
      while (staleSeen < 3) {
        const again = await rawRequest(h.url, cred, { body, timestamp, nonce });
        resends++;
        if (again.status === 200) acceptedAgain++;
        if (codeOf(again) === "AUTH_STALE_TIMESTAMP") staleSeen++;
        else expect(codeOf(again)).toBe("AUTH_REPLAYED_NONCE");
      }
    }
    expect(spent).toBeGreaterThan(10);
    expect(resends).toBeGreaterThan(3 * spent);
    expect(acceptedAgain).toBe(0);
  });
});

describe("nonce store lockout", () => {
  let h: Harness;
  afterEach(() => h.close());

  it("does not record the nonce of a request refused with 429, so it is accepted once the bucket refills", async () => {
    h = await startHarness({ rateLimit: { ratePerSecond: 1, burst: 1 } });
    const k = await h.keys.create({ scopes: ["read"], label: "slow" });
    const cred = { id: k.id, secret: k.secret };
    const body = rpcBody("test_echo", { text: "x" });
    const ts = h.clock.now();
    expect((await rawRequest(h.url, cred, { body, timestamp: ts })).status).toBe(200);
    const nonce = "ab".repeat(16);
    const limited = await rawRequest(h.url, cred, { body, timestamp: ts, nonce });
    expect(limited.status).toBe(429);
    expect(codeOf(limited)).toBe("RATE_LIMITED");
    h.clock.t += 1000;
    expect((await rawRequest(h.url, cred, { body, timestamp: ts, nonce })).status).toBe(200);
  });

  it("caps one key's share of the store without touching other keys or the admin", async () => {
    h = await startHarness({ nonceStore: { maxPerKey: 5, maxEntries: 12, reserved: 4 } });
    const mk = async (label: string) => {
      const k = await h.keys.create({ scopes: ["read"], label });
      return { id: k.id, secret: k.secret };
    };
    const [a, b, c] = [await mk("a"), await mk("b"), await mk("c")];
    const send = (cred: { id: string; secret: string }) =>
      rawRequest(h.url, cred, { body: rpcBody("test_echo", { text: "q" }), timestamp: h.clock.now() });
    for (let i = 0; i < 5; i++) expect((await send(a)).status).toBe(200);
    const overQuota = await send(a);
    expect(overQuota.status).toBe(429);
    expect(codeOf(overQuota)).toBe("NONCE_QUOTA_EXCEEDED");
    for (let i = 0; i < 3; i++) expect((await send(b)).status).toBe(200);
    // The ordinary share (12 - 4) is now full: another ordinary key waits, the admin does not.
    expect(codeOf(await send(c))).toBe("NONCE_QUOTA_EXCEEDED");
    for (let i = 0; i < 4; i++)
      expect((await send({ id: h.admin.id, secret: h.admin.secret })).status).toBe(200);
    // Space comes back as the entries expire.
    h.clock.t += 60_000;
    expect((await send(c)).status).toBe(200);
  });

  it("keeps pruning behind an entry stamped at the far edge of the future window", async () => {
    h = await startHarness({ nonceStore: { maxPerKey: 3, maxEntries: 100 } });
    const cred = { id: h.admin.id, secret: h.admin.secret };
    const body = rpcBody("test_echo", { text: "f" });
    const t0 = h.clock.now();
    expect((await rawRequest(h.url, cred, { body, timestamp: t0 + 30_000 })).status).toBe(200);
    expect((await rawRequest(h.url, cred, { body, timestamp: t0 })).status).toBe(200);
    expect((await rawRequest(h.url, cred, { body, timestamp: t0 })).status).toBe(200);
    expect(codeOf(await rawRequest(h.url, cred, { body, timestamp: t0 }))).toBe("NONCE_QUOTA_EXCEEDED");
    // The two present-stamped nonces expire; the future one still holds its slot, and only it.
    h.clock.t = t0 + 40_000;
    expect((await rawRequest(h.url, cred, { body, timestamp: h.clock.now() })).status).toBe(200);
    expect((await rawRequest(h.url, cred, { body, timestamp: h.clock.now() })).status).toBe(200);
    expect(codeOf(await rawRequest(h.url, cred, { body, timestamp: h.clock.now() }))).toBe(
      "NONCE_QUOTA_EXCEEDED",
    );
  });
});
