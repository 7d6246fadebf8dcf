import { randomBytes } from "node:crypto";
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureAdminKey } from "../../../src/rpc/admin-key.ts";
import type { ApiKeyStore } from "../../../src/rpc/api-keys.ts";
import { openSecret, sealSecret } from "../../../src/rpc/secret-box.ts";
import { writeSecretFileSync } from "../../../src/rpc/secret-file.ts";

describe("secret files", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "chainlab-secret-file-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes mode 0600 through a random O_EXCL temp name and leaves no temp file", () => {
    const path = join(dir, "x.key");
    writeSecretFileSync(path, "one", { overwrite: false });
    expect(readFileSync(path, "utf8")).toBe("one");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => writeSecretFileSync(path, "two", { overwrite: false })).toThrow(
      expect.objectContaining({ code: "EEXIST" }),
    );
    writeSecretFileSync(path, "three", { overwrite: true });
    expect(readFileSync(path, "utf8")).toBe("three");
    expect(readdirSync(dir)).toEqual(["x.key"]);
  });

  it("does not follow a symlink planted at the admin key's old predictable temp name", async () => {
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "untouched");
    symlinkSync(victim, join(dir, `admin.key.${process.pid}.tmp`));
    const store = {
      size: 0,
      create: async () => ({ id: "k_000000000001", credential: `k_000000000001:${"ab".repeat(32)}` }),
    } as unknown as ApiKeyStore;
    const result = await ensureAdminKey(store, dir);
    expect(result.created).toBe(true);
    expect(readFileSync(victim, "utf8")).toBe("untouched");
    expect(readFileSync(join(dir, "admin.key"), "utf8")).toContain("k_000000000001:");
    expect(statSync(join(dir, "admin.key")).mode & 0o777).toBe(0o600);
  });
});

describe("openSecret", () => {
  const master = randomBytes(32);
  const secret = randomBytes(32);

  it("opens a sealed secret with its full 16-byte tag", () => {
    expect(openSecret(master, sealSecret(master, secret, "k_1"), "k_1")).toEqual(secret);
  });

  it.each([4, 8, 12, 15])("refuses a tag truncated to %i bytes, which GCM alone would accept", (bytes) => {
    const sealed = sealSecret(master, secret, "k_1");
    const short = { ...sealed, tag: sealed.tag.slice(0, bytes * 2) };
    expect(() => openSecret(master, short, "k_1")).toThrow(
      expect.objectContaining({ code: "APIKEY_DECRYPT_FAILED" }),
    );
  });
});
