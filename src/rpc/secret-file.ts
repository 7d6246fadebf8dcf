/**
 * The one writer of secret files in rpc/ (admin.key, rpc-master.key): a temp file with a random
 * name, created with O_EXCL ("wx") and mode 0600 so nobody can pre-create or symlink it, fsynced,
 * then moved into place atomically, so a reader sees either nothing or the whole file.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes `data` to `path` (mode 0600). With `overwrite` an existing file is replaced; without it
 * the file is published with link(), which fails with EEXIST if `path` appeared meanwhile.
 */
export function writeSecretFileSync(path: string, data: string, opts: { overwrite: boolean }): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.overwrite) renameSync(tmp, path);
    else linkSync(tmp, path);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed into place.
    }
  }
}
