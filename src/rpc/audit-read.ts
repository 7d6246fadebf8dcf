/**
 * Reading the audit log back, streamed line by line (never the whole file in memory), across the
 * rotated files oldest first (`audit.log.N` ... `audit.log.1`, then `audit.log`).
 */
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { AuditEntry } from "./audit.ts";

/** One line of the log: an entry, or a line that does not parse (a torn tail). */
export type AuditLine = { entry: AuditEntry } | { skipped: true };

/** The files of the log at `path`, oldest first; none if the log does not exist. */
async function auditFiles(path: string): Promise<string[]> {
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? Number(n.slice(base.length + 1)) : Number.NaN))
    .filter((i) => Number.isInteger(i) && i > 0)
    .sort((a, b) => b - a)
    .map((i) => join(dirname(path), `${base}.${i}`));
  return names.includes(base) ? [...rotated, path] : rotated;
}

/** Streams every line of the log. */
export async function* streamAuditLog(path: string): AsyncGenerator<AuditLine> {
  for (const file of await auditFiles(path)) {
    const lines = createInterface({
      input: createReadStream(file, "utf8"),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed !== null && typeof parsed === "object" && "event" in parsed)
          yield { entry: parsed as AuditEntry };
        else yield { skipped: true };
      } catch {
        yield { skipped: true };
      }
    }
  }
}

/**
 * Reads the log for `chainlab apikey audit` and tests: the last `limit` entries (all without a
 * limit), holding no more than that many in memory; unparseable lines are counted, not fatal.
 */
export async function readAuditLog(
  path: string,
  opts: { limit?: number } = {},
): Promise<{ entries: AuditEntry[]; skippedLines: number }> {
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  const entries: AuditEntry[] = [];
  let skippedLines = 0;
  for await (const line of streamAuditLog(path)) {
    if ("skipped" in line) skippedLines++;
    else if (limit > 0) {
      entries.push(line.entry);
      // Trim in batches so keeping the last `limit` costs O(1) per line.
      if (entries.length >= 2 * limit) entries.splice(0, entries.length - limit);
    }
  }
  if (entries.length > limit) entries.splice(0, entries.length - limit);
  return { entries, skippedLines };
}
