/**
 * Chain test helpers: real chains on LevelDB in temp dirs, and sealed PoW blocks built instantly on
 * easy genesis targets (about two hashes per block), either on a chain's head through the real
 * template builder or crafted by hand on any parent to make invalid blocks.
 */

import { afterEach } from "vitest";
import { Chain } from "../../src/chain/chain.ts";
import type { OrphanLimits } from "../../src/chain/orphans.ts";
import type { BlockMeta, ChainView, ConsensusEngine } from "../../src/consensus/engine.ts";
import { compactToTarget } from "../../src/consensus/pow/difficulty.ts";
import { hashToBigInt } from "../../src/consensus/pow/engine.ts";
import { decodePowFields, encodePowFields } from "../../src/consensus/pow/layout.ts";
import { createEngine } from "../../src/consensus/registry.ts";
import { type Block, encodeHeader, HEADER_VERSION, type Header, headerHash } from "../../src/core/block.ts";
import type { Genesis } from "../../src/core/genesis.ts";
import { type Hash, sha256 } from "../../src/core/hash.ts";
import { merkleRoot } from "../../src/core/merkle.ts";
import { encodeTx, type Tx } from "../../src/core/tx.ts";
import type { SignatureVerifier } from "../../src/crypto/verify-pool.ts";
import { silentLogger } from "../../src/node/logger.ts";
import { ChainStore, openChainDb } from "../../src/storage/chain-store.ts";
import { tempDir } from "./fixtures.ts";

/** Registers async cleanups that run (newest first) after each test of the calling file. */
export function cleanupAfterEach(): (fn: () => Promise<void>) => void {
  const fns: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of fns.splice(0).reverse()) await fn();
  });
  return (fn) => {
    fns.push(fn);
  };
}

/** A chain opened on a real LevelDB. */
export interface OpenedChain {
  chain: Chain;
  /** The LevelDB directory. */
  path: string;
  /** Drains imports and closes the database (the directory stays). */
  close(): Promise<void>;
}

/** Options of openChain. */
export interface OpenChainOptions {
  /** Reopen an existing directory instead of a fresh temp dir. */
  path?: string;
  engine?: ConsensusEngine;
  now?: () => number;
  orphanLimits?: Partial<OrphanLimits>;
  /** Verifies signature batches (default: the chain's own, in the calling thread). */
  verifier?: SignatureVerifier;
}

