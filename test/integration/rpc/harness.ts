/** Test harness: a real RPC server on 127.0.0.1:0 over a real LevelDB in a temp dir, with a fake clock. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { type Logger, pino } from "pino";
import { ChainlabError } from "../../../src/core/errors.ts";
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  type AuditLog,
  auditLogPath,
  type CreatedApiKey,
  createNodeMetrics,
  createRpcClient,
  createRpcServer,
  loadOrCreateMasterKey,
  type NodeMetrics,
  openApiKeyStore,
  openAuditLog,
  params,
  type RpcClient,
  type RpcServer,
  type RpcServerOptions,
  signedHeaders,
  v,
} from "../../../src/rpc/index.ts";

/** A clock the test moves by hand. */
export interface FakeClock {
  t: number;
  now(): number;
}

/** A fake clock starting at a fixed instant. */
export function fakeClock(start = 1_750_000_000_000): FakeClock {
  return {
    t: start,
    now() {
      return this.t;
    },
  };
}

/** Everything a test needs. */
export interface Harness {
  dir: string;
  clock: FakeClock;
  db: Level<string, string>;
  keys: ApiKeyStore;
  audit: AuditLog;
  metrics: NodeMetrics;
  server: RpcServer;
  url: string;
  admin: CreatedApiKey;
  client(credential: string): RpcClient;
  /** Stops the server and closes the store, audit log and DB (the dir stays). */
  stop(): Promise<void>;
  /** stop() and delete the dir. */
  close(): Promise<void>;
}

/** Starts a server with an admin key and a few test methods; reuses `dir` if given. */
export async function startHarness(
  options: RpcServerOptions = {},
  init: { dir?: string; clock?: FakeClock; realClock?: boolean; logger?: Logger } = {},
): Promise<Harness> {
  const dir = init.dir ?? mkdtempSync(join(tmpdir(), "chainlab-rpc-"));
  const clock = init.clock ?? fakeClock();
  const serverClock = init.realClock ? { now: () => Date.now() } : clock;
  const logger = init.logger ?? pino({ level: "silent" });
  const db = new Level<string, string>(join(dir, "db"));
  await db.open();
  const audit = openAuditLog(auditLogPath(dir), { clock: serverClock });
  const metrics = createNodeMetrics({ defaultMetrics: false });
  const keys = await openApiKeyStore({
    db: db.sublevel<string, ApiKeyRecord>("rpc-keys", { valueEncoding: "json" }),
    masterKey: loadOrCreateMasterKey(dir),
    clock: serverClock,
    audit,
    logger,
  });
  const admin = await keys.create({ scopes: ["admin"], label: "test admin" });
  const server = createRpcServer(
    { port: 0, ...options },
    { keys, audit, metrics, logger, clock: serverClock },
  );
  server.registerMethod("test_echo", {
    scope: "read",
    params: params({ text: v.string(), n: v.optional(v.integer({ min: 0 })) }),
    handler: (p) => ({ text: p.text, n: p.n ?? null, big: 2n ** 70n }),
  });
  server.registerMethod("test_submit", { scope: "submit", params: params({}), handler: () => "submitted" });
  server.registerMethod("test_fail", {
    scope: "read",
    params: params({}),
    handler: () => {
      throw new ChainlabError("TX_NONCE_TOO_LOW", "nonce too low", { got: 1, expected: 2 });
    },
  });
  server.registerMethod("test_crash", {
    scope: "read",
    params: params({}),
    handler: () => {
      throw new Error("secret internals");
    },
  });
  const url = await server.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    await keys.close();
    await audit.close();
    await db.close();
  };
  return {
    dir,
    clock,
    db,
    keys,
    audit,
    metrics,
    server,
    url,
    admin,
    client: (credential) => createRpcClient({ url, credential, now: () => serverClock.now() }),
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A signed raw request, with overrides to forge bad ones. */
export async function rawRequest(
  url: string,
  cred: { id: string; secret: string } | undefined,
  req: {
    method?: string;
    path?: string;
    body?: string;
    timestamp: number;
    nonce?: string;
    headers?: Record<string, string>;
    omit?: string[];
  },
): Promise<{ status: number; json: unknown; text: string; headers: Headers }> {
  const method = req.method ?? "POST";
  const path = req.path ?? "/rpc";
  const body = req.body ?? "";
  const signed = cred
    ? signedHeaders(cred.id, cred.secret, {
        method,
        path,
        body,
        timestamp: req.timestamp,
        ...(req.nonce ? { nonce: req.nonce } : {}),
      })
    : {};
  const headers: Record<string, string> = { "Content-Type": "application/json", ...signed, ...req.headers };
  for (const h of req.omit ?? []) delete headers[h];
  const res = await fetch(url + path, { method, headers, ...(method === "GET" ? {} : { body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** A JSON-RPC request body. */
export function rpcBody(method: string, params?: unknown, id: number | string | null = 1): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
}
