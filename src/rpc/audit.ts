/**
 * Append-only audit log: one JSON object per line in `<dataDir>/audit.log` (mode 0600, opened with
 * the append flag), rotated by size (audit-file.ts), with repeated refusals aggregated
 * (audit-aggregate.ts). Events are typed so no field can carry a secret. Reading: audit-read.ts.
 */
import { join } from "node:path";
import { createRefusalAggregator, type RefusalSummary } from "./audit-aggregate.ts";
import { type AuditFileLimits, openAuditFile } from "./audit-file.ts";
import type { Clock } from "./types.ts";

/** File name of the audit log inside the data dir. */
export const AUDIT_LOG_FILE = "audit.log";

/** Every event the log records. Fields are ids, labels, reasons and addresses, never secrets. */
export type AuditEvent =
  | {
      event: "key_created";
      keyId: string;
      label: string;
      scopes: string[];
      version: number;
      expiresAt: number | null;
    }
  | { event: "key_rotated"; keyId: string; newKeyId: string; version: number; overlapUntil: number }
  | { event: "key_revoked"; keyId: string }
  | { event: "key_expired"; keyId: string; cause: "ttl" | "overlap_ended"; expiredAt: number }
  | { event: "expired_key_used"; keyId: string; remote: string }
  | { event: "revoked_key_used"; keyId: string; remote: string }
  | { event: "auth_failure"; reason: string; keyId?: string; remote: string }
  | { event: "request_rejected"; reason: string; keyId?: string; remote: string; method?: string }
  | { event: "webhook_added"; webhookId: string; url: string; events: string[] }
  | { event: "webhook_removed"; webhookId: string }
  | RefusalSummary
  | { event: "audit_lines_dropped"; count: number };

/** One line of the log as read back: the event plus when it happened. */
export type AuditEntry = AuditEvent & { time: string; at: number };

/** Writer side of the audit log. */
export interface AuditLog {
  /** Appends an event (asynchronously, in order); repeated refusals are aggregated. */
  record(event: AuditEvent): void;
  /** Resolves when every recorded event (and every ended aggregation window) has reached the file. */
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly path: string;
}

/** Options of openAuditLog: the file's limits and the refusal aggregation window. */
export interface AuditLogOptions extends AuditFileLimits {
  /** Window of refusal aggregation per remote address and reason (default 60 000 ms). */
  aggregateWindowMs?: number;
  /** Distinct (event, remote, reason) groups per window before new remotes share one (default 1000). */
  maxGroups?: number;
}

const REFUSALS = new Set(["auth_failure", "request_rejected", "revoked_key_used", "expired_key_used"]);

/** Opens (creating with mode 0600) the audit log at `path`, repairing a torn last line first. */
export function openAuditLog(path: string, deps: { clock: Clock }, options: AuditLogOptions = {}): AuditLog {
  const line = (event: AuditEvent, at: number) =>
    `${JSON.stringify({ time: new Date(at).toISOString(), at, ...event })}\n`;
  const file = openAuditFile(path, options, (count) =>
    line({ event: "audit_lines_dropped", count }, deps.clock.now()),
  );
  const windowMs = options.aggregateWindowMs ?? 60_000;
  const refusals = createRefusalAggregator(windowMs, options.maxGroups);
  let closed = false;
  const writeSummaries = (summaries: AuditEvent[], at: number) => {
    for (const s of summaries) file.append(line(s, at));
  };
  const sweep = () => writeSummaries(refusals.drain(deps.clock.now()), deps.clock.now());
  const timer = setInterval(sweep, windowMs);
  timer.unref();
  return {
    path,
    record(event) {
      if (closed) return;
      const at = deps.clock.now();
      if (REFUSALS.has(event.event)) {
        const e = event as AuditEvent & { remote: string; reason?: string; keyId?: string };
        const open = refusals.admit(
          { event: e.event, remote: e.remote, reason: e.reason ?? e.keyId ?? "" },
          at,
        );
        writeSummaries(refusals.takeReady(), at);
        if (!open) return;
      }
      file.append(line(event, at));
    },
    flush() {
      if (!closed) sweep();
      return file.flush();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      writeSummaries(refusals.drain(Number.POSITIVE_INFINITY), deps.clock.now());
      await file.close();
    },
  };
}

/** The default audit log path for a data dir. */
export function auditLogPath(dataDir: string): string {
  return join(dataDir, AUDIT_LOG_FILE);
}
