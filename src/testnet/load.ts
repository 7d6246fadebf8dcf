/**
 * Transfer load for a testnet: signed transfers between the prefunded accounts at a target rate,
 * submitted in JSON-RPC batches round-robin across the nodes, and inclusion tracked by following
 * the chain of one node. Reports submitted, accepted, included, rejected by reason, inclusion
 * latency p50/p95 and the achieved rates.
 */
import { readFile } from "node:fs/promises";
import { hashFromHex, toHex } from "../core/hash.ts";
import { encodeTx, signTx, TxKind, txId } from "../core/tx.ts";
import { decodeAddress } from "../crypto/address.ts";
import { readKeystoreFile } from "../crypto/keystore.ts";
import { type RpcClient, RpcClientError } from "../rpc/index.ts";
import { TestnetError } from "./manifest.ts";
import type { Testnet } from "./testnet.ts";

/** Options of runLoad. */
export interface LoadOptions {
  tps: number;
  durationSeconds: number;
  /** How long to wait for stragglers after the last submission. */
  drainSeconds?: number;
  amount?: bigint;
  fee?: bigint;
  onProgress?: (p: { elapsed: number; submitted: number; accepted: number; included: number }) => void;
}

/** The outcome of a load run. */
export interface LoadReport {
  targetTps: number;
  durationSeconds: number;
  submitted: number;
  accepted: number;
  included: number;
  rejected: Record<string, number>;
  pendingAtEnd: number;
  latencyMs: { p50: number | null; p95: number | null; max: number | null };
  submittedTps: number;
  includedTps: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Most not-yet-included txs per sender. Nodes refuse nonces more than 256 (the mempool's default
 * future-nonce window) above the chain's account nonce, so a sender that ran further ahead would
 * only collect MEMPOOL_NONCE_GAP rejections; past this, the load waits (achieved tx/s drops).
 */
const MAX_OUTSTANDING_PER_SENDER = 192;

/** Resends of a batch whose request failed in transport. */
const SUBMIT_RETRIES = 3;
const RESENT_OK = new Set(["MEMPOOL_ALREADY_KNOWN", "TX_NONCE_TOO_LOW"]);

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs transfer load against a testnet and returns the report. */
/** Most account_get requests in flight while the load reads the senders' nonces. */
const NONCE_FETCH_CONCURRENCY = 32;

export async function runLoad(net: Testnet, o: LoadOptions): Promise<LoadReport> {
  if (!(o.tps > 0) || !(o.durationSeconds > 0))
    throw new TestnetError("TESTNET_BAD_OPTIONS", "--tps and --duration must be positive");
  const m = net.manifest;
  const passphrase = (await readFile(m.passphraseFile, "utf8")).replace(/\r?\n$/, "");
  const keys = await Promise.all(m.accounts.map((a) => readKeystoreFile(a.keystore, passphrase)));
  const live = (await net.status())
    .filter((s) => s.up)
    .map((s) => m.nodes.findIndex((n) => n.name === s.name));
  if (live.length === 0) throw new TestnetError("TESTNET_NODE_DOWN", "no node is up");
  const clients = await Promise.all(live.map((i) => net.client(i)));
  const info = await clients[0]!.call<{ chainId: number; genesisHash: string }>("node_info");
  const genesisHash = hashFromHex(info.genesisHash);
  // A bounded number of requests in flight: the node caps its RPC connections (rpc.max_connections).
  const nonces: number[] = [];
  for (let i = 0; i < keys.length; i += NONCE_FETCH_CONCURRENCY) {
    const chunk = keys.slice(i, i + NONCE_FETCH_CONCURRENCY);
    const got = await Promise.all(
      chunk.map(
        async (k) =>
          (await clients[0]!.call<{ pendingNonce: number }>("account_get", { address: k.address }))
            .pendingNonce,
      ),
    );
    nonces.push(...got);
  }
  const recipients = keys.map((_, i) => decodeAddress(keys[(i + 1) % keys.length]!.address));

  const submittedAt = new Map<string, number>();
  const senderOf = new Map<string, number>();
  const outstanding = keys.map(() => 0);
  const settle = (id: string) => {
    const from = senderOf.get(id);
    if (from !== undefined) outstanding[from]!--;
    senderOf.delete(id);
    submittedAt.delete(id);
  };
  const latencies: number[] = [];
  const rejected: Record<string, number> = {};
  let submitted = 0;
  let accepted = 0;
  let included = 0;
  let sender = 0;
  let stopFollowing = false;
  let lastIncludedAt = 0;

  // Inclusion: follow node 0's canonical chain and match tx ids. A block whose parent is not the
  // block scanned below it means a reorg: step back and rescan, so txs that moved to the new
  // branch are counted too.
  const follower = (async () => {
    const start = await clients[0]!.call<{ height: number; hash: string }>("chain_getHead");
    let height = start.height;
    const scanned = new Map<number, string>([[height, start.hash]]);
    while (!stopFollowing) {
      const head = await clients[0]!.call<{ height: number }>("chain_getHead").catch(() => undefined);
      if (head !== undefined) {
        while (height < head.height) {
          const b = await clients[0]!
            .call<{ hash: string; parentHash: string; txs: string[] } | null>("chain_getBlockByHeight", {
              height: height + 1,
            })
            .catch(() => null);
          if (b === null) break;
          const below = scanned.get(height);
          if (below !== undefined && b.parentHash !== below) {
            scanned.delete(height);
            height--;
            continue;
          }
          height++;
          scanned.set(height, b.hash);
          const now = Date.now();
          for (const id of b.txs) {
            const t = submittedAt.get(id);
            if (t !== undefined) {
              settle(id);
              latencies.push(now - t);
              included++;
              lastIncludedAt = now;
            }
          }
        }
      }
      await sleep(100);
    }
  })();

  // A batch that failed in transport (e.g. a timeout) may or may not have reached the node; giving
  // up would leave a nonce hole that strands every later tx of its senders, so resend it. On a
  // resend MEMPOOL_ALREADY_KNOWN (in the pool) and TX_NONCE_TOO_LOW (already in a block) mean the
  // first attempt got through: they count as accepted and inclusion is still tracked.
  const submitChunk = async (client: RpcClient, chunk: { id: string; hex: string }[]): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      let results: unknown[];
      try {
        results = await client.batch(chunk.map((t) => ({ method: "tx_submit", params: { tx: t.hex } })));
      } catch (err) {
        const code = err instanceof RpcClientError ? err.code : "RPC_FAILED";
        if (code === "RPC_TRANSPORT" && attempt < SUBMIT_RETRIES) continue;
        for (const t of chunk) settle(t.id);
        rejected[code] = (rejected[code] ?? 0) + chunk.length;
        return;
      }
      results.forEach((r, j) => {
        if (!(r instanceof RpcClientError) || (attempt > 0 && RESENT_OK.has(r.code))) accepted++;
        else {
          settle(chunk[j]!.id);
          rejected[r.code] = (rejected[r.code] ?? 0) + 1;
        }
      });
      return;
    }
  };

  const started = Date.now();
  const tickMs = 50;
  let due = 0;
  let rr = 0;
  const inflight: Promise<void>[] = [];
  while (Date.now() - started < o.durationSeconds * 1000) {
    const elapsed = (Date.now() - started) / 1000;
    const target = Math.floor(elapsed * o.tps);
    due = target - submitted;
    if (due > 0) {
      const txs: { id: string; hex: string; from: number }[] = [];
      for (let k = 0; k < due; k++) {
        let i = sender++ % keys.length;
        for (let tries = 1; outstanding[i]! >= MAX_OUTSTANDING_PER_SENDER && tries < keys.length; tries++)
          i = sender++ % keys.length;
        if (outstanding[i]! >= MAX_OUTSTANDING_PER_SENDER) break;
        outstanding[i]!++;
        const key = keys[i]!;
        const tx = signTx(
          {
            kind: TxKind.transfer,
            chainId: info.chainId,
            from: key.publicKey,
            to: recipients[i]!,
            amount: o.amount ?? 1n,
            fee: o.fee ?? 1n,
            nonce: nonces[i]!,
            expiresAt: 0,
            payload: new Uint8Array(0),
          },
          key.secretKey,
          genesisHash,
        );
        nonces[i]!++;
        txs.push({ id: toHex(txId(tx)), hex: toHex(encodeTx(tx)), from: i });
      }
      submitted += txs.length;
      for (let start = 0; start < txs.length; start += 100) {
        const chunk = txs.slice(start, start + 100);
        const client = clients[rr++ % clients.length]!;
        const now = Date.now();
        for (const t of chunk) {
          submittedAt.set(t.id, now);
          senderOf.set(t.id, t.from);
        }
        inflight.push(submitChunk(client, chunk));
      }
      o.onProgress?.({ elapsed, submitted, accepted, included });
    }
    await sleep(tickMs);
  }
  await Promise.all(inflight);
  const sendSeconds = (Date.now() - started) / 1000;
  const drainUntil = Date.now() + (o.drainSeconds ?? 30) * 1000;
  while (submittedAt.size > 0 && Date.now() < drainUntil) {
    o.onProgress?.({ elapsed: (Date.now() - started) / 1000, submitted, accepted, included });
    await sleep(250);
  }
  stopFollowing = true;
  await follower;
  const sorted = [...latencies].sort((a, b) => a - b);
  const lastInclusionSeconds = lastIncludedAt > 0 ? (lastIncludedAt - started) / 1000 : sendSeconds;
  return {
    targetTps: o.tps,
    durationSeconds: o.durationSeconds,
    submitted,
    accepted,
    included,
    rejected,
    pendingAtEnd: submittedAt.size,
    latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? null },
    submittedTps: submitted / sendSeconds,
    includedTps: included / Math.max(sendSeconds, lastInclusionSeconds),
  };
}
