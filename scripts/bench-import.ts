/**
 * bench:import — import throughput of a generated chain into LevelDB.
 *
 * Generates N blocks of M signed transfers on the easy test genesis (every hash meets the target),
 * then imports them into a fresh node and prints blocks/s and tx/s, next to baselines measured in
 * the same run on the same txs:
 *   - the same import with signatures verified on the main thread (`verify.threads` 0, as before
 *     the worker pool), and the share of its time spent in ed25519 verification;
 *   - the all-core signature limit: node:crypto verify of every signature on a worker per core
 *     (no import can beat it while every signature is checked);
 *   - raw `level` batch writes of the same block bytes.
 *
 *   npm run bench:import -- [--blocks 2000] [--txs 100] [--json] [--skip-in-thread]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Level } from "level";
import { type Block, encodeBlock, headerHash } from "../src/core/block.ts";
import { isTxSignatureValid, type Tx, txId, txSigningMessage } from "../src/core/tx.ts";
import { createVerifyPool } from "../src/crypto/verify-pool.ts";
import { silentLogger } from "../src/node/logger.ts";
import { ChainlabNode } from "../src/node/node.ts";
import { actor, easyGenesis, sealPow, transfer } from "../test/helpers/fixtures.ts";

const { values } = parseArgs({
  options: {
    blocks: { type: "string", default: "2000" },
    txs: { type: "string", default: "100" },
    json: { type: "boolean", default: false },
    "skip-in-thread": { type: "boolean", default: false },
  },
});
const BLOCKS = Number(values.blocks);
const TXS = Number(values.txs);
const log = (msg: string) => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};

const senders = Array.from({ length: TXS }, (_, i) => actor(`sender-${i}`));
const sink = actor("sink");
const miner = actor("miner");
const genesis = easyGenesis(senders, { balance: 10n ** 15n, blockTimeMs: 1000 });

async function generate(dir: string): Promise<{ blocks: Block[]; bytes: Uint8Array[] }> {
  const node = await ChainlabNode.open({ dataDir: dir, genesis }, silentLogger());
  const gh = node.chain.genesisHash;
  const engine = node.engine as unknown as {
    prepareFields(p: unknown, v: unknown): Uint8Array;
    templateTimestamp(p: unknown, v: unknown, now: number): number;
  };
  const blocks: Block[] = [];
  const start = performance.now();
  let clock = genesis.timestamp;
  for (let b = 0; b < BLOCKS; b++) {
    const txs: Tx[] = senders.map((s) => transfer(s, sink, gh, { nonce: b, amount: 1n, fee: 1n }));
    const parent = node.chain.head();
    clock += 1000;
    const block = sealPow(
      node.chain.buildTemplate({
        beneficiary: miner.addressBytes,
        timestamp: engine.templateTimestamp(parent, node.chain.view, clock),
        engineFields: engine.prepareFields(parent, node.chain.view),
        txs,
      }),
    );
    if (block.txs.length !== TXS) throw new Error(`template dropped txs at block ${b}`);
    await node.importBlock(block, { kind: "local" });
    blocks.push(block);
    if ((b + 1) % 500 === 0)
      log(`  generated ${b + 1}/${BLOCKS} blocks (${((performance.now() - start) / 1000).toFixed(1)} s)`);
  }
  await node.stop();
  return { blocks, bytes: blocks.map(encodeBlock) };
}

async function timeImport(dir: string, blocks: Block[], verifyThreads?: number): Promise<number> {
  const node = await ChainlabNode.open(
    {
      dataDir: dir,
      genesis,
      now: () => Number.MAX_SAFE_INTEGER / 2,
      ...(verifyThreads !== undefined ? { verify: { threads: verifyThreads } } : {}),
    },
    silentLogger(),
  );
  const start = performance.now();
  for (const block of blocks) {
    const r = await node.importBlock(block, { kind: "local" });
    if (r.status !== "head") throw new Error(`block ${block.header.height} imported as ${r.status}`);
  }
  const ms = performance.now() - start;
  await node.stop();
  return ms;
}

async function timeRawLevel(dir: string, blocks: Block[], bytes: Uint8Array[]): Promise<number> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  const start = performance.now();
  for (let i = 0; i < bytes.length; i++) {
    const key = headerHash(blocks[i]!.header);
    await db.batch([{ type: "put", key, value: bytes[i]! }]);
  }
  const ms = performance.now() - start;
  await db.close();
  return ms;
}

/** node:crypto verify of every signature on one worker per core, batches of one block. */
async function timeAllCoreVerify(
  blocks: Block[],
  genesisHash: Uint8Array,
): Promise<{ ms: number; threads: number }> {
  const threads = availableParallelism();
  const pool = createVerifyPool({ threads, inlineBelow: 1, idleMs: 0 });
  const batches = blocks.map((b) =>
    b.txs.map((tx) => ({
      signature: tx.signature,
      publicKey: tx.from,
      message: txSigningMessage(txId(tx), genesisHash),
    })),
  );
  await pool.verifyEach(batches[0]!.slice(0, threads)); // start the workers outside the timing
  const start = performance.now();
  // Keep a few batches in flight so no worker waits for the next one.
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const valid = await pool.verifyEach(batches[next++]!);
      if (valid.includes(0)) throw new Error("bad sig");
    }
  };
  await Promise.all(Array.from({ length: threads * 2 }, lane));
  const ms = performance.now() - start;
  await pool.close();
  return { ms, threads };
}

