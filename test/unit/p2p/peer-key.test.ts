import { chmod, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/node/logger.ts";
import { loadOrCreatePeerKey, PEER_KEY_FILE } from "../../../src/p2p/peer-key.ts";
import { tempDir } from "../../helpers/fixtures.ts";

describe("peer key", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  const dir = async () => {
    const d = await tempDir();
    cleanups.push(d.cleanup);
    return d.path;
  };

  it("is created on first start with mode 0600 and reused afterwards", async () => {
    const d = await dir();
    const a = await loadOrCreatePeerKey(d, silentLogger());
    expect((await stat(join(d, PEER_KEY_FILE))).mode & 0o777).toBe(0o600);
    const b = await loadOrCreatePeerKey(d, silentLogger());
    expect(peerIdFromPrivateKey(b).toString()).toBe(peerIdFromPrivateKey(a).toString());
  });

  it("restricts a key file that others can read", async () => {
    const d = await dir();
    await loadOrCreatePeerKey(d, silentLogger());
    await chmod(join(d, PEER_KEY_FILE), 0o644);
    await loadOrCreatePeerKey(d, silentLogger());
    expect((await stat(join(d, PEER_KEY_FILE))).mode & 0o777).toBe(0o600);
  });

  it("refuses a file that is not a key", async () => {
    const d = await dir();
    await writeFile(join(d, PEER_KEY_FILE), "not a key", { mode: 0o600 });
    await expect(loadOrCreatePeerKey(d, silentLogger())).rejects.toMatchObject({ code: "P2P_KEY_FILE" });
  });
});
