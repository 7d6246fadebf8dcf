/**
 * A fetch-based JSON-RPC client that signs every request (fresh nonce, current timestamp) with an
 * `ID:SECRET` credential. Used by the CLI, tests and testnets.
 */
import { ChainlabError } from "../core/errors.ts";
import { type Credential, parseCredential, signedHeaders } from "./signing.ts";

/** A failed call: `code` is the stable string code (data.code), `rpcCode` the JSON-RPC number. */
export class RpcClientError extends ChainlabError {
  readonly rpcCode: number;
  readonly httpStatus: number;
  readonly reason: string;
  constructor(
    code: string,
    reason: string,
    info: { rpcCode: number; httpStatus: number; data?: Record<string, unknown> },
  ) {
    super(code, reason, info.data ?? {});
    this.rpcCode = info.rpcCode;
    this.httpStatus = info.httpStatus;
    this.reason = reason;
  }
}

/** Options of createRpcClient. */
export interface RpcClientOptions {
  /** Base URL of the node (`http://127.0.0.1:8645`); a trailing `/rpc` is accepted. */
  url: string;
  /** `ID:SECRET` or a parsed credential; without it requests go unsigned (only /health works). */
  credential?: string | Credential;
  /** Clock for timestamps (tests). */
  now?: () => number;
  fetch?: typeof fetch;
  /** Per-request timeout, default 30 s. */
  timeoutMs?: number;
}

/** One call in a batch. */
export interface BatchCall {
  method: string;
  params?: unknown;
}

/** A signed JSON-RPC client. */
export interface RpcClient {
  call<T = unknown>(method: string, params?: unknown): Promise<T>;
  /** Sends a notification (no id, no result). */
  notify(method: string, params?: unknown): Promise<void>;
  /** Results in call order; a failed call yields an RpcClientError in its slot. */
  batch(calls: BatchCall[]): Promise<Array<unknown | RpcClientError>>;
  health(): Promise<Record<string, unknown>>;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
}

/** Creates a client; throws APIKEY_BAD_CREDENTIAL for a malformed `ID:SECRET`. */
export function createRpcClient(options: RpcClientOptions): RpcClient {
  const base = options.url.replace(/\/+$/, "").replace(/\/rpc$/, "");
  const cred =
    typeof options.credential === "string" ? parseCredential(options.credential) : options.credential;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let nextId = 1;

  const send = async (method: "GET" | "POST", path: string, body: string): Promise<Response> => {
    const headers: Record<string, string> = method === "POST" ? { "Content-Type": "application/json" } : {};
    if (cred)
      Object.assign(
        headers,
        signedHeaders(cred.keyId, cred.secret, { method, path, body, timestamp: now() }),
      );
    try {
      return await doFetch(base + path, {
        method,
        headers,
        ...(method === "POST" ? { body } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new RpcClientError("RPC_TRANSPORT", `cannot reach ${base}: ${(err as Error).message}`, {
        rpcCode: 0,
        httpStatus: 0,
      });
    }
  };
  const post = async (payload: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await send("POST", "/rpc", JSON.stringify(payload));
    const text = await res.text();
    if (text === "") return { status: res.status, json: undefined };
    try {
      return { status: res.status, json: JSON.parse(text) };
    } catch {
      throw new RpcClientError("RPC_BAD_RESPONSE", `HTTP ${res.status}: response is not JSON`, {
        rpcCode: 0,
        httpStatus: res.status,
      });
    }
  };
  const unwrap = (entry: unknown, httpStatus: number): unknown => {
    const r = entry as {
      result?: unknown;
      error?: { code?: number; message?: string; data?: Record<string, unknown> };
    };
    if (r && typeof r === "object" && r.error) {
      const data = r.error.data ?? {};
      const reason = typeof data["reason"] === "string" ? data["reason"] : (r.error.message ?? "error");
      const code = typeof data["code"] === "string" ? data["code"] : "RPC_ERROR";
      return new RpcClientError(code, reason, { rpcCode: r.error.code ?? 0, httpStatus, data });
    }
    if (r && typeof r === "object" && "result" in r) return r.result;
    return new RpcClientError("RPC_BAD_RESPONSE", `HTTP ${httpStatus}: not a JSON-RPC response`, {
      rpcCode: 0,
      httpStatus,
    });
  };

  return {
    async call<T>(method: string, params?: unknown) {
      const { status, json } = await post({
        jsonrpc: "2.0",
        id: nextId++,
        method,
        ...(params === undefined ? {} : { params }),
      });
      const out = unwrap(json, status);
      if (out instanceof RpcClientError) throw out;
      return out as T;
    },
    async notify(method, params) {
      const { status, json } = await post({
        jsonrpc: "2.0",
        method,
        ...(params === undefined ? {} : { params }),
      });
      if (json !== undefined) {
        const out = unwrap(json, status);
        if (out instanceof RpcClientError) throw out;
      }
    },
    async batch(calls) {
      const first = nextId;
      nextId += calls.length;
      const payload = calls.map((c, i) => ({
        jsonrpc: "2.0",
        id: first + i,
        method: c.method,
        params: c.params,
      }));
      const { status, json } = await post(payload);
      if (!Array.isArray(json)) {
        const out = unwrap(json, status);
        throw out instanceof RpcClientError
          ? out
          : new RpcClientError("RPC_BAD_RESPONSE", "expected a batch", { rpcCode: 0, httpStatus: status });
      }
      const byId = new Map<unknown, unknown>(json.map((r: { id?: unknown }) => [r.id, r]));
      return calls.map((_c, i) => unwrap(byId.get(first + i), status));
    },
    async health() {
      const res = await send("GET", "/health", "");
      return (await res.json()) as Record<string, unknown>;
    },
    async metrics() {
      const res = await send("GET", "/metrics", "");
      const text = await res.text();
      if (!res.ok) {
        const out = unwrap(safeJson(text), res.status);
        throw out instanceof RpcClientError
          ? out
          : new RpcClientError("RPC_BAD_RESPONSE", `HTTP ${res.status}`, {
              rpcCode: 0,
              httpStatus: res.status,
            });
      }
      return text;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
