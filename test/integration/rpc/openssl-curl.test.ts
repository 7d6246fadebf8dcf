import { execFile, execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness.ts";

const README = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

/** The bash block that follows `<!-- example: NAME -->` in the README, verbatim. */
function example(name: string): string {
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`bash\\n([\\s\\S]*?)\\n\`\`\``).exec(README);
  if (!m?.[1]) throw new Error(`README has no example ${name}`);
  return m[1];
}

const hasTools = ["openssl", "curl", "bash"].every(
  (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0,
);

describe.skipIf(!hasTools)("README: signing with only openssl and curl", () => {
  let h: Harness;
  beforeAll(async () => {
    // The example takes its timestamp from `date`, so this server uses the real clock.
    h = await startHarness({}, { realClock: true });
    writeFileSync(join(h.dir, "admin.key"), h.admin.credential, { mode: 0o600 });
  });
  afterAll(() => h.close());

  it("the signed-call example succeeds and its verbatim replay is refused", async () => {
    const script = `set -euo pipefail\n${example("signed-call")}\necho\necho "--- replay"\n${example("replay")}\n`;
    // Async: the server runs in this process, so a blocking exec would deadlock it.
    const { stdout: out } = await promisify(execFile)("bash", ["-c", script], {
      env: { ...process.env, DATA_DIR: h.dir, RPC: h.url },
      encoding: "utf8",
      timeout: 20_000,
    });
    const [first, replay] = out.split("--- replay");
    const response = JSON.parse(first!.trim()) as { result: Array<{ id: string }> };
    expect(response.result.map((k) => k.id)).toContain(h.admin.id);
    expect(replay!.trim()).toBe("401");
  });

  it("the example's HMAC matches the server's signing for a fixed input", async () => {
    const { signRequest } = await import("../../../src/rpc/index.ts");
    const secret = "0f".repeat(32);
    const req = {
      method: "POST",
      path: "/rpc",
      body: '{"a":1}',
      timestamp: "1750000000000",
      nonce: "ab".repeat(16),
    };
    const script = [
      `BODY_HASH=$(printf '%s' '${req.body}' | openssl dgst -sha256 -r | cut -d' ' -f1)`,
      `printf 'POST\\n/rpc\\n%s\\n%s\\n%s' ${req.timestamp} ${req.nonce} "$BODY_HASH" | openssl dgst -sha256 -mac HMAC -macopt hexkey:${secret} -r | cut -d' ' -f1`,
    ].join("\n");
    const sig = execFileSync("bash", ["-c", script], { encoding: "utf8" }).trim();
    expect(sig).toBe(signRequest(secret, req));
  });
});
