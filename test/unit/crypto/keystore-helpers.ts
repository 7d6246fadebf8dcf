/** Shared helpers of the keystore and passphrase tests. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { KeystoreError } from "../../../src/crypto/keystore.ts";

/** Awaits `work`, expects a KeystoreError and returns it. */
export async function keystoreError(work: Promise<unknown> | (() => unknown)): Promise<KeystoreError> {
  try {
    await (typeof work === "function" ? work() : work);
  } catch (err) {
    expect(err).toBeInstanceOf(KeystoreError);
    return err as KeystoreError;
  }
  throw new Error("expected a KeystoreError, nothing was thrown");
}

/** A fresh temp dir per call, removed after each test. */
export function useTempDirs(): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const d = await mkdtemp(join(tmpdir(), "chainlab-keystore-"));
    dirs.push(d);
    return d;
  };
}
