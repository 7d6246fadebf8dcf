/**
 * The audit log's file: append-only lines, one write in flight at a time (the next waits for the
 * previous to complete, so a slow disk slows the queue, not the heap), a bounded queue whose
 * overflow is counted and reported instead of buffered, and size-based rotation
 * (`audit.log` -> `audit.log.1` -> ... -> `audit.log.N`, the oldest dropped).
 */
import { closeSync, existsSync, fchmodSync, fstatSync, openSync, readSync, renameSync, write } from "node:fs";

/** Limits of the audit file. */
export interface AuditFileLimits {
  /** Rotate before the current file would pass this size (default 16 MiB). */
  maxBytes?: number;
  /** Rotated files kept besides the current one (default 4). */
  maxFiles?: number;
  /** Queued bytes not yet written; lines past it are dropped and counted (default 1 MiB). */
  maxPendingBytes?: number;
}

/** An open audit file. */
export interface AuditFile {
  append(line: string): void;
  /** Resolves when every appended line is on disk (or was dropped and reported). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating with mode 0600) `path`; `droppedLine(n)` renders the line reporting n dropped lines. */
export function openAuditFile(
  path: string,
  limits: AuditFileLimits,
  droppedLine: (count: number) => string,
): AuditFile {
  const maxBytes = limits.maxBytes ?? 16 << 20;
  const maxFiles = limits.maxFiles ?? 4;
  const maxPending = limits.maxPendingBytes ?? 1 << 20;
  let fd = openSync(path, "a+", 0o600);
  fchmodSync(fd, 0o600);
  let size = fstatSync(fd).size;
  const pending: string[] = endsTorn(fd, size) ? ["\n"] : [];
  let pendingBytes = 0;
  let dropped = 0;
  let pump: Promise<void> | undefined;
  let failure: unknown;

  const rotate = (): void => {
    closeSync(fd);
    if (maxFiles >= 1) {
      for (let i = maxFiles - 1; i >= 1; i--) {
        if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      }
      renameSync(path, `${path}.1`);
      fd = openSync(path, "a", 0o600);
    } else fd = openSync(path, "w", 0o600);
    size = 0;
  };
  const writeAll = async (buf: Buffer): Promise<void> => {
    let off = 0;
    while (off < buf.length) {
      off += await new Promise<number>((resolve, reject) =>
        write(fd, buf, off, buf.length - off, null, (err, n) => (err ? reject(err) : resolve(n))),
      );
    }
    size += buf.length;
  };
  const run = async (): Promise<void> => {
    while (pending.length > 0 || dropped > 0) {
      if (pending.length === 0) {
        pending.push(droppedLine(dropped));
        dropped = 0;
      }
      const buf = Buffer.from(pending.join(""));
      pending.length = 0;
      pendingBytes = 0;
      if (size > 0 && size + buf.length > maxBytes) rotate();
      await writeAll(buf);
    }
  };
  const kick = (): void => {
    if (pump) return;
    pump = run()
      .catch((err: unknown) => {
        failure = err;
      })
      .finally(() => {
        pump = undefined;
      });
  };

  return {
    append(line) {
      if (pendingBytes + line.length > maxPending) {
        dropped++;
        return;
      }
      pending.push(line);
      pendingBytes += line.length;
      kick();
    },
    async flush() {
      kick();
      while (pump) await pump;
      if (failure !== undefined) {
        const err = failure;
        failure = undefined;
        throw err;
      }
    },
    async close() {
      await this.flush();
      closeSync(fd);
    },
  };
}

/** True when the file is non-empty and does not end in a newline (a crash tore the last line). */
function endsTorn(fd: number, size: number): boolean {
  if (size === 0) return false;
  const buf = Buffer.alloc(1);
  readSync(fd, buf, 0, 1, size - 1);
  return buf[0] !== 0x0a;
}
