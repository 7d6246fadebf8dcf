/**
 * The `[pos]` section of a node's configuration, which only this engine reads: where the validator
 * keystores are (`keys_dir`, every `*.json` in it), the file holding their passphrase
 * (`passphrase_file`), and `unsafe_equivocate` (experiments only: slashing protection off, the
 * validators double-propose and double-vote).
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { readKeystoreFile } from "../../crypto/keystore.ts";
import { resolvePassphrase } from "../../crypto/passphrase.ts";
import { ConsensusError } from "../engine.ts";

/** Most keystores one node loads. */
export const MAX_VALIDATOR_KEYS = 1024;

/** The parsed `[pos]` section. */
export interface PosNodeOptions {
  keysDir?: string;
  passphraseFile?: string;
  unsafeEquivocate: boolean;
}

/** A validator key the node signs with. */
export interface ValidatorKey {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

function optionalString(section: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const v = section[key];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string") throw new ConsensusError("CONSENSUS_BAD_PARAMS", `pos.${key} must be a path`);
  return v;
}

/** Parses the `[pos]` section (an empty string means unset). */
export function parsePosNodeOptions(section: Readonly<Record<string, unknown>>): PosNodeOptions {
  const unsafe = section.unsafe_equivocate ?? false;
  if (typeof unsafe !== "boolean") {
    throw new ConsensusError("CONSENSUS_BAD_PARAMS", "pos.unsafe_equivocate must be true or false");
  }
  const keysDir = optionalString(section, "keys_dir");
  const passphraseFile = optionalString(section, "passphrase_file");
  return {
    unsafeEquivocate: unsafe,
    ...(keysDir !== undefined ? { keysDir } : {}),
    ...(passphraseFile !== undefined ? { passphraseFile } : {}),
  };
}

/** Decrypts every `*.json` keystore in `keys_dir` (sorted by name) with the passphrase; none without a dir. */
export async function loadValidatorKeys(o: PosNodeOptions): Promise<ValidatorKey[]> {
  if (o.keysDir === undefined) return [];
  let names: string[];
  try {
    names = (await readdir(o.keysDir)).filter((n) => n.endsWith(".json")).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new ConsensusError("CONSENSUS_BAD_PARAMS", `pos.keys_dir ${o.keysDir} cannot be read (${code})`);
  }
  if (names.length > MAX_VALIDATOR_KEYS) {
    throw new ConsensusError(
      "CONSENSUS_BAD_PARAMS",
      `pos.keys_dir holds more than ${MAX_VALIDATOR_KEYS} keystores`,
    );
  }
  if (names.length === 0) return [];
  const passphrase = await resolvePassphrase({
    ...(o.passphraseFile !== undefined ? { passphraseFile: o.passphraseFile } : {}),
    prompt: false,
  });
  const keys: ValidatorKey[] = [];
  for (const name of names) {
    const k = await readKeystoreFile(join(o.keysDir, name), passphrase);
    keys.push({ publicKey: k.publicKey, secretKey: k.secretKey });
  }
  return keys;
}
