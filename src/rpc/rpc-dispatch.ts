/**
 * Handles the body of an authenticated `POST /rpc`: parse, envelope checks, the scope check of
 * every call (a batch is refused whole with 403 if any call needs a scope the key lacks, so nothing
 * runs), the rate limit (one token per call; the authenticator already took the first), then the
 * calls themselves, concurrently.
 */
import type { Logger } from "pino";
import type { ApiKeyStore } from "./api-keys.ts";
import type { AuditLog } from "./audit.ts";
import { type AuthenticatedCaller, rateLimited, reportRejection } from "./authenticate.ts";
import { AuthError, JsonRpcError, type RequestError } from "./errors.ts";
import { type HttpReply, refusalReply } from "./http-io.ts";
import {
  checkRequest,
  errorResponse,
  idOf,
  type JsonRpcRequest,
  type JsonRpcResponse,
  stringifyJson,
} from "./jsonrpc.ts";
import type { MethodRegistry } from "./methods.ts";
import type { NodeMetrics } from "./metrics.ts";
import type { RateLimiter } from "./rate-limiter.ts";
import { hasScope } from "./types.ts";

/** What dispatch needs. */
export interface RpcDispatchDeps {
  registry: MethodRegistry;
  limiter: RateLimiter;
  keys: ApiKeyStore;
  audit: AuditLog;
  metrics: NodeMetrics;
  logger: Logger;
  maxBatchSize: number;
}

type Entry = { ok: true; request: JsonRpcRequest } | { ok: false; reason: string; id: JsonRpcResponse["id"] };

/** Runs the calls in `body` for an authenticated caller. */
export async function dispatchRpcBody(
  body: Buffer,
  caller: AuthenticatedCaller,
  remote: string,
  deps: RpcDispatchDeps,
): Promise<HttpReply> {
  const { registry } = deps;
  const refuse = (err: AuthError | JsonRpcError | RequestError, method?: string) => {
    reportRejection(deps, { code: err.code, keyId: caller.keyId, remote, ...(method ? { method } : {}) });
    return refusalReply(err);
  };

  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return refuse(new JsonRpcError("PARSE_ERROR", "parse error: body is not valid JSON"));
  }
  const isBatch = Array.isArray(parsed);
  const items: unknown[] = isBatch ? (parsed as unknown[]) : [parsed];
  if (isBatch && items.length === 0)
    return refuse(new JsonRpcError("INVALID_REQUEST", "invalid request: empty batch"));
  if (items.length > deps.maxBatchSize) {
    return refuse(
      new JsonRpcError("INVALID_REQUEST", `invalid request: batch over ${deps.maxBatchSize} calls`),
    );
  }
  const entries: Entry[] = items.map((item) => {
    const checked = checkRequest(item);
    return checked.ok ? checked : { ok: false, reason: checked.reason, id: idOf(item) };
  });
  if (!isBatch && entries[0] && !entries[0].ok) {
    return refuse(new JsonRpcError("INVALID_REQUEST", `invalid request: ${entries[0].reason}`));
  }

  for (const e of entries) {
    if (!e.ok) continue;
    const method = registry.get(e.request.method);
    if (method && !hasScope(caller.scopes, method.scope)) {
      const err = new AuthError("AUTH_FORBIDDEN_SCOPE", `method ${method.name} needs scope ${method.scope}`, {
        method: method.name,
        needed: method.scope,
      });
      return refuse(err, method.name);
    }
  }
  // The authenticator took the first token; a batch pays one per further call.
  const extra = entries.length - 1;
  if (extra > 0 && !deps.limiter.take(caller.keyId, extra)) {
    return refuse(rateLimited(deps.limiter.retryAfterMs(caller.keyId, extra)));
  }
  deps.keys.markUsed(caller.keyId);

  const responses = await Promise.all(entries.map((e) => runEntry(e, caller, remote, deps)));
  const present = responses.filter((r): r is JsonRpcResponse => r !== undefined);
  if (present.length === 0) return { status: 204 };
  return { status: 200, body: stringifyJson(isBatch ? present : present[0]) };
}

async function runEntry(
  e: Entry,
  caller: AuthenticatedCaller,
  remote: string,
  deps: RpcDispatchDeps,
): Promise<JsonRpcResponse | undefined> {
  const { metrics, registry, logger, audit } = deps;
  const auditBadInput = (reason: string, method?: string) =>
    audit.record({
      event: "request_rejected",
      reason,
      keyId: caller.keyId,
      remote,
      ...(method ? { method } : {}),
    });
  if (!e.ok) {
    metrics.rpcRequests.inc({ method: "none", status: "INVALID_REQUEST" });
    auditBadInput("INVALID_REQUEST");
    return errorResponse(e.id, new JsonRpcError("INVALID_REQUEST", `invalid request: ${e.reason}`));
  }
  const req = e.request;
  const isNotification = !("id" in req);
  const id = req.id ?? null;
  const method = registry.get(req.method);
  if (!method) {
    metrics.rpcRequests.inc({ method: "unknown", status: "METHOD_NOT_FOUND" });
    auditBadInput("METHOD_NOT_FOUND", req.method.slice(0, 64));
    const err = new JsonRpcError("METHOD_NOT_FOUND", `method not found: ${req.method.slice(0, 64)}`);
    return isNotification ? undefined : errorResponse(id, err);
  }
  const stopTimer = metrics.rpcDuration.startTimer({ method: method.name });
  try {
    const result = await method.run(req.params, {
      keyId: caller.keyId,
      scopes: caller.scopes,
      remote,
      logger,
    });
    metrics.rpcRequests.inc({ method: method.name, status: "ok" });
    return isNotification ? undefined : { jsonrpc: "2.0", id, result: result === undefined ? null : result };
  } catch (err) {
    const response = errorResponse(id, err);
    const status = "error" in response ? response.error.data.code : "INTERNAL_ERROR";
    metrics.rpcRequests.inc({ method: method.name, status });
    if (status === "INVALID_PARAMS") auditBadInput(status, method.name);
    if (status === "INTERNAL_ERROR") logger.error({ err, method: method.name }, "RPC handler failed");
    else logger.debug({ method: method.name, code: status }, "RPC call failed");
    return isNotification ? undefined : response;
  } finally {
    stopTimer();
  }
}
