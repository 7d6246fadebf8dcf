import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  canonicalRequest,
  parseCredential,
  signedHeaders,
  signRequest,
  verifySignature,
} from "../../../src/rpc/index.ts";
import { parseAuthHeaders, verifyTimestamp } from "../../../src/rpc/signing.ts";

const secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const req = {
  method: "post",
  path: "/rpc?x=1",
  body: '{"jsonrpc":"2.0"}',
  timestamp: 1750000000123,
  nonce: "ab".repeat(16),
};

describe("request signing", () => {
  it("builds the canonical string from upper-case method, exact path, timestamp, nonce and body hash", () => {
    const bodyHash = createHash("sha256").update(req.body).digest("hex");
    expect(canonicalRequest(req)).toBe(`POST\n/rpc?x=1\n1750000000123\n${"ab".repeat(16)}\n${bodyHash}`);
  });

  it("keys the HMAC with the decoded 32 secret bytes, not the hex text", () => {
    const expected = createHmac("sha256", Buffer.from(secret, "hex"))
      .update(canonicalRequest(req))
      .digest("hex");
    expect(signRequest(secret, req)).toBe(expected);
    expect(signRequest(Buffer.from(secret, "hex"), req)).toBe(expected);
    expect(signRequest(secret, req)).not.toBe(
      createHmac("sha256", secret).update(canonicalRequest(req)).digest("hex"),
    );
  });

  it("verifies only the exact request", () => {
    const sig = signRequest(secret, req);
    expect(verifySignature(secret, req, sig)).toBe(true);
    expect(verifySignature(secret, req, sig.toUpperCase())).toBe(true);
    expect(verifySignature(secret, { ...req, body: '{"jsonrpc":"2.1"}' }, sig)).toBe(false);
    expect(verifySignature(secret, { ...req, path: "/rpc" }, sig)).toBe(false);
    expect(verifySignature(secret, { ...req, timestamp: req.timestamp + 1 }, sig)).toBe(false);
    expect(verifySignature(secret, req, sig.slice(2))).toBe(false);
    expect(verifySignature(secret, req, "zz" + sig.slice(2))).toBe(false);
  });

  it("produces headers with a fresh 32-hex-char nonce each time", () => {
    const a = signedHeaders("k_000000000001", secret, {
      method: "POST",
      path: "/rpc",
      body: "",
      timestamp: 5,
    });
    const b = signedHeaders("k_000000000001", secret, {
      method: "POST",
      path: "/rpc",
      body: "",
      timestamp: 5,
    });
    expect(a["X-Chainlab-Nonce"]).toMatch(/^[0-9a-f]{32}$/);
    expect(a["X-Chainlab-Nonce"]).not.toBe(b["X-Chainlab-Nonce"]);
    expect(a["X-Chainlab-Timestamp"]).toBe("5");
  });

  it.each([
    [{}, "AUTH_MISSING_HEADERS"],
    [
      { "x-chainlab-key": "k", "x-chainlab-timestamp": "1", "x-chainlab-nonce": "ab".repeat(16) },
      "AUTH_MISSING_HEADERS",
    ],
    [
      {
        "x-chainlab-key": "k!",
        "x-chainlab-timestamp": "1",
        "x-chainlab-nonce": "ab".repeat(16),
        "x-chainlab-signature": "a".repeat(64),
      },
      "AUTH_MALFORMED_HEADERS",
    ],
    [
      {
        "x-chainlab-key": "k",
        "x-chainlab-timestamp": "-1",
        "x-chainlab-nonce": "ab".repeat(16),
        "x-chainlab-signature": "a".repeat(64),
      },
      "AUTH_MALFORMED_HEADERS",
    ],
    [
      {
        "x-chainlab-key": "k",
        "x-chainlab-timestamp": "1",
        "x-chainlab-nonce": "AB".repeat(16),
        "x-chainlab-signature": "a".repeat(64),
      },
      "AUTH_MALFORMED_HEADERS",
    ],
    [
      {
        "x-chainlab-key": "k",
        "x-chainlab-timestamp": "1",
        "x-chainlab-nonce": "ab".repeat(65),
        "x-chainlab-signature": "a".repeat(64),
      },
      "AUTH_MALFORMED_HEADERS",
    ],
    [
      {
        "x-chainlab-key": "k",
        "x-chainlab-timestamp": "1",
        "x-chainlab-nonce": "ab".repeat(16),
        "x-chainlab-signature": "a".repeat(63),
      },
      "AUTH_MALFORMED_HEADERS",
    ],
    [
      {
        "x-chainlab-key": ["a", "b"],
        "x-chainlab-timestamp": "1",
        "x-chainlab-nonce": "ab".repeat(16),
        "x-chainlab-signature": "a".repeat(64),
      },
      "AUTH_MISSING_HEADERS",
    ],
  ])("refuses headers %j with %s", (headers, code) => {
    expect(() => parseAuthHeaders(headers)).toThrow(expect.objectContaining({ code }));
  });

  it("checks the timestamp window inclusively", () => {
    expect(() => verifyTimestamp(1000, 31_000, 30_000)).not.toThrow();
    expect(() => verifyTimestamp(999, 31_000, 30_000)).toThrow(
      expect.objectContaining({ code: "AUTH_STALE_TIMESTAMP" }),
    );
    expect(() => verifyTimestamp(61_001, 31_000, 30_000)).toThrow(
      expect.objectContaining({ code: "AUTH_FUTURE_TIMESTAMP" }),
    );
  });

  it("parses ID:SECRET credentials and refuses anything else with a typed error", () => {
    expect(parseCredential(`k_0123456789ab:${secret}\n`)).toEqual({
      keyId: "k_0123456789ab",
      secret: Buffer.from(secret, "hex"),
    });
    for (const bad of [
      "",
      "k_0123456789ab",
      `k_0123456789ab:${secret.slice(1)}`,
      `:${secret}`,
      `k_1:${secret}:x`,
    ]) {
      expect(() => parseCredential(bad)).toThrow(expect.objectContaining({ code: "APIKEY_BAD_CREDENTIAL" }));
    }
  });
});
