/** Reading and writing genesis.json with one-line errors. */
import { readFile, writeFile } from "node:fs/promises";
import { GenesisError } from "../core/errors.ts";
import { type Genesis, genesisToJson, parseGenesis } from "../core/genesis.ts";

/** Reads and validates a genesis file. */
export async function readGenesisFile(path: string): Promise<Genesis> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new GenesisError(
      "GENESIS_INVALID",
      `cannot read genesis file ${path}: ${(err as NodeJS.ErrnoException).code}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new GenesisError("GENESIS_INVALID", `genesis file ${path} is not JSON: ${(err as Error).message}`);
  }
  return parseGenesis(raw);
}

/** Writes a genesis file (fails if it exists unless `overwrite`). */
export async function writeGenesisFile(path: string, g: Genesis, overwrite = false): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(genesisToJson(g), null, 2)}\n`, { flag: overwrite ? "w" : "wx" });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST")
      throw new GenesisError("GENESIS_INVALID", `${path} already exists (refusing to overwrite)`);
    throw new GenesisError("GENESIS_INVALID", `cannot write ${path}: ${code}`);
  }
}
