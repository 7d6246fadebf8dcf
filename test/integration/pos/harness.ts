/**
 * In-process PoS testnets: N real nodes with real libp2p on 127.0.0.1:0, each validator key in an
 * encrypted keystore under its node's `[pos] keys_dir` (cheap scrypt), short slots, and waits on
 * events (head changes, finality) rather than sleeps.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PosEngine } from "../../../src/consensus/pos/engine.ts";
import { type PosGenesisOptions, posGenesisParams } from "../../../src/consensus/pos/params.ts";
import type { Genesis } from "../../../src/core/genesis.ts";
import { toHex } from "../../../src/core/hash.ts";
import { encryptKeystore, writeKeystoreFile } from "../../../src/crypto/keystore.ts";
import type { P2POptions } from "../../../src/p2p/index.ts";
import { type Actor, actor, tempDir } from "../../helpers/fixtures.ts";
import { Harness, link, type TestPeer, waitFor } from "../p2p/harness.ts";

export const STAKE = 32n * 1_0000_0000n;
const PASSPHRASE = "pos-test-passphrase";

/** A PoS genesis for `validators`, starting `startInMs` from now. */
export function posGenesis(
  validators: Actor[],
  o: {
    slotMs: number;
    slotsPerEpoch: number;
    startInMs?: number;
    funded?: Actor[];
    /** Other parameters than the defaults (e.g. a fast inactivity leak). */
    params?: Omit<PosGenesisOptions, "slotMs" | "slotsPerEpoch" | "validators">;
  },
): Genesis {
  const alloc: Record<string, bigint> = {};
  for (const a of o.funded ?? []) alloc[a.address] = 1_000_000_000n;
  const start = Date.now() + (o.startInMs ?? 0);
  return {
    chainId: 7331,
    timestamp: start - (start % o.slotMs),
    minFee: 1n,
    consensus: {
      type: "pos",
      params: posGenesisParams({
        ...o.params,
        slotMs: o.slotMs,
        slotsPerEpoch: o.slotsPerEpoch,
        validators: validators.map((v) => ({
          publicKey: v.publicKey,
          stake: STAKE,
          withdrawal: v.addressBytes,
        })),
      }),
    },
    alloc,
  };
}

/** Deterministic validator actors. */
export function validatorActors(n: number, prefix = "validator"): Actor[] {
  return Array.from({ length: n }, (_, i) => actor(`${prefix}-${i}`));
}

/** A PoS node and its handle. */
export interface PosPeer extends TestPeer {
  engine: PosEngine;
}

/** Owns the nodes and dirs of one test (the p2p harness, with validator keystores). */
export class PosHarness {
  readonly peers: PosPeer[] = [];
  private readonly h = new Harness();
  private readonly cleanups: (() => Promise<void>)[] = [];

  /** Opens a node whose keys_dir holds `keys`, starts p2p, the engine clock and the validator client. */
  async start(
    name: string,
    genesis: Genesis,
    keys: Actor[],
    o: { unsafeEquivocate?: boolean; dataDir?: string; p2p?: Partial<P2POptions> } = {},
  ): Promise<PosPeer> {
    let dataDir = o.dataDir;
    if (dataDir === undefined) {
      const dir = await tempDir(`chainlab-pos-${name}-`);
      this.cleanups.push(dir.cleanup);
      dataDir = dir.path;
    }
    const keysDir = join(dataDir, "keys");
    await mkdir(keysDir, { recursive: true, mode: 0o700 });
    const passphraseFile = join(dataDir, "passphrase");
    await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    for (const k of keys) {
      const path = join(keysDir, `${toHex(k.publicKey).slice(0, 16)}.json`);
      await writeKeystoreFile(path, await encryptKeystore(k.secretKey, PASSPHRASE, { n: 1024 }), {
        overwrite: true,
      });
    }
    const peer = await this.h.start(name, genesis, {
      statusIntervalMs: 500,
      ...o.p2p,
      dataDir,
      node: {
        engineConfig: {
          keys_dir: keysDir,
          passphrase_file: passphraseFile,
          unsafe_equivocate: o.unsafeEquivocate ?? false,
        },
        produce: { beneficiary: keys[0]?.addressBytes ?? new Uint8Array(20) },
      },
    });
    peer.node.start();
    if (keys.length > 0) peer.node.startProducing();
    const pos: PosPeer = Object.assign(peer, { engine: peer.node.engine as PosEngine });
    this.peers.push(pos);
    return pos;
  }

  async close(): Promise<void> {
    await this.h.close();
    for (const c of this.cleanups.splice(0)) await c().catch(() => {});
  }
}

/** Links the peers in a ring (each to the next). */
export async function ring(peers: PosPeer[]): Promise<void> {
  for (let i = 0; i < peers.length; i++) {
    const a = peers[i]!;
    const b = peers[(i + 1) % peers.length]!;
    if (a !== b && !a.p2p.peers().some((p) => p.id === b.p2p.peerId)) await link(a, b);
  }
}

/** Waits until every peer's finalized epoch is at least `epoch`. */
export function waitForFinalized(peers: PosPeer[], epoch: number, timeoutMs = 30_000): Promise<void> {
  return waitFor(
    `finalized epoch ${epoch} on ${peers.map((p) => p.name).join(",")}`,
    () => peers.every((p) => (p.node.chain.finalized().epoch ?? 0) >= epoch),
    (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
    timeoutMs,
  );
}

/** Waits until every peer's head slot is at least `slot`. */
export function waitForSlot(peers: PosPeer[], slot: number, timeoutMs = 30_000): Promise<void> {
  return waitFor(
    `head slot ${slot} on ${peers.map((p) => p.name).join(",")}`,
    () => peers.every((p) => p.engine.fields(p.node.chain.head().header).slot >= slot),
    (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
    timeoutMs,
  );
}

/** Cuts every connection between `side` and `other` (both directions) and waits until none is left. */
export async function split(side: PosPeer[], other: PosPeer[]): Promise<void> {
  for (const p of side) p.p2p.partition(other.map((o) => o.p2p.peerId));
  for (const p of other) p.p2p.partition(side.map((o) => o.p2p.peerId));
  const crossing = (): boolean =>
    side.some((p) => p.p2p.peers().some((x) => other.some((o) => o.p2p.peerId === x.id)));
  await waitFor(
    "partition",
    () => !crossing(),
    (wake) => [...side, ...other].map((p) => p.p2p.on("peer:disconnected", wake)),
  );
}
