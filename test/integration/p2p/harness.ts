/** In-process multi-node harness for p2p tests: nodes on 127.0.0.1:0, manual block sealing, event waits. */
import type { Logger } from "pino";
import pino from "pino";
import { compactToTarget } from "../../../src/consensus/pow/difficulty.ts";
import { hashToBigInt, type PowEngine } from "../../../src/consensus/pow/engine.ts";
import { encodePowFields } from "../../../src/consensus/pow/layout.ts";
import { type Block, headerHash } from "../../../src/core/block.ts";
import type { Genesis } from "../../../src/core/genesis.ts";
import type { Tx } from "../../../src/core/tx.ts";
import { ChainlabNode, type NodeConfig } from "../../../src/node/node.ts";
import { createP2P, type P2POptions, type P2PService } from "../../../src/p2p/index.ts";
import { actor, tempDir } from "../../helpers/fixtures.ts";

/** A node with its p2p service and data dir. */
export interface TestPeer {
  name: string;
  node: ChainlabNode;
  p2p: P2PService;
  dataDir: string;
  /** Stops p2p and the node (keeps the data dir). */
  stop(): Promise<void>;
}

const miner = actor("miner");

/** The test logger: silent unless P2P_TEST_LOG=level. */
export function testLogger(name: string): Logger {
  const level = process.env.P2P_TEST_LOG ?? "silent";
  return pino({ level, base: { node: name } });
}

/** Owns every node and dir a test creates, and tears them down. */
export class Harness {
  readonly peers: TestPeer[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];

  /** Opens a node (new or existing data dir) and starts its p2p service. */
  async start(
    name: string,
    genesis: Genesis,
    opts: Partial<P2POptions> & {
      dataDir?: string;
      mempool?: NodeConfig["mempool"];
      /** Engine section and block production (PoS validator keys). */
      node?: Pick<NodeConfig, "engineConfig" | "produce">;
    } = {},
  ): Promise<TestPeer> {
    let dataDir = opts.dataDir;
    if (dataDir === undefined) {
      const dir = await tempDir(`chainlab-p2p-${name}-`);
      this.cleanups.push(dir.cleanup);
      dataDir = dir.path;
    }
    const log = testLogger(name);
    const { mempool, node: nodeOpts, ...p2pOpts } = opts;
    const node = await ChainlabNode.open(
      { dataDir, genesis, ...(mempool ? { mempool } : {}), ...nodeOpts },
      log,
    );
    const p2p = await createP2P(
      node,
      {
        reconnectBaseMs: 100,
        reconnectMaxMs: 1000,
        statusIntervalMs: 1000,
        progressLogMs: 1000,
        ...p2pOpts,
        dataDir,
      },
      { log },
    );
    await p2p.start();
    let stopped = false;
    const peer: TestPeer = {
      name,
      node,
      p2p,
      dataDir,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await p2p.stop();
        await node.stop();
      },
    };
    this.peers.push(peer);
    return peer;
  }

  /** Stops every node, then removes the temp dirs. */
  async close(): Promise<void> {
    await Promise.allSettled(this.peers.map((p) => p.stop()));
    for (const c of this.cleanups.splice(0)) await c().catch(() => {});
  }
}

/** Seals a PoW header by trying nonces (easy genesis: about two tries). */
export function sealBlock(node: ChainlabNode, template: Block): Block {
  const engine = node.engine as PowEngine;
  const bits = engine.fields(template.header).bits;
  const target = compactToTarget(bits)!;
  for (let nonce = 0; ; nonce++) {
    const header = { ...template.header, engine: encodePowFields({ bits, extraNonce: 0n, nonce }) };
    if (hashToBigInt(headerHash(header)) <= target) return { ...template, header };
  }
}

/** Builds and seals a block on `node`'s head (mempool txs unless `txs` is given), without importing it. */
export function buildBlock(node: ChainlabNode, opts: { txs?: Tx[]; beneficiary?: Uint8Array } = {}): Block {
  const engine = node.engine as PowEngine;
  const view = node.chain.view;
  const parent = node.chain.head();
  const timestamp = engine.templateTimestamp(parent, view, Date.now());
  const engineFields = engine.prepareFields(parent, view);
  const txs = opts.txs ?? node.mempool.selectForBlock({ maxTxs: 2000, height: parent.header.height + 1 });
  const template = node.chain.buildTemplate({
    beneficiary: opts.beneficiary ?? miner.addressBytes,
    timestamp,
    engineFields,
    txs,
  });
  return sealBlock(node, template);
}

/** Mines one block on `node` and imports it as a local block (the relay publishes it). */
export async function mineBlock(node: ChainlabNode, opts: { txs?: Tx[] } = {}): Promise<Block> {
  const block = buildBlock(node, opts);
  const r = await node.importBlock(block, { kind: "local" });
  if (r.status !== "head") throw new Error(`mined block imported as ${r.status}`);
  return block;
}

/** Mines `n` blocks in a row. */
export async function mineBlocks(node: ChainlabNode, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await mineBlock(node);
}

/**
 * Resolves when `check()` holds, re-checking whenever `subscribe`'s callback fires; rejects after
 * `timeoutMs` with `label` and what `detail()` says of the state then.
 */
export function waitFor(
  label: string,
  check: () => boolean,
  subscribe: (wake: () => void) => (() => void) | (() => void)[],
  timeoutMs = 20_000,
  detail?: () => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    let offs: (() => void)[] = [];
    const done = (err?: Error): void => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () =>
        done(
          new Error(`timed out after ${timeoutMs} ms waiting for ${label}${detail ? ` (${detail()})` : ""}`),
        ),
      timeoutMs,
    );
    const wake = (): void => {
      try {
        if (check()) done();
      } catch (err) {
        done(err as Error);
      }
    };
    const off = subscribe(wake);
    offs = Array.isArray(off) ? off : [off];
  });
}

/** Waits until every peer's head hash equals `hash` (hex) or, with a number, reaches that height. */
export function waitForHeads(peers: TestPeer[], target: string | number, timeoutMs = 20_000): Promise<void> {
  const ok = (p: TestPeer): boolean => {
    const head = p.node.chain.head();
    return typeof target === "number"
      ? head.header.height >= target
      : Buffer.from(head.hash).toString("hex") === target;
  };
  return waitFor(
    `heads ${target} on ${peers.map((p) => p.name).join(",")}`,
    () => peers.every(ok),
    (wake) => peers.map((p) => p.node.chain.onHeadChange(wake)),
    timeoutMs,
  );
}

/** Waits until `a` and `b` are connected (both directions see it). */
export function waitConnected(a: TestPeer, b: TestPeer, timeoutMs = 10_000): Promise<void> {
  const linked = (): boolean =>
    a.p2p.peers().some((p) => p.id === b.p2p.peerId && p.head !== undefined) &&
    b.p2p.peers().some((p) => p.id === a.p2p.peerId && p.head !== undefined);
  return waitFor(
    `${a.name}<->${b.name}`,
    linked,
    (wake) => [a.p2p.on("peer:status", wake), b.p2p.on("peer:status", wake)],
    timeoutMs,
  );
}

/** Connects `b` to `a` and waits for the status handshake on both sides. */
export async function link(a: TestPeer, b: TestPeer): Promise<void> {
  const wait = waitConnected(a, b);
  await b.p2p.connect(a.p2p.multiaddrs()[0]!);
  await wait;
}
