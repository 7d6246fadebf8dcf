/** Typed errors of the RPC layer; each carries a stable string code that clients switch on. */
import { ChainlabError } from "../core/errors.ts";

/** Codes of AuthError: why a request was refused before any method ran. */
export type AuthErrorCode =
  | "AUTH_MISSING_HEADERS"
  | "AUTH_INVALID_CREDENTIALS"
  | "AUTH_MALFORMED_HEADERS"
  | "AUTH_BAD_SIGNATURE"
  | "AUTH_UNKNOWN_KEY"
  | "AUTH_STALE_TIMESTAMP"
  | "AUTH_FUTURE_TIMESTAMP"
  | "AUTH_REPLAYED_NONCE"
  | "AUTH_KEY_REVOKED"
  | "AUTH_KEY_EXPIRED"
  | "AUTH_FORBIDDEN_SCOPE";

/**
 * A request that failed authentication (401) or authorization (403, AUTH_FORBIDDEN_SCOPE).
 * `auditReason` is the precise cause kept for the audit log when the client is only told a
 * generic code (AUTH_INVALID_CREDENTIALS hides whether the key id or the signature was wrong).
 */
export class AuthError extends ChainlabError {
  declare readonly code: AuthErrorCode;
  readonly auditReason: AuthErrorCode;
  constructor(
    code: AuthErrorCode,
    message: string,
    data: Record<string, unknown> = {},
    auditReason: AuthErrorCode = code,
  ) {
    super(code, message, data);
    this.auditReason = auditReason;
  }
}

/** Codes of RequestError: a request refused for its size, rate, origin or transport, not its credentials. */
export type RequestErrorCode =
  | "RATE_LIMITED"
  | "NONCE_QUOTA_EXCEEDED"
  | "BODY_TOO_LARGE"
  | "BODY_TIMEOUT"
  | "REQUEST_ABORTED"
  | "SERVER_BUSY"
  | "HOST_NOT_ALLOWED"
  | "ORIGIN_NOT_ALLOWED";

/**
 * A request refused before any method ran: over the body limit (413), over its key's rate or
 * nonce quota (429), too slow (408), aborted by the client, over the in-flight body budget (503),
 * or sent with a Host or Origin that is not ours (403).
 */
export class RequestError extends ChainlabError {
  declare readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}

/** Codes of ApiKeyError: a key management operation that cannot be carried out. */
export type ApiKeyErrorCode =
  | "APIKEY_NOT_FOUND"
  | "APIKEY_INACTIVE"
  | "APIKEY_ALREADY_ROTATED"
  | "APIKEY_BAD_SCOPES"
  | "APIKEY_BAD_TTL"
  | "APIKEY_BAD_LABEL"
  | "APIKEY_BAD_CREDENTIAL"
  | "APIKEY_MASTER_KEY_INVALID"
  | "APIKEY_DECRYPT_FAILED";

/** Raised by the key store and by parsers of `ID:SECRET` credentials. */
export class ApiKeyError extends ChainlabError {
  declare readonly code: ApiKeyErrorCode;
  constructor(code: ApiKeyErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}

/** Codes of RpcServerError: the server cannot start with this configuration. */
export type RpcServerErrorCode = "RPC_REMOTE_BIND_REFUSED";

/** Raised by RpcServer.start() for a configuration it refuses to serve. */
export class RpcServerError extends ChainlabError {
  declare readonly code: RpcServerErrorCode;
  constructor(code: RpcServerErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}

/** Codes of WebhookError: a registration or delivery problem. */
export type WebhookErrorCode = "WEBHOOK_BAD_URL" | "WEBHOOK_BAD_EVENTS" | "WEBHOOK_NOT_FOUND";

/** Raised by the webhook registry. */
export class WebhookError extends ChainlabError {
  declare readonly code: WebhookErrorCode;
  constructor(code: WebhookErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}

/** Codes of JsonRpcError: the standard JSON-RPC 2.0 failures. */
export type JsonRpcErrorCode =
  | "PARSE_ERROR"
  | "INVALID_REQUEST"
  | "METHOD_NOT_FOUND"
  | "INVALID_PARAMS"
  | "INTERNAL_ERROR";

/** A standard JSON-RPC error; handlers throw INVALID_PARAMS for argument checks of their own. */
export class JsonRpcError extends ChainlabError {
  declare readonly code: JsonRpcErrorCode;
  constructor(code: JsonRpcErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, data);
  }
}
