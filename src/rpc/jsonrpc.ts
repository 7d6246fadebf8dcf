/**
 * JSON-RPC 2.0 envelopes: request validation, the mapping of typed errors to numeric codes, and
 * JSON output that writes bigint as a decimal string and bytes as hex.
 *
 * Error mapping (data always holds `{ code, reason }`, `code` being the stable string code):
 *   -32700 PARSE_ERROR, -32600 INVALID_REQUEST, -32601 METHOD_NOT_FOUND, -32602 INVALID_PARAMS,
 *   -32603 INTERNAL_ERROR, -32001 AUTH_* (authentication), -32002 AUTH_FORBIDDEN_SCOPE,
 *   -32003 RATE_LIMITED, -32004 BODY_TOO_LARGE, -32010 TX_*, -32011 BLOCK_*, -32012 DECODE_*,
 *   -32013 CONSENSUS_*, -32020 APIKEY_*, -32021 WEBHOOK_*, -32000 any other ChainlabError.
 */
import { ChainlabError } from "../core/errors.ts";

/** A request or notification id. */
export type JsonRpcId = string | number | null;

/** A well-formed request; `id` absent means notification. */
export interface JsonRpcRequest {
  jsonrpc: "2.0";
  method: string;
  params?: unknown;
  id?: JsonRpcId;
}

/** The `error` member of a response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data: Record<string, unknown> & { code: string; reason: string };
}

/** One response object. */
export type JsonRpcResponse =
  | { jsonrpc: "2.0"; id: JsonRpcId; result: unknown }
  | { jsonrpc: "2.0"; id: JsonRpcId; error: JsonRpcErrorObject };

const EXACT_CODES: Record<string, number> = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  AUTH_FORBIDDEN_SCOPE: -32002,
  RATE_LIMITED: -32003,
  BODY_TOO_LARGE: -32004,
};

const PREFIX_CODES: Array<[string, number]> = [
  ["AUTH_", -32001],
  ["TX_", -32010],
  ["BLOCK_", -32011],
  ["DECODE_", -32012],
  ["CONSENSUS_", -32013],
  ["APIKEY_", -32020],
  ["WEBHOOK_", -32021],
];

/** The numeric JSON-RPC code for a stable string code (see the table above). */
export function rpcCodeFor(code: string): number {
  const exact = EXACT_CODES[code];
  if (exact !== undefined) return exact;
  for (const [prefix, n] of PREFIX_CODES) if (code.startsWith(prefix)) return n;
  return -32000;
}

/** The error object for anything thrown; non-chainlab errors become a bare INTERNAL_ERROR. */
export function toErrorObject(err: unknown): JsonRpcErrorObject {
  if (err instanceof ChainlabError) {
    return {
      code: rpcCodeFor(err.code),
      message: err.message,
      data: { ...err.data, code: err.code, reason: err.message },
    };
  }
  return {
    code: -32603,
    message: "internal error",
    data: { code: "INTERNAL_ERROR", reason: "internal error" },
  };
}

/** A response carrying an error. */
export function errorResponse(id: JsonRpcId, err: unknown): JsonRpcResponse {
  return { jsonrpc: "2.0", id, error: toErrorObject(err) };
}

/** The id of a request-like value if it is a valid id, else null. */
export function idOf(x: unknown): JsonRpcId {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return null;
  const id = (x as Record<string, unknown>)["id"];
  return isValidId(id) ? (id as JsonRpcId) : null;
}

/** Checks the request envelope; returns a reason when it is not a valid JSON-RPC 2.0 request. */
export function checkRequest(
  x: unknown,
): { ok: true; request: JsonRpcRequest } | { ok: false; reason: string } {
  if (x === null || typeof x !== "object" || Array.isArray(x))
    return { ok: false, reason: "request is not an object" };
  const r = x as Record<string, unknown>;
  if (r["jsonrpc"] !== "2.0") return { ok: false, reason: 'jsonrpc must be "2.0"' };
  if (typeof r["method"] !== "string" || r["method"].length === 0)
    return { ok: false, reason: "method must be a string" };
  const params = r["params"];
  if (params !== undefined && (params === null || typeof params !== "object")) {
    return { ok: false, reason: "params must be an array or an object" };
  }
  if ("id" in r && !isValidId(r["id"])) return { ok: false, reason: "id must be a string, a number or null" };
  return { ok: true, request: r as unknown as JsonRpcRequest };
}

function isValidId(id: unknown): boolean {
  return id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

/** JSON.stringify that writes bigint as a decimal string and Uint8Array as lowercase hex. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    // `this[key]` is the value before toJSON ran, so Buffers arrive here as bytes, not {type, data}.
    const original = this[key];
    if (original instanceof Uint8Array) {
      return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString("hex");
    }
    if (typeof v === "bigint") return v.toString();
    return v;
  });
}
