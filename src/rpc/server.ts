/**
 * The HTTP server: `POST /rpc` (signed JSON-RPC), `GET /health` (open), `GET /metrics`
 * (Prometheus; signed with read scope unless `metricsPublic`). Binds 127.0.0.1 by default and
 * refuses a non-loopback address unless told otherwise. Every request passes the Host/Origin
 * guard first; connections, in-flight body bytes, header and body time are all capped.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { createAdmitter } from "./admission.ts";
import type { ApiKeyStore } from "./api-keys.ts";
import { registerApiKeyMethods } from "./apikey-methods.ts";
import type { AuditLog } from "./audit.ts";
import { createAuthenticator } from "./authenticate.ts";
import { AuthError, RpcServerError } from "./errors.ts";
import { createRequestGuard, type HostPolicy, isLoopbackHost, type RequestGuard } from "./http-guard.ts";
import { createBodyBudget, type HttpReply, sendEmpty, sendJson, sendText } from "./http-io.ts";
import { errorResponse, stringifyJson } from "./jsonrpc.ts";
import { createMethodRegistry, type MethodDefinition, type MethodRegistry } from "./methods.ts";
import type { NodeMetrics } from "./metrics.ts";
import { createServer } from "./node-http.ts";
import { createNonceStore, NONCE_MARGIN_MS, type NonceStoreOptions, nonceQuotaFor } from "./nonce-store.ts";
import { createRateLimiter, type RateLimitOptions } from "./rate-limiter.ts";
import { dispatchRpcBody } from "./rpc-dispatch.ts";
import { type Clock, hasScope, systemClock } from "./types.ts";

/** The documented default RPC port (`--rpc-port`). */
export const DEFAULT_RPC_PORT = 8645;

/** Options of createRpcServer; every one has a default. */
export interface RpcServerOptions extends HostPolicy {
  /** Default 127.0.0.1. A non-loopback address is refused unless `allowRemote`. */
  host?: string;
  /** Default DEFAULT_RPC_PORT; 0 picks a free port. */
  port?: number;
  /**
   * Serve on a non-loopback address. There is no TLS here, so secrets returned by apikey_create
   * and apikey_rotate cross the network in clear unless a TLS proxy is in front. Default false.
   */
  allowRemote?: boolean;
  /** Accepted clock skew either way, default 30 000 ms. */
  timestampWindowMs?: number;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  /** Body bytes being read and not yet verified, over all requests (default max(16 MiB, 4 bodies)). */
  maxInflightBodyBytes?: number;
  /** Open connections at most (default 256); more are closed on arrival. */
  maxConnections?: number;
  /** Time allowed for the request line and headers (default 10 000 ms). */
  headersTimeoutMs?: number;
  /** Time allowed for the body once the headers are in (default 10 000 ms). */
  bodyTimeoutMs?: number;
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
  const bindHost = options.host ?? "127.0.0.1";
  const remote = !isLoopbackHost(bindHost);
  registerApiKeyMethods(registry, deps.keys, {
    onSecretReturned: (method) => {
      if (remote)
        logger.warn({ method, host: bindHost }, "API key secret sent over plain HTTP to a remote address");
    },
  });
  const windowMs = options.timestampWindowMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;
  const limiter = createRateLimiter(clock, options.rateLimit);
  const nonces = createNonceStore(clock, {
    maxPerKey: nonceQuotaFor(limiter, 2 * windowMs + NONCE_MARGIN_MS),
    ...options.nonceStore,
  });
  const admitter = createAdmitter({
    authenticator: createAuthenticator({ keys: deps.keys, nonces, limiter, windowMs }),
    clock,
    audit: deps.audit,
    metrics: deps.metrics,
    logger,
    maxBodyBytes,
    bodyTimeoutMs,
    budget: createBodyBudget(options.maxInflightBodyBytes ?? Math.max(16 << 20, 4 * maxBodyBytes)),
    skipAuth: options.unsafeSkipAuthForBenchmark === true,
  });
  const dispatchDeps = { ...deps, registry, limiter, logger, maxBatchSize: options.maxBatchSize ?? 100 };
  let server: Server | undefined;
  let url: string | undefined;
  let guard: RequestGuard = () => undefined;

  const route = async (req: IncomingMessage): Promise<HttpReply> => {
    const remote = req.socket.remoteAddress ?? "unknown";
    const refused = guard({ host: req.headers.host, origin: req.headers.origin });
    if (refused) return admitter.refuseEarly(req, refused, remote);
    const pathname = (req.url ?? "/").split("?")[0];
    const verb = req.method ?? "";
    if (pathname === "/rpc") {
      if (verb !== "POST") return { status: 405, headers: { Allow: "POST" } };
      const admitted = await admitter.admit(req, remote);
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
        const admitted = await admitter.admit(req, remote);
        if (admitted.reply) return admitted.reply;
        const { keyId, scopes } = admitted.caller;
        if (!hasScope(scopes, "read")) {
          return admitter.refuse(
            new AuthError("AUTH_FORBIDDEN_SCOPE", "/metrics needs scope read", { needed: "read" }),
            remote,
            keyId,
          );
        }
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
        if (reply.drop) res.destroy();
        else if (reply.body === undefined) sendEmpty(res, reply.status, reply.headers);
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
      if (remote && options.allowRemote !== true) {
        return Promise.reject(
          new RpcServerError(
            "RPC_REMOTE_BIND_REFUSED",
            `refusing to serve RPC on non-loopback ${bindHost} without --rpc-allow-remote (plain HTTP: put TLS in front)`,
            { host: bindHost },
          ),
        );
      }
      const s = createServer(
        {
          headersTimeout: headersTimeoutMs,
          // Node enforces both only when it sweeps its connections; sweep often so they fire on time.
          requestTimeout: headersTimeoutMs + bodyTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersTimeoutMs / 4))),
          keepAliveTimeout: 5_000,
        },
        onRequest,
      );
      s.maxConnections = options.maxConnections ?? 256;
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
          guard = createRequestGuard(bindHost, addr.port, options);
          if (remote) {
            logger.warn(
              { url },
              "RPC is reachable from other hosts over plain HTTP: request signing stops replay, but API key secrets returned by apikey_create/apikey_rotate travel in clear unless TLS is in front",
            );
          }
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
