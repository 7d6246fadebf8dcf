/**
 * PoS validator keys for a new chain: encrypted keystores (mode 0600, never overwritten) and the
 * genesis consensus params that bond them. Shared by `chainlab genesis new --consensus pos` and
 * the testnet generator.
 */
import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type GenesisParamsOptions, genesisParams } from "../consensus/registry.ts";
import type { Json } from "../core/genesis.ts";
import { fromHex } from "../core/hash.ts";
import { addressBytesOf } from "../crypto/address.ts";
import { generateKeyPair } from "../crypto/ed25519.ts";
import { encryptKeystore, KeystoreError, writeKeystoreFile } from "../crypto/keystore.ts";

/** A validator keystore written by writeValidatorKeystores. */
export interface ValidatorKeyFile {
  /** The validator's index in the genesis registry. */
  index: number;
  file: string;
  /** Hex public key. */
  publicKey: string;
  address: string;
}

/** The keystore file of validator `index` inside a keys dir. */
export function validatorKeyFile(keysDir: string, index: number): string {
  return join(keysDir, `validator-${index}.json`);
}

/** Throws KEYSTORE_EXISTS if any of `files` exists (checked before anything is written). */
export async function refuseExisting(files: string[]): Promise<void> {
  for (const file of files) {
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (exists) {
      throw new KeystoreError("KEYSTORE_EXISTS", `${file} already exists (refusing to overwrite)`, {
        path: file,
      });
    }
  }
}

/**
 * Generates a key per index and writes it to `keysDir` (created 0700) as validator-INDEX.json,
 * encrypted under `passphrase`; `onKey` reports progress.
 */
export async function writeValidatorKeystores(
  keysDir: string,
  indices: number[],
  passphrase: string,
  opts: { scryptN: number; onKey?: (done: number) => void },
): Promise<ValidatorKeyFile[]> {
  await refuseExisting(indices.map((i) => validatorKeyFile(keysDir, i)));
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const out: ValidatorKeyFile[] = [];
  for (const index of indices) {
    const kp = generateKeyPair();
    const ks = await encryptKeystore(kp.secretKey, passphrase, { n: opts.scryptN });
    kp.secretKey.fill(0);
    const file = validatorKeyFile(keysDir, index);
    await writeKeystoreFile(file, ks);
    out.push({ index, file, publicKey: ks.publicKey, address: ks.address });
    opts.onKey?.(out.length);
  }
  return out;
}

/** Options of posValidatorParams. */
export interface PosChainOptions {
  slotMs: number;
  slotsPerEpoch: number;
  /** Bonded stake of each validator (default: the chain's minimum stake). */
  stake?: bigint;
  /** Other PoS parameters than the defaults (e.g. slashing off, a faster leak); validated. */
  params?: PosParamOverrides;
}

/** PoS genesis parameters a testnet may set besides its validators, slot time and epoch length. */
export type PosParamOverrides = Omit<
  NonNullable<GenesisParamsOptions["pos"]>,
  "slotsPerEpoch" | "validators"
>;

const withdrawalOf = (k: ValidatorKeyFile) => {
  const publicKey = fromHex(k.publicKey);
  return { publicKey, withdrawal: addressBytesOf(publicKey) };
};

/**
 * genesis.consensus.params of a PoS chain (through the registry) bonding `keys` in index order,
 * each withdrawing to its own address; throws CONSENSUS_BAD_PARAMS, e.g. for a stake below the
 * minimum.
 */
export function posValidatorParams(keys: ValidatorKeyFile[], o: PosChainOptions): Record<string, Json> {
  const sorted = [...keys].sort((a, b) => a.index - b.index);
  const build = (stake: bigint, validators: ValidatorKeyFile[]) =>
    genesisParams("pos", {
      blockTimeMs: o.slotMs,
      pos: {
        ...o.params,
        slotsPerEpoch: o.slotsPerEpoch,
        validators: validators.map((k) => ({ ...withdrawalOf(k), stake })),
      },
    });
  // The default stake is the minimum, read from the chain's params (a probe stake above any minimum).
  const stake = o.stake ?? BigInt(build(1n << 62n, sorted.slice(0, 1)).minStake as string);
  return build(stake, sorted);
}
