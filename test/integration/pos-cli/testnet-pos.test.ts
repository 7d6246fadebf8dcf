/**
 * End to end through the real CLI: `testnet up --consensus pos` starts four node processes whose
 * validators (two per node, from the generated keystores and each node's [pos] section) finalize
 * continuously; `tx stake` bonds a prefunded account that the chain then activates and `tx unstake`
 * starts its exit; `validator status` reports a validator; the protection DB a running node holds
 * cannot be exported (exit 3), and after `testnet down` its export holds what the node signed.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InterchangeJson } from "../../../src/consensus/pos/protection/index.ts";
import { readKeystoreJson } from "../../../src/crypto/keystore.ts";
import { type Manifest, Testnet } from "../../../src/testnet/index.ts";
import { runCli } from "../../e2e/helpers.ts";
import { tempDir } from "../../helpers/fixtures.ts";
import { killLeftovers, waitFor } from "../testnet/helpers.ts";

const STAKE = "3200000000";

describe("testnet up --consensus pos", { timeout: 240_000 }, () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let manifest: Manifest;
  let net: Testnet;

  const activeValidators = async () =>
    (await (await net.client(0)).call<{ activeValidators: number }>("consensus_status")).activeValidators;

  beforeAll(async () => {
    dir = await tempDir("chainlab-pos-testnet-");
    const up = await runCli(
      ["testnet", "up", "--consensus", "pos", "--nodes", "4", "--epoch-slots", "4", "--accounts", "2"].concat(
        ["--dir", dir.path, "--detach", "--json"],
      ),
      { timeoutMs: 90_000 },
    );
    expect(up.code, up.stderr).toBe(0);
    manifest = JSON.parse(up.stdout) as Manifest;
    net = await Testnet.open(dir.path);
  });
  afterAll(async () => {
    await runCli(["testnet", "down", "--dir", dir.path]).catch(() => undefined);
    killLeftovers(dir.path);
    await dir.cleanup();
  });

  it("spreads the validators over the nodes, each node's [pos] section naming its keys", async () => {
    expect(manifest.consensus).toBe("pos");
    expect(manifest.nodes.map((n) => n.validators)).toEqual([
      [0, 4],
      [1, 5],
      [2, 6],
      [3, 7],
    ]);
    const config = await readFile(join(manifest.nodes[2]!.dataDir, "config.toml"), "utf8");
    expect(config).toContain(`keys_dir = "${join(manifest.nodes[2]!.dataDir, "validators")}"`);
    expect(config).toContain(`passphrase_file = "${manifest.passphraseFile}"`);
  });

  it("finalizes on every node, and the finalized height keeps advancing", async () => {
    const finalized = async () => {
      const st = await net.status();
      return st.every((s) => s.up && (s.finalizedHeight ?? 0) > 0)
        ? st.map((s) => s.finalizedHeight!)
        : undefined;
    };
    const first = await waitFor("every node to finalize", finalized, 60_000, 500);
    await waitFor(
      "every node's finalized height to pass its first one",
      async () => (await finalized())?.every((h) => h > Math.max(...first)),
      60_000,
      500,
    );
    const st = await net.status();
    expect(st.every((s) => s.participation !== undefined && s.participation.previous >= 0.75)).toBe(true);
  });

  it("stakes a prefunded account, which becomes active, then unstakes it", async () => {
    const account = manifest.accounts[0]!;
    const keyArgs = ["--key", account.keystore, "--passphrase-file", manifest.passphraseFile];
    const node0 = ["--data-dir", manifest.nodes[0]!.dataDir];
    const before = await activeValidators();
    const stake = await runCli(["tx", "stake", "--amount", STAKE, ...keyArgs, ...node0, "--wait", "--json"]);
    expect(stake.code, stake.stderr).toBe(0);
    expect(JSON.parse(stake.stdout).includedAt).toBeGreaterThan(0);
    await waitFor(
      "the new validator to be activated",
      async () => (await activeValidators()) === before + 1,
      60_000,
      500,
    );

    const publicKey = (await readKeystoreJson(account.keystore)).publicKey;
    const status = await runCli(["validator", "status", "--pubkey", publicKey, ...node0, "--json"]);
    if (status.code === 0) expect(JSON.parse(status.stdout)).toMatchObject({ publicKey, status: "active" });
    else expect(status.stderr).toMatch(/does not serve pos_validator/);

    const unstake = await runCli(["tx", "unstake", ...keyArgs, ...node0, "--wait", "--json"]);
    expect(unstake.code, unstake.stderr).toBe(0);
    await waitFor("the validator to exit", async () => (await activeValidators()) === before, 60_000, 500);
  });

  it("keeps a running node's protection DB locked, and exports what it signed once stopped", async () => {
    const node = manifest.nodes[1]!;
    const out = join(dir.path, "node-1-protection.json");
    const locked = await runCli(["validator", "protection", "export", out, "--data-dir", node.dataDir]);
    expect([locked.code, locked.stderr]).toEqual([3, expect.stringMatching(/STORAGE_LOCKED/)]);

    const down = await runCli(["testnet", "down", "--dir", dir.path]);
    expect(down.code, down.stderr).toBe(0);
    const exported = await runCli([
      "validator",
      "protection",
      "export",
      out,
      "--data-dir",
      node.dataDir,
      "--json",
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const file = JSON.parse(await readFile(out, "utf8")) as InterchangeJson;
    const keys = await Promise.all(
      [1, 5].map(
        async (i) =>
          `0x${(await readKeystoreJson(join(node.dataDir, "validators", `validator-${i}.json`))).publicKey}`,
      ),
    );
    expect(file.data.map((d) => d.pubkey).sort()).toEqual(keys.sort());
    for (const d of file.data) {
      expect(d.signed_attestations.length).toBeGreaterThan(3);
      expect(d.signed_attestations.every((a) => a.signing_root !== undefined)).toBe(true);
    }
    expect(file.data.some((d) => d.signed_blocks.length > 0)).toBe(true);
  });
});
