/**
 * The HTTP server: `POST /rpc` (signed JSON-RPC), `GET /health` (open), `GET /metrics`
 * (Prometheus; signed with read scope unless `metricsPublic`). Binds 127.0.0.1 by default.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { ApiKeyStore } from "./api-keys.ts";
import { registerApiKeyMethods } from "./apikey-methods.ts";
import type { AuditLog } from "./audit.ts";
import { createAuthenticator, httpStatusFor, reportRejection } from "./authenticate.ts";
import { AuthError, RequestError } from "./errors.ts";
import { discardBody, readBody, sendEmpty, sendJson, sendText } from "./http-io.ts";
import { errorResponse, stringifyJson } from "./jsonrpc.ts";
import { createMethodRegistry, type MethodDefinition, type MethodRegistry } from "./methods.ts";
import type { NodeMetrics } from "./metrics.ts";
import { createNonceStore, type NonceStoreOptions } from "./nonce-store.ts";
import { createRateLimiter, type RateLimitOptions } from "./rate-limiter.ts";
import { dispatchRpcBody, type HttpReply } from "./rpc-dispatch.ts";
import { type Clock, hasScope, systemClock } from "./types.ts";

/** The documented default RPC port (`--rpc-port`). */
export const DEFAULT_RPC_PORT = 8645;

/** Options of createRpcServer; every one has a default. */
export interface RpcServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default DEFAULT_RPC_PORT; 0 picks a free port. */
  port?: number;
  /** Accepted clock skew either way, default 30 000 ms. */
  timestampWindowMs?: number;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  /** Default 100 calls per batch. */
  maxBatchSize?: number;
  rateLimit?: RateLimitOptions;
  nonceStore?: NonceStoreOptions;
  /** Serve /metrics without authentication (for a plain Prometheus scrape). Default false. */
  metricsPublic?: boolean;
  /**
   * Benchmarks only (bench:rpc's baseline): accept every /rpc request as an admin caller without
   * authentication. Not reachable from the CLI or config files; never set it on a real node.
   */
  unsafeSkipAuthForBenchmark?: boolean;
  /** Extra fields for GET /health; throwing makes /health answer 503. */
  health?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** What the node hands the server. */
export interface RpcServerDeps {
  keys: ApiKeyStore;
  audit: AuditLog;
  metrics: NodeMetrics;
  logger: Logger;
  clock?: Clock;
  /** A registry to share; by default a new one. apikey_* and rpc_methods are added to it. */
  registry?: MethodRegistry;
}

/** A running (or ready) RPC server. */
export interface RpcServer {
  readonly registry: MethodRegistry;
  /** Adds a method; may be called before or after start(). */
  registerMethod<P, R>(name: string, def: MethodDefinition<P, R>): void;
  /** Listens and resolves to the bound URL, e.g. `http://127.0.0.1:8645`. */
  start(): Promise<string>;
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  stop(): Promise<void>;
  readonly url: string | undefined;
}

