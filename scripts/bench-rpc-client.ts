/**
 * The load side of bench:rpc, run on a worker thread so that the client's work (HTTP, and the
 * request signing in the authenticated case) does not share the server's event loop.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createRpcClient } from "../src/rpc/index.ts";

interface Job {
  url: string;
  credential?: string;
  method: "account_get" | "tx_submit";
  seconds: number;
  concurrency: number;
  addresses: string[];
  txs: string[];
}

const job = workerData as Job;
const client = createRpcClient({ url: job.url, ...(job.credential ? { credential: job.credential } : {}) });
const deadline = performance.now() + job.seconds * 1000;
let done = 0;
let nextTx = 0;
const worker = async () => {
  while (performance.now() < deadline) {
    if (job.method === "account_get") {
      await client.call("account_get", { address: job.addresses[done % job.addresses.length] });
    } else {
      if (nextTx >= job.txs.length) throw new Error("ran out of pre-signed txs; lower --seconds");
      await client.call("tx_submit", { tx: job.txs[nextTx++] });
    }
    done++;
  }
};
const start = performance.now();
await Promise.all(Array.from({ length: job.concurrency }, worker));
parentPort!.postMessage(done / ((performance.now() - start) / 1000));
