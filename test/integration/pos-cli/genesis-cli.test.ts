/**
 * The real `chainlab` CLI: `genesis new --consensus pos` writes encrypted validator keystores
 * (0600 in a 0700 dir) and a genesis bonding exactly those keys, and refuses to overwrite any file;
 * `validator protection import|export` move EIP-3076 files in and out of a data dir's DB, refuse a
 * file for another chain, an existing export file, and a DB a running validator holds.
 */
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSlashingProtection, protectionDir } from "../../../src/consensus/pos/protection/index.ts";
import { genesisConfigHash, parseGenesis } from "../../../src/core/genesis.ts";
import { addressBytesOf } from "../../../src/crypto/address.ts";
import { readKeystoreFile } from "../../../src/crypto/keystore.ts";
import { runCli } from "../../e2e/helpers.ts";
import { tempDir } from "../../helpers/fixtures.ts";

const PASSPHRASE = "correct horse battery staple";

describe("genesis new --consensus pos and validator protection", () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let passFile: string;
  let genesisFile: string;
  let keysDir: string;
  const posArgs = (out: string, keys: string, ...extra: string[]) => [
    "genesis",
    "new",
    "--consensus",
    "pos",
    "--validators",
    "3",
    "--keys-dir",
    keys,
    "--passphrase-file",
    passFile,
    "--scrypt-log-n",
    "10",
    "--out",
    out,
    "--json",
    ...extra,
  ];

  beforeAll(async () => {
    dir = await tempDir("chainlab-pos-cli-");
    passFile = join(dir.path, "pass.txt");
    await writeFile(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    genesisFile = join(dir.path, "genesis.json");
    keysDir = join(dir.path, "keys");
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it("writes 0600 keystores and a genesis that bonds exactly their keys", async () => {
    const r = await runCli(
      posArgs(genesisFile, keysDir, "--stake", "4000000000", "--slot-time", "0.5", "--epoch-slots", "4"),
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      consensus: "pos",
      validators: 3,
      stake: "4000000000",
      slotMs: 500,
      slotsPerEpoch: 4,
    });
    expect(out.genesisHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(keysDir)).mode & 0o777).toBe(0o700);
    const files = (await readdir(keysDir)).sort();
    expect(files).toEqual(["validator-0.json", "validator-1.json", "validator-2.json"]);
    const genesis = parseGenesis(JSON.parse(await readFile(genesisFile, "utf8")));
    const params = genesis.consensus.params as {
      slotMs: number;
      slotsPerEpoch: number;
      validators: { publicKey: string; stake: string; withdrawal: string }[];
    };
    expect([params.slotMs, params.slotsPerEpoch]).toEqual([500, 4]);
    for (const [i, file] of files.entries()) {
      expect((await stat(join(keysDir, file))).mode & 0o777).toBe(0o600);
      const key = await readKeystoreFile(join(keysDir, file), PASSPHRASE);
      const publicKey = Buffer.from(key.publicKey).toString("hex");
      expect(params.validators[i]).toEqual({
        publicKey,
        stake: "4000000000",
        withdrawal: Buffer.from(addressBytesOf(key.publicKey)).toString("hex"),
      });
    }
  });

  it("refuses to overwrite a keystore or the genesis, and writes nothing then", async () => {
    const before = await readFile(join(keysDir, "validator-0.json"), "utf8");
    const otherGenesis = join(dir.path, "other-genesis.json");
    const again = await runCli(posArgs(otherGenesis, keysDir));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/KEYSTORE_EXISTS.*validator-0\.json/);
    expect(await readFile(join(keysDir, "validator-0.json"), "utf8")).toBe(before);
    await expect(stat(otherGenesis)).rejects.toThrow();

    const otherKeys = join(dir.path, "other-keys");
    const overGenesis = await runCli(posArgs(genesisFile, otherKeys));
    expect(overGenesis.code).toBe(2);
    expect(overGenesis.stderr).toMatch(/already exists/);
    await expect(stat(otherKeys)).rejects.toThrow();

    const low = await runCli(posArgs(join(dir.path, "low.json"), otherKeys, "--stake", "1"));
    expect(low.stderr).toMatch(/CONSENSUS_BAD_PARAMS.*stake/);
    await expect(stat(otherKeys)).rejects.toThrow();
  });

  it("imports and exports interchange files for a data dir", async () => {
    const dataDir = join(dir.path, "node");
    await mkdir(dataDir, { mode: 0o700 });
    await copyFile(genesisFile, join(dataDir, "genesis.json"));
    const genesis = parseGenesis(JSON.parse(await readFile(genesisFile, "utf8")));
    const gvr = `0x${Buffer.from(genesisConfigHash(genesis)).toString("hex")}`;
    const pubkey = `0x${"ab".repeat(32)}`;
    const file = {
      metadata: { interchange_format_version: "5", genesis_validators_root: gvr },
      data: [
        {
          pubkey,
          signed_blocks: [{ slot: "17", signing_root: `0x${"01".repeat(32)}` }],
          signed_attestations: [{ source_epoch: "2", target_epoch: "3" }],
        },
      ],
    };
    const inFile = join(dir.path, "in.json");
    await writeFile(inFile, JSON.stringify(file));

    const imported = await runCli([
      "validator",
      "protection",
      "import",
      inFile,
      "--data-dir",
      dataDir,
      "--json",
    ]);
    expect(imported.stderr).toBe("");
    expect(JSON.parse(imported.stdout)).toEqual({ file: inFile, validators: 1, blocks: 1, attestations: 1 });

    const outFile = join(dir.path, "out.json");
    const exported = await runCli([
      "validator",
      "protection",
      "export",
      outFile,
      "--data-dir",
      dataDir,
      "--json",
    ]);
    expect(exported.stderr).toBe("");
    expect(JSON.parse(exported.stdout)).toMatchObject({ validators: 1, blocks: 1, attestations: 1 });
    expect(JSON.parse(await readFile(outFile, "utf8"))).toEqual(file);
    expect((await stat(outFile)).mode & 0o777).toBe(0o600);

    const overwrite = await runCli(["validator", "protection", "export", outFile, "--data-dir", dataDir]);
    expect([overwrite.code, overwrite.stderr]).toEqual([2, expect.stringMatching(/already exists/)]);

    const wrong = join(dir.path, "wrong.json");
    await writeFile(
      wrong,
      JSON.stringify({
        ...file,
        metadata: { ...file.metadata, genesis_validators_root: `0x${"00".repeat(32)}` },
      }),
    );
    const mismatch = await runCli(["validator", "protection", "import", wrong, "--data-dir", dataDir]);
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.stderr).toMatch(/PROTECTION_GENESIS_MISMATCH/);

    // A running validator holds its keys' DBs: the CLI waits for nothing and says so.
    const held = await openSlashingProtection(protectionDir(dataDir), { genesisValidatorsRoot: gvr });
    try {
      await held.checkAndInsertBlock(pubkey, 18, `0x${"02".repeat(32)}`);
      const locked = await runCli(["validator", "protection", "import", inFile, "--data-dir", dataDir]);
      expect([locked.code, locked.stderr]).toEqual([3, expect.stringMatching(/STORAGE_LOCKED/)]);
    } finally {
      await held.close();
    }
  });
});
