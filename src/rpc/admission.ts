/**
 * Admission of a signed request: the headers are checked before any body byte is buffered, an
 * unknown or revoked key has its body streamed past (hashed, never kept) and is refused like a
 * wrong secret, and only a request from a live key with a fresh timestamp may spend the shared
 * in-flight body budget. Every refusal is typed, audited (aggregated) and one debug line.
 */
import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import type { AuditLog } from "./audit.ts";
import { type AuthenticatedCaller, type Authenticator, reportRejection } from "./authenticate.ts";
import { AuthError, RequestError } from "./errors.ts";
import {
  type BodyBudget,
  type BodyLimits,
  discardBody,
  drainBody,
  type HttpReply,
  readBody,
  refusalReply,
} from "./http-io.ts";
import type { NodeMetrics } from "./metrics.ts";
import type { Clock } from "./types.ts";

/** What admission needs. */
export interface AdmissionDeps {
  authenticator: Authenticator;
  clock: Clock;
  audit: AuditLog;
  metrics: NodeMetrics;
  logger: Logger;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  budget: BodyBudget;
  /** bench:rpc's baseline only: every request is an admin caller. */
  skipAuth: boolean;
}

/** An admitted request, or the reply that refuses it. */
export type Admission =
  | { caller: AuthenticatedCaller; body: Buffer; reply?: undefined }
  | { reply: HttpReply };

/** Admission plus the refusal helper the routes share. */
export interface Admitter {
  admit(req: IncomingMessage, remote: string): Promise<Admission>;
  /** Audits and logs a refusal and builds its reply; rethrows anything that is not a refusal. */
  refuse(err: unknown, remote: string, keyId?: string, headers?: Record<string, string>): HttpReply;
  /** A refusal sent before the body was read: the rest is discarded and the connection closed. */
  refuseEarly(req: IncomingMessage, err: unknown, remote: string): HttpReply;
}

/** Creates the admitter. */
export function createAdmitter(deps: AdmissionDeps): Admitter {
  const { authenticator, clock, logger } = deps;
  const limits: BodyLimits = { limit: deps.maxBodyBytes, timeoutMs: deps.bodyTimeoutMs };
  const budgeted: BodyLimits = { ...limits, budget: deps.budget };

  const refuse: Admitter["refuse"] = (err, remote, keyId, headers) => {
    if (!(err instanceof AuthError || err instanceof RequestError)) throw err;
    const code = err instanceof AuthError ? err.auditReason : err.code;
    reportRejection(deps, { code, keyId: keyId ?? (err.data["keyId"] as string | undefined), remote });
    logger.debug({ code, remote }, "request refused");
    if (err.code === "REQUEST_ABORTED") return { status: 400, drop: true };
    return refusalReply(err, headers);
  };
  const refuseEarly: Admitter["refuseEarly"] = (req, err, remote) => {
    discardBody(req, deps.maxBodyBytes);
    return refuse(err, remote, undefined, { Connection: "close" });
  };
  /** A failed body read: over the limit, too slow, over budget or aborted. */
  const refuseBody = (req: IncomingMessage, err: unknown, remote: string, keyId: string | undefined) => {
    if (err instanceof RequestError && err.code === "BODY_TOO_LARGE")
      discardBody(req, 16 * deps.maxBodyBytes);
    return refuse(err, remote, keyId, { Connection: "close" });
  };

  return {
    refuse,
    refuseEarly,
    async admit(req, remote) {
      if (deps.skipAuth) {
        try {
          return {
            caller: { keyId: "k_benchmark00", scopes: ["admin"] },
            body: await readBody(req, budgeted),
          };
        } catch (err) {
          return { reply: refuseBody(req, err, remote, undefined) };
        }
      }
      let pre: ReturnType<Authenticator["precheck"]>;
      try {
        pre = authenticator.precheck(req.headers, clock.now());
      } catch (err) {
        return { reply: refuseEarly(req, err, remote) };
      }
      const keyId = pre.auth.keyId;
      const signed = { method: req.method ?? "", path: req.url ?? "", headers: req.headers };
      let body: Buffer;
      try {
        if (pre.deferred) {
          const digest = await drainBody(req, limits);
          authenticator.verify(pre, { ...signed, body: digest }, clock.now());
        }
        body = await readBody(req, budgeted);
      } catch (err) {
        if (err instanceof AuthError) return { reply: refuse(err, remote, keyId) };
        return { reply: refuseBody(req, err, remote, keyId) };
      }
      try {
        // A fresh reading, after the body: the window, key and replay checks share this instant.
        return { caller: authenticator.verify(pre, { ...signed, body }, clock.now()), body };
      } catch (err) {
        return { reply: refuse(err, remote, keyId) };
      }
    },
  };
}