function timeVerify(blocks: Block[], genesisHash: Uint8Array): number {
  const start = performance.now();
  for (const b of blocks)
    for (const tx of b.txs) if (!isTxSignatureValid(tx, genesisHash)) throw new Error("bad sig");
  return performance.now() - start;
}

const root = await mkdtemp(join(tmpdir(), "chainlab-bench-import-"));
try {
  log(`generating ${BLOCKS} blocks x ${TXS} transfers ...`);
  const { blocks, bytes } = await generate(join(root, "source"));
  const gh = headerHash(
    (
      await ChainlabNode.open({ dataDir: join(root, "source"), genesis }, silentLogger()).then(async (n) => {
        const g = n.chain.tree.genesis();
        await n.stop();
        return g;
      })
    ).header,
  );
  log("importing into a fresh node (signatures on the worker pool) ...");
  const importMs = await timeImport(join(root, "import"), blocks);
  let inThreadMs: number | undefined;
  if (!values["skip-in-thread"]) {
    log("importing into a fresh node (signatures on the main thread) ...");
    inThreadMs = await timeImport(join(root, "import-main"), blocks, 0);
  }
  log("raw level batches of the same bytes ...");
  const rawMs = await timeRawLevel(join(root, "raw"), blocks, bytes);
  log("signature verification, one thread and every core ...");
  const verifyMs = timeVerify(blocks, gh);
  const allCore = await timeAllCoreVerify(blocks, gh);
  const totalTxs = BLOCKS * TXS;
  const totalBytes = bytes.reduce((a, b) => a + b.length, 0);
  const result = {
    blocks: BLOCKS,
    txsPerBlock: TXS,
    bytes: totalBytes,
    importSeconds: importMs / 1000,
    blocksPerSecond: BLOCKS / (importMs / 1000),
    txPerSecond: totalTxs / (importMs / 1000),
    inThreadImportSeconds: inThreadMs === undefined ? undefined : inThreadMs / 1000,
    inThreadTxPerSecond: inThreadMs === undefined ? undefined : totalTxs / (inThreadMs / 1000),
    poolVsInThread: inThreadMs === undefined ? undefined : inThreadMs / importMs,
    signatureVerifySeconds: verifyMs / 1000,
    signatureShareInThread: inThreadMs === undefined ? undefined : verifyMs / inThreadMs,
    oneThreadVerifyPerSecond: totalTxs / (verifyMs / 1000),
    allCoreThreads: allCore.threads,
    allCoreVerifyPerSecond: totalTxs / (allCore.ms / 1000),
    importVsAllCoreVerify: allCore.ms / importMs,
    rawLevelSeconds: rawMs / 1000,
    rawLevelBlocksPerSecond: BLOCKS / (rawMs / 1000),
    importVsRawLevel: rawMs / importMs,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const f = (n: number) => n.toFixed(1);
    console.log(
      `import:          ${f(result.blocksPerSecond)} blocks/s, ${f(result.txPerSecond)} tx/s (${f(result.importSeconds)} s, ${(totalBytes / 1e6).toFixed(1)} MB)`,
    );
    if (result.inThreadTxPerSecond !== undefined) {
      console.log(
        `baseline:        the same import verifying on the main thread: ${f(result.inThreadTxPerSecond)} tx/s (pool = ${result.poolVsInThread!.toFixed(2)}x); signatures were ${(result.signatureShareInThread! * 100).toFixed(1)}% of its time`,
      );
    }
    console.log(
      `signature limit: node:crypto verify, 1 thread ${f(result.oneThreadVerifyPerSecond)}/s; all ${allCore.threads} cores ${f(result.allCoreVerifyPerSecond)}/s (import = ${(result.importVsAllCoreVerify * 100).toFixed(1)}% of the all-core limit)`,
    );
    console.log(
      `baseline:        raw level batch writes of the same bytes: ${f(result.rawLevelBlocksPerSecond)} blocks/s (${f(result.rawLevelSeconds)} s)`,
    );
    console.log(
      `ratio:           import / raw level = ${(result.importVsRawLevel * 100).toFixed(1)}% of raw write speed`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
