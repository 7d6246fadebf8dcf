/** First-start admin key: `<dataDir>/admin.key` with `ID:SECRET`, mode 0600, like Bitcoin Core's cookie. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ApiKeyStore } from "./api-keys.ts";
import { writeSecretFileSync } from "./secret-file.ts";

/** File name of the admin key inside the data dir. */
export const ADMIN_KEY_FILE = "admin.key";

/** Result of ensureAdminKey: the file path if it exists, and whether this call created the key. */
export interface AdminKeyResult {
  path: string | undefined;
  created: boolean;
  keyId?: string;
}

/**
 * When the store holds no key at all, creates an admin key and writes it atomically to
 * `<dataDir>/admin.key` (mode 0600). Otherwise leaves everything alone and reports the file if present.
 */
export async function ensureAdminKey(store: ApiKeyStore, dataDir: string): Promise<AdminKeyResult> {
  const path = join(dataDir, ADMIN_KEY_FILE);
  if (store.size > 0) return { path: existsSync(path) ? path : undefined, created: false };
  const key = await store.create({ scopes: ["admin"], label: "admin (first start)" });
  writeSecretFileSync(path, key.credential, { overwrite: true });
  return { path, created: true, keyId: key.id };
}
