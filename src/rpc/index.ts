/**
 * rpc/ owns the node's HTTP API: JSON-RPC 2.0 on `POST /rpc`, `GET /health` and `GET /metrics`;
 * API keys (scoped, rotating, sealed at rest), HMAC request signing with a timestamp window and a
 * nonce replay store, per-key rate limits, Host/Origin allow-lists and limits on what an
 * unauthenticated client can hold (connections, body bytes, time), the bounded append-only audit
 * log, the Prometheus metrics registry, signed event webhooks, and a signing client. It imports only core/, crypto/,
 * consensus/engine.ts and npm packages; node/ wires it up and registers the chain methods through
 * `RpcServer.registerMethod`.
 */
export { ADMIN_KEY_FILE, type AdminKeyResult, ensureAdminKey } from "./admin-key.ts";
export type { ApiKeyRecord, ApiKeyStatus, ApiKeyView } from "./api-key-record.ts";
export {
  type ApiKeyStore,
  type ApiKeyStoreDeps,
  type CreateApiKeyOptions,
  type CreatedApiKey,
  type JsonSublevel,
  openApiKeyStore,
} from "./api-keys.ts";
export { DEFAULT_ROTATION_OVERLAP_MS } from "./apikey-methods.ts";
export {
  AUDIT_LOG_FILE,
  type AuditEntry,
  type AuditEvent,
  type AuditLog,
  type AuditLogOptions,
  auditLogPath,
  openAuditLog,
} from "./audit.ts";
export { type AuditLine, readAuditLog, streamAuditLog } from "./audit-read.ts";
export {
  type BatchCall,
  createRpcClient,
  type RpcClient,
  RpcClientError,
  type RpcClientOptions,
} from "./client.ts";
export { parseDuration } from "./duration.ts";
export * from "./errors.ts";
export { rpcCodeFor, stringifyJson } from "./jsonrpc.ts";
export {
  createMethodRegistry,
  type MethodContext,
  type MethodDefinition,
  type MethodRegistry,
} from "./methods.ts";
export { createNodeMetrics, type NodeMetrics, type NodeMetricsOptions } from "./metrics.ts";
export { createNonceStore, type NonceStore, type NonceStoreOptions } from "./nonce-store.ts";
export { noParams, type ParamsValidator, params, type Validator, v } from "./params.ts";
export type { RateLimitOptions } from "./rate-limiter.ts";
export { loadOrCreateMasterKey, MASTER_KEY_FILE } from "./secret-box.ts";
export {
  createRpcServer,
  DEFAULT_RPC_PORT,
  type RpcServer,
  type RpcServerDeps,
  type RpcServerOptions,
} from "./server.ts";
export {
  type Credential,
  canonicalRequest,
  newNonce,
  parseCredential,
  signedHeaders,
  signRequest,
  verifySignature,
} from "./signing.ts";
export { type Clock, hasScope, parseScopes, SCOPES, type Scope, systemClock } from "./types.ts";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./webhook-delivery.ts";
export { type VerifyDeliveryOptions, verifyWebhookDelivery, type WebhookDelivery } from "./webhook-verify.ts";
export {
  openWebhookService,
  registerWebhookMethods,
  WEBHOOK_EVENTS,
  type WebhookDeps,
  type WebhookEvent,
  type WebhookOptions,
  type WebhookRecord,
  type WebhookService,
  type WebhookView,
} from "./webhooks.ts";
