/** Editing a generated node's config.toml before it starts (settings the testnet generator does not set). */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "smol-toml";
import type { NodeEntry } from "../../testnet/index.ts";

/** Sets `section.key = value` in the node's config.toml (read at its next start). */
export async function setNodeConfig(
  node: NodeEntry,
  section: string,
  key: string,
  value: string | number | boolean,
): Promise<void> {
  const file = join(node.dataDir, "config.toml");
  const doc = parse(await readFile(file, "utf8")) as Record<string, Record<string, unknown>>;
  doc[section] = { ...(doc[section] ?? {}), [key]: value };
  await writeFile(file, stringify(doc));
}
