/**
 * bench:rpc — authenticated JSON-RPC throughput against a running in-process node, next to the
 * same calls with the auth layer skipped (baseline), measured in the same run, alternating
 * rounds so machine noise hits both. The client runs on a worker thread (see bench-rpc-client.ts). Methods: account_get and tx_submit (fresh signed transfers).
 * Then the flood figure: signed account_get throughput and the server's RSS while 200
 * unauthenticated connections push junk bodies from another worker (bench-rpc-flood.ts).
 *
 *   npm run bench:rpc -- [--seconds 3] [--concurrency 16] [--rounds 2] [--json]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { toHex } from "../src/core/hash.ts";
import { encodeTx } from "../src/core/tx.ts";
import { resolveSettings } from "../src/node/config.ts";
import { startDaemon } from "../src/node/daemon.ts";
import { silentLogger } from "../src/node/logger.ts";
import { registerNodeMethods } from "../src/node/rpc-methods.ts";
import {
  type ApiKeyRecord,
  createRpcServer,
  loadOrCreateMasterKey,
  openApiKeyStore,
  openAuditLog,
  systemClock,
} from "../src/rpc/index.ts";
import { actor, easyGenesis, transfer } from "../test/helpers/fixtures.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
  },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const say = (m: string) => {
  if (!values.json) process.stderr.write(`${m}\n`);
};

const senders = Array.from({ length: 1200 }, (_, i) => actor(`rpc-sender-${i}`));
const sink = actor("sink");
const genesis = easyGenesis(senders, { balance: 10n ** 15n });
const dir = await mkdtemp(join(tmpdir(), "chainlab-bench-rpc-"));
const log = silentLogger();
const settings = resolveSettings(
  { "rpc.port": 0, "p2p.enabled": false, "rpc.rate_limit": 1e7, "rpc.rate_burst": 1e7 },
  {},
  {},
);
const daemon = await startDaemon({ dataDir: dir, genesis, mempool: { maxTxs: 1_000_000 } }, settings, log);
const credential = (await readFile(daemon.adminKeyPath!, "utf8")).trim();

// The baseline: the same node methods on a second server that skips authentication.
const baselineKeys = await openApiKeyStore({
  db: daemon.node.chain.store.db.sublevel<string, ApiKeyRecord>("bench-keys", { valueEncoding: "json" }),
  masterKey: loadOrCreateMasterKey(dir),
  clock: systemClock,
  audit: openAuditLog(join(dir, "bench-audit.log"), { clock: systemClock }),
  logger: log,
});
const baseline = createRpcServer(
  {
    host: "127.0.0.1",
    port: 0,
    unsafeSkipAuthForBenchmark: true,
    rateLimit: { ratePerSecond: 1e7, burst: 1e7 },
  },
  {
    keys: baselineKeys,
    audit: openAuditLog(join(dir, "bench-audit2.log"), { clock: systemClock }),
    metrics: daemon.metrics,
    logger: log,
  },
);
registerNodeMethods(baseline, daemon.node, { info: () => ({}) });
const baselineUrl = await baseline.start();

say("signing transfers for tx_submit ...");
const gh = daemon.node.chain.genesisHash;
const txs: string[] = [];
const perSender = Math.ceil(((2 * ROUNDS + 1) * 5000 * SECONDS) / senders.length);
for (let n = 0; n < perSender; n++)
  for (const s of senders) txs.push(toHex(encodeTx(transfer(s, sink, gh, { nonce: n }))));
const addresses = senders.map((s) => s.address);

/** Runs one measurement on a worker thread (the client) against `url`; returns requests/s. */
async function measure(
  url: string,
  credential: string | undefined,
  method: "account_get" | "tx_submit",
): Promise<number> {
  const slice = method === "tx_submit" ? txs.splice(0, Math.min(txs.length, 5000 * SECONDS)) : [];
  const worker = new Worker(new URL("./bench-rpc-client.ts", import.meta.url), {
    workerData: {
      url,
      credential,
      method,
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      addresses,
      txs: slice,
    },
  });
  return new Promise((resolve, reject) => {
    worker.once("message", (rps: number) => resolve(rps));
    worker.once("error", reject);
  });
}

/** Honest signed account_get throughput and peak RSS while `connections` sockets push junk. */
async function measureFlood(
  connections: number,
): Promise<{ rps: number; rssBeforeMiB: number; rssPeakMiB: number; attackerConnections: number }> {
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 50);
  const flood = new Worker(new URL("./bench-rpc-flood.ts", import.meta.url), {
    workerData: { url: daemon.rpcUrl!, connections, seconds: SECONDS + 1 },
  });
  const opened = new Promise<number>((resolve, reject) => {
    flood.once("message", resolve);
    flood.once("error", reject);
  });
  try {
    const rps = await measure(daemon.rpcUrl!, credential, "account_get");
    return {
      rps,
      rssBeforeMiB: rssBefore / 2 ** 20,
      rssPeakMiB: rssPeak / 2 ** 20,
      attackerConnections: await opened,
    };
  } finally {
    clearInterval(sampler);
  }
}

const results: Record<string, { auth: number[]; baseline: number[] }> = {
  account_get: { auth: [], baseline: [] },
  tx_submit: { auth: [], baseline: [] },
};
let flood: Awaited<ReturnType<typeof measureFlood>> | undefined;
try {
  for (const method of ["account_get", "tx_submit"] as const) {
    await measure(daemon.rpcUrl!, credential, method); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      results[method]!.baseline.push(await measure(baselineUrl, undefined, method));
      results[method]!.auth.push(await measure(daemon.rpcUrl!, credential, method));
      say(
        `  ${method} round ${r + 1}: auth ${results[method]!.auth.at(-1)!.toFixed(0)}/s, no auth ${results[method]!.baseline.at(-1)!.toFixed(0)}/s`,
      );
    }
  }
  say("flood: 200 unauthenticated connections pushing 1 MiB junk bodies ...");
  flood = await measureFlood(200);
} finally {
  await baseline.stop();
  await daemon.stop();
  await rm(dir, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = Object.fromEntries(
  Object.entries(results).map(([m, r]) => {
    const auth = median(r.auth);
    const base = median(r.baseline);
    return [m, { authRps: auth, baselineRps: base, overhead: 1 - auth / base }];
  }),
);
if (values.json)
  process.stdout.write(
    `${JSON.stringify({ concurrency: CONCURRENCY, seconds: SECONDS, ...summary, flood })}\n`,
  );
else {
  for (const [m, s] of Object.entries(summary)) {
    console.log(
      `${m.padEnd(12)} authenticated ${s.authRps.toFixed(0)} req/s, without auth ${s.baselineRps.toFixed(0)} req/s, auth overhead ${(s.overhead * 100).toFixed(1)}% (goal <= 15%)`,
    );
  }
  if (flood) {
    console.log(
      `flood        authenticated account_get ${flood.rps.toFixed(0)} req/s while 200 unauthenticated connections push junk (${flood.attackerConnections} opened); RSS ${flood.rssBeforeMiB.toFixed(0)} -> peak ${flood.rssPeakMiB.toFixed(0)} MiB`,
    );
  }
}