/** Creates the server; nothing listens until start(). */
export function createRpcServer(options: RpcServerOptions, deps: RpcServerDeps): RpcServer {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger.child({ module: "rpc" });
  const registry = deps.registry ?? createMethodRegistry();
  registerApiKeyMethods(registry, deps.keys);
  const windowMs = options.timestampWindowMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const nonces = createNonceStore(clock, options.nonceStore);
  const authenticator = createAuthenticator({ keys: deps.keys, nonces, clock, windowMs });
  const limiter = createRateLimiter(clock, options.rateLimit);
  const dispatchDeps = { ...deps, registry, limiter, logger, maxBatchSize: options.maxBatchSize ?? 100 };
  let server: Server | undefined;
  let url: string | undefined;

  const refusal = (err: unknown, remote: string, keyId?: string): HttpReply => {
    if (!(err instanceof AuthError || err instanceof RequestError)) throw err;
    reportRejection(deps, {
      code: err.code,
      keyId: keyId ?? (err.data["keyId"] as string | undefined),
      remote,
    });
    logger.debug({ code: err.code, remote }, "request refused");
    return { status: httpStatusFor(err.code), body: stringifyJson(errorResponse(null, err)) };
  };

  /** Reads the body and authenticates; a reply means the request was refused. */
  const admit = async (req: IncomingMessage, remote: string) => {
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof RequestError) discardBody(req, 16 * maxBodyBytes);
      return { reply: { ...refusal(err, remote), headers: { Connection: "close" } } };
    }
    if (options.unsafeSkipAuthForBenchmark === true) {
      return { caller: { keyId: "k_benchmark00", scopes: ["admin"] as const }, body };
    }
    try {
      const caller = authenticator.authenticate({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
      });
      return { caller, body };
    } catch (err) {
      return { reply: refusal(err, remote) };
    }
  };

  const route = async (req: IncomingMessage): Promise<HttpReply> => {
    const remote = req.socket.remoteAddress ?? "unknown";
    const pathname = (req.url ?? "/").split("?")[0];
    const verb = req.method ?? "";
    if (pathname === "/rpc") {
      if (verb !== "POST") return { status: 405, headers: { Allow: "POST" } };
      const admitted = await admit(req, remote);
      if (admitted.reply) return admitted.reply;
      return dispatchRpcBody(admitted.body, admitted.caller, remote, dispatchDeps);
    }
    if (pathname === "/health") {
      if (verb !== "GET") return { status: 405, headers: { Allow: "GET" } };
      try {
        const extra = options.health ? await options.health() : {};
        return { status: 200, body: stringifyJson({ status: "ok", ...extra }) };
      } catch (err) {
        logger.warn({ err }, "health check failed");
        return { status: 503, body: stringifyJson({ status: "error" }) };
      }
    }
    if (pathname === "/metrics") {
      if (verb !== "GET") return { status: 405, headers: { Allow: "GET" } };
      if (!options.metricsPublic) {
        const admitted = await admit(req, remote);
        if (admitted.reply) return admitted.reply;
        const { keyId, scopes } = admitted.caller;
        if (!hasScope(scopes, "read")) {
          return refusal(
            new AuthError("AUTH_FORBIDDEN_SCOPE", "/metrics needs scope read", { needed: "read" }),
            remote,
            keyId,
          );
        }
        if (!limiter.take(keyId))
          return refusal(new RequestError("RATE_LIMITED", "rate limit exceeded"), remote, keyId);
        deps.keys.markUsed(keyId);
      }
      const text = await deps.metrics.registry.metrics();
      return { status: 200, body: text, contentType: deps.metrics.registry.contentType };
    }
    return { status: 404, body: stringifyJson({ error: "not found" }) };
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    route(req)
      .then((reply) => {
        if (reply.body === undefined) sendEmpty(res, reply.status, reply.headers);
        else if (reply.contentType) sendText(res, reply.status, reply.body, reply.contentType);
        else sendJson(res, reply.status, reply.body, reply.headers);
      })
      .catch((err: unknown) => {
        logger.error({ err }, "RPC request failed");
        if (!res.headersSent) sendJson(res, 500, stringifyJson(errorResponse(null, err)));
        else res.destroy();
      });
  };

  return {
    registry,
    get url() {
      return url;
    },
    registerMethod: (name, def) => registry.register(name, def),
    start() {
      if (server) return Promise.reject(new Error("RPC server already started"));
      const s = createServer(
        { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
        onRequest,
      );
      server = s;
      return new Promise((resolve, reject) => {
        s.once("error", (err) => {
          server = undefined;
          reject(err);
        });
        s.listen(options.port ?? DEFAULT_RPC_PORT, options.host ?? "127.0.0.1", () => {
          s.removeAllListeners("error");
          s.on("error", (err) => logger.error({ err }, "RPC server error"));
          const addr = s.address() as AddressInfo;
          const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
          url = `http://${host}:${addr.port}`;
          logger.info({ url }, "RPC server listening");
          resolve(url);
        });
      });
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = undefined;
      url = undefined;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections();
      await closed;
    },
  };
}