/** Opens a chain in a fresh temp dir (removed after the test) or in `opts.path`. */
export async function openChain(
  genesis: Genesis,
  defer: (fn: () => Promise<void>) => void,
  opts: OpenChainOptions = {},
): Promise<OpenedChain> {
  let path = opts.path;
  if (path === undefined) {
    const dir = await tempDir();
    defer(dir.cleanup);
    path = dir.path;
  }
  const store = new ChainStore(await openChainDb(path));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await chain.drain();
    await store.close();
  };
  let chain: Chain;
  try {
    chain = await Chain.open({
      store,
      engine: opts.engine ?? createEngine(genesis),
      genesis,
      log: silentLogger(),
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.orphanLimits !== undefined ? { orphanLimits: opts.orphanLimits } : {}),
      ...(opts.verifier !== undefined ? { verifier: opts.verifier } : {}),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  defer(close);
  return { chain, path, close };
}

/** Finds a nonce that puts the header's hash at or below the target of its PoW bits. */
export function sealPow(header: Header): Header {
  const fields = decodePowFields(header.engine);
  const target = compactToTarget(fields.bits);
  if (target === null) throw new Error(`cannot seal: bits 0x${fields.bits.toString(16)} encode no target`);
  for (let nonce = 0; nonce < 1_000_000; nonce++) {
    const sealed = { ...header, engine: encodePowFields({ ...fields, nonce }) };
    if (hashToBigInt(sha256(encodeHeader(sealed))) <= target) return sealed;
  }
  throw new Error("cannot seal: target too hard for a test");
}

/** True when the header's hash meets the target of its PoW bits. */
export function isPowSealed(header: Header): boolean {
  const target = compactToTarget(decodePowFields(header.engine).bits);
  return target !== null && hashToBigInt(headerHash(header)) <= target;
}

/** A copy of `block` with its header changed by `edit`, then sealed again. */
export function resealed(block: Block, edit: (h: Header) => Partial<Header>): Block {
  return { ...block, header: sealPow({ ...block.header, ...edit(block.header) }) };
}

/** The default spacing of test blocks: on schedule for easyGenesis (1 s blocks). */
export const BLOCK_SPACING_MS = 1000;

/** Options of mineOn. */
export interface MineOptions {
  txs?: readonly Tx[];
  beneficiary?: Uint8Array;
  timestamp?: number;
  /** Allow the template to skip candidates that fail (default: throw, so tests never lose a tx). */
  allowSkipped?: boolean;
}

const DEFAULT_BENEFICIARY = new Uint8Array(20).fill(0xbe);

/** A sealed block on the chain's head, built by the chain's own template builder (not imported). */
export function mineOn(chain: Chain, opts: MineOptions = {}): Block {
  const parent = chain.head();
  const timestamp = opts.timestamp ?? parent.header.timestamp + BLOCK_SPACING_MS;
  const txs = opts.txs ?? [];
  const template = chain.buildTemplate({
    beneficiary: opts.beneficiary ?? DEFAULT_BENEFICIARY,
    timestamp,
    engineFields: chain.engine.prepareFields(parent, chain.view, timestamp),
    txs,
  });
  if (!opts.allowSkipped && template.txs.length !== txs.length) {
    throw new Error(`template skipped ${txs.length - template.txs.length} of ${txs.length} txs`);
  }
  return { ...template, header: sealPow(template.header) };
}

/** Mines `count` empty blocks (or blocks with `txs[i]`) on the chain's head, importing each. */
export async function extend(chain: Chain, count: number, txs: readonly Tx[][] = []): Promise<Block[]> {
  const out: Block[] = [];
  for (let i = 0; i < count; i++) {
    const block = mineOn(chain, { txs: txs[i] ?? [] });
    const result = await chain.importBlock(block);
    if (result.status !== "head") throw new Error(`mined block became ${result.status}, not head`);
    out.push(block);
  }
  return out;
}

/** Imports blocks in order and returns their statuses. */
export async function importAll(chain: Chain, blocks: readonly Block[]): Promise<string[]> {
  const out: string[] = [];
  for (const b of blocks) out.push((await chain.importBlock(b)).status);
  return out;
}

/** The parent of a crafted block: a known meta, or a crafted block that is not in any tree. */
export type CraftParent = BlockMeta | Block;

function parentMeta(p: CraftParent): BlockMeta {
  if ("hash" in p) return p;
  return { hash: headerHash(p.header), header: p.header, engineMeta: new Uint8Array(0) };
}

/** Fields of a crafted block; anything not given is derived from the parent like a template. */
export interface CraftOptions {
  txs?: readonly Tx[];
  height?: number;
  timestamp?: number;
  txRoot?: Hash;
  stateRoot?: Hash;
  beneficiary?: Uint8Array;
  engineBody?: Uint8Array;
}

/**
 * A sealed block on any parent, without executing it: the state root is whatever is given (zero by
 * default), so it is valid only for the stateless checks. Uses the engine's own prepareFields.
 */
export function craftBlock(
  engine: ConsensusEngine,
  view: ChainView,
  parent: CraftParent,
  opts: CraftOptions = {},
): Block {
  const p = parentMeta(parent);
  const txs = [...(opts.txs ?? [])];
  const timestamp = opts.timestamp ?? p.header.timestamp + BLOCK_SPACING_MS;
  const header: Header = {
    version: HEADER_VERSION,
    height: opts.height ?? p.header.height + 1,
    parentHash: p.hash,
    txRoot: opts.txRoot ?? merkleRoot(txs.map(encodeTx)),
    stateRoot: opts.stateRoot ?? new Uint8Array(32),
    beneficiary: opts.beneficiary ?? DEFAULT_BENEFICIARY,
    timestamp,
    engine: engine.prepareFields(p, view, timestamp),
  };
  return { header: sealPow(header), txs, engineBody: opts.engineBody ?? new Uint8Array(0) };
}

/** Every state entry of a chain as hex pairs, sorted: for comparing whole states. */
export function stateSnapshot(chain: Chain): [string, string][] {
  return [...chain.state.entries()]
    .map(([k, v]): [string, string] => [k, Buffer.from(v).toString("hex")])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
