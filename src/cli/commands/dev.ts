/** `chainlab dev`: one mining node on a generated dev genesis in ./devnet (what `npm start` runs). */

import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { generateKeyPair } from "../../crypto/ed25519.ts";
import { encryptKeystore, readKeystoreJson, writeKeystoreFile } from "../../crypto/keystore.ts";
import { writeGenesisFile } from "../../node/genesis-file.ts";
import { genesisFromOptions } from "./genesis.ts";
import { runNode } from "./node.ts";

const DEV_PASSPHRASE = "chainlab-dev";

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Creates ./devnet (a funded dev key, a miner key, a genesis) unless it exists. */
async function prepareDevnet(dir: string): Promise<{ genesis: string; coinbase: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const devKey = join(dir, "dev.key.json");
  const minerKey = join(dir, "miner.key.json");
  const genesis = join(dir, "genesis.json");
  if (!(await exists(devKey))) {
    await writeFile(join(dir, "passphrase.txt"), `${DEV_PASSPHRASE}\n`, { mode: 0o600 });
    for (const file of [devKey, minerKey]) {
      const kp = generateKeyPair();
      await writeKeystoreFile(file, await encryptKeystore(kp.secretKey, DEV_PASSPHRASE, { n: 2 ** 12 }));
    }
  }
  const dev = await readKeystoreJson(devKey);
  const miner = await readKeystoreJson(minerKey);
  if (!(await exists(genesis))) {
    const g = genesisFromOptions({
      consensus: "pow",
      alloc: [`${dev.address}=1000000000000`],
      blockTime: "2",
      chainId: "1337",
      minFee: "1",
      difficulty: "200000",
    });
    await writeGenesisFile(genesis, g);
  }
  return { genesis, coinbase: miner.address };
}

/** Registers the dev command. */
export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("run one mining node on a generated dev genesis in ./devnet (npm start)")
    .option("--dir <dir>", "devnet directory", "devnet")
    .option("--log-level <level>", "log level", "info")
    .action(async (opts: { dir: string; logLevel: string }) => {
      const { genesis, coinbase } = await prepareDevnet(opts.dir);
      await runNode({
        dataDir: join(opts.dir, "node"),
        genesis,
        mine: true,
        coinbase,
        logLevel: opts.logLevel,
      });
    });
}
