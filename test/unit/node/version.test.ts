import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { chainlabVersion } from "../../../src/node/version.ts";

describe("chainlabVersion", () => {
  it("is the version field of the repository's package.json", async () => {
    const pkg = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8"));
    expect(pkg.name).toBe("chainlab");
    expect(chainlabVersion()).toBe(pkg.version);
    expect(chainlabVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
