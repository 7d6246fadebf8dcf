/** Shared test fixtures: deterministic keys, easy PoW genesis, temp dirs, signed transfers. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compactToTarget } from "../../src/consensus/pow/difficulty.ts";
import { hashToBigInt } from "../../src/consensus/pow/engine.ts";
import { decodePowFields, encodePowFields } from "../../src/consensus/pow/layout.ts";
import { defaultPowParams, powParamsToJson } from "../../src/consensus/pow/params.ts";
import { type Block, headerHash } from "../../src/core/block.ts";
import type { Genesis } from "../../src/core/genesis.ts";
import { sha256, utf8 } from "../../src/core/hash.ts";
import { signTx, type Tx, TxKind } from "../../src/core/tx.ts";
import { addressBytesOf, addressOf } from "../../src/crypto/address.ts";
import { publicKeyOf } from "../../src/crypto/ed25519.ts";

/** A named actor with a deterministic key. */
export interface Actor {
  name: string;
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  address: string;
  addressBytes: Uint8Array;
}

/** A deterministic actor (the seed is the hash of the name). */
export function actor(name: string): Actor {
  const secretKey = sha256(utf8(`chainlab-test-actor/${name}`));
  const publicKey = publicKeyOf(secretKey);
  return {
    name,
    secretKey,
    publicKey,
    address: addressOf(publicKey),
    addressBytes: addressBytesOf(publicKey),
  };
}

/** A PoW genesis at the easiest target (like regtest: about every other hash seals), funding the given actors. */
export function easyGenesis(
  funded: Actor[],
  opts: { balance?: bigint; blockTimeMs?: number; chainId?: number } = {},
): Genesis {
  const params = defaultPowParams(opts.blockTimeMs ?? 1000);
  params.initialBits = 0x207fffff;
  params.powLimitBits = 0x207fffff;
  params.maxFutureDriftMs = 60_000;
  const alloc: Record<string, bigint> = {};
  for (const a of funded) alloc[a.address] = opts.balance ?? 1_000_000_000n;
  return {
    chainId: opts.chainId ?? 1337,
    timestamp: 1_700_000_000_000,
    minFee: 1n,
    consensus: { type: "pow", params: powParamsToJson(params) },
    alloc,
  };
}

/** A signed transfer. */
export function transfer(
  from: Actor,
  to: Actor,
  genesisHash: Uint8Array,
  opts: { amount?: bigint; fee?: bigint; nonce: number; chainId?: number; expiresAt?: number },
): Tx {
  return signTx(
    {
      kind: TxKind.transfer,
      chainId: opts.chainId ?? 1337,
      from: from.publicKey,
      to: to.addressBytes,
      amount: opts.amount ?? 10n,
      fee: opts.fee ?? 1n,
      nonce: opts.nonce,
      expiresAt: opts.expiresAt ?? 0,
      payload: new Uint8Array(0),
    },
    from.secretKey,
    genesisHash,
  );
}

/** A temp dir removed by the returned cleanup. */
export async function tempDir(
  prefix = "chainlab-test-",
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Seals a PoW header by trying nonces (with the easy genesis bits 0x207fffff about half of all
 * hashes meet the target, so this takes ~2 tries). Returns a new block; the input is unchanged.
 */
export function sealPow(block: Block): Block {
  const target = compactToTarget(decodePowFields(block.header.engine).bits)!;
  for (let nonce = 0; ; nonce++) {
    const fields = decodePowFields(block.header.engine);
    const header = { ...block.header, engine: encodePowFields({ ...fields, nonce }) };
    if (hashToBigInt(headerHash(header)) <= target) return { ...block, header };
  }
}
