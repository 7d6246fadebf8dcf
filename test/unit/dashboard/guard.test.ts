/** The dashboard's Host, Origin and token checks (DNS rebinding, cross-site requests, no token). */
import { describe, expect, it } from "vitest";
import { checkControl, checkOrigin } from "../../../src/dashboard/index.ts";

const PORT = 43210;
const TOKEN = "ab".repeat(32);
const SELF = `http://127.0.0.1:${PORT}`;
const control = { method: "POST", host: `127.0.0.1:${PORT}`, origin: SELF, contentType: "application/json" };

describe("dashboard request checks", () => {
  it.each([
    ["own address", `127.0.0.1:${PORT}`, undefined, undefined],
    ["localhost", `localhost:${PORT}`, `http://localhost:${PORT}`, undefined],
    ["no Host", undefined, undefined, "DASHBOARD_BAD_HOST"],
    ["rebinding name", `evil.example:${PORT}`, undefined, "DASHBOARD_BAD_HOST"],
    ["other port", "127.0.0.1:1", undefined, "DASHBOARD_BAD_HOST"],
    ["foreign Origin", `127.0.0.1:${PORT}`, "https://evil.example", "DASHBOARD_BAD_ORIGIN"],
    ["null Origin", `127.0.0.1:${PORT}`, "null", "DASHBOARD_BAD_ORIGIN"],
    ["https Origin", `127.0.0.1:${PORT}`, `https://127.0.0.1:${PORT}`, "DASHBOARD_BAD_ORIGIN"],
  ])("%s", (_name, host, origin, code) => {
    expect(checkOrigin({ method: "GET", host, origin }, PORT)?.code).toBe(code);
  });

  it.each([
    ["the token", { ...control, token: TOKEN }, undefined],
    ["no token", control, "DASHBOARD_NO_TOKEN"],
    ["a wrong token", { ...control, token: "cd".repeat(32) }, "DASHBOARD_NO_TOKEN"],
    ["a short token", { ...control, token: "ab" }, "DASHBOARD_NO_TOKEN"],
    ["no Origin", { ...control, origin: undefined, token: TOKEN }, "DASHBOARD_BAD_ORIGIN"],
    ["a foreign Origin", { ...control, origin: "http://evil.example", token: TOKEN }, "DASHBOARD_BAD_ORIGIN"],
    ["a form body", { ...control, contentType: "text/plain", token: TOKEN }, "DASHBOARD_BAD_CONTENT_TYPE"],
    ["GET", { ...control, method: "GET", token: TOKEN }, "DASHBOARD_BAD_METHOD"],
    ["a rebinding Host", { ...control, host: `evil.example:${PORT}`, token: TOKEN }, "DASHBOARD_BAD_HOST"],
  ])("a control with %s", (_name, req, code) => {
    expect(checkControl(req, PORT, TOKEN)?.code).toBe(code);
  });
});
