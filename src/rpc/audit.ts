/**
 * Append-only audit log: one JSON object per line in `<dataDir>/audit.log` (mode 0600, opened with
 * the append flag). Events are typed so no field can carry a secret.
 */
import { createWriteStream, fchmodSync, fstatSync, openSync, readSync, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
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
  | { event: "webhook_removed"; webhookId: string };

/** One line of the log as read back: the event plus when it happened. */
export type AuditEntry = AuditEvent & { time: string; at: number };

/** Writer side of the audit log. */
export interface AuditLog {
  /** Appends an event (asynchronously, in order). */
  record(event: AuditEvent): void;
  /** Resolves when every recorded event has reached the file. */
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly path: string;
}

/** Opens (creating with mode 0600) the audit log at `path`, repairing a torn last line first. */
export function openAuditLog(path: string, deps: { clock: Clock }): AuditLog {
  const fd = openSync(path, "a+", 0o600);
  fchmodSync(fd, 0o600);
  const needsNewline = endsTorn(fd);
  const stream: WriteStream = createWriteStream(path, { fd, autoClose: true });
  let last: Promise<void> = Promise.resolve();
  let closed = false;
  const write = (line: string): void => {
    last = new Promise<void>((resolve) => {
      stream.write(line, () => resolve());
    });
  };
  if (needsNewline) write("\n");
  return {
    path,
    record(event) {
      if (closed) return;
      const at = deps.clock.now();
      write(JSON.stringify({ time: new Date(at).toISOString(), at, ...event }) + "\n");
    },
    flush: () => last,
    async close() {
      if (closed) return;
      closed = true;
      await last;
      await new Promise<void>((resolve) => stream.end(resolve));
    },
  };
}

/** The default audit log path for a data dir. */
export function auditLogPath(dataDir: string): string {
  return join(dataDir, AUDIT_LOG_FILE);
}

/** True when the file is non-empty and does not end in a newline (a crash tore the last line). */
function endsTorn(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return false;
  const buf = Buffer.alloc(1);
  readSync(fd, buf, 0, 1, size - 1);
  return buf[0] !== 0x0a;
}

/** Reads the log for `chainlab apikey audit`; unparseable lines (a torn tail) are counted, not fatal. */
export async function readAuditLog(path: string): Promise<{ entries: AuditEntry[]; skippedLines: number }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { entries: [], skippedLines: 0 };
    throw err;
  }
  const entries: AuditEntry[] = [];
  let skippedLines = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === "object" && "event" in parsed)
        entries.push(parsed as AuditEntry);
      else skippedLines++;
    } catch {
      skippedLines++;
    }
  }
  return { entries, skippedLines };
}
