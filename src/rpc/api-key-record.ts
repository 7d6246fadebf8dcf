/** The stored shape of an API key, its public view, and its status at a given time (pure). */
import { ApiKeyError } from "./errors.ts";
import type { SealedSecret } from "./secret-box.ts";
import type { Scope } from "./types.ts";

/** What LevelDB holds per key (sublevel key = id). Never contains the plain secret. */
export interface ApiKeyRecord {
  id: string;
  label: string;
  scopes: Scope[];
  version: number;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  useCount: number;
  rotatedFrom: string | null;
  rotatedTo: string | null;
  /** Set on the old key by a rotation: it is refused from this instant on. */
  overlapUntil: number | null;
  /** When the expiry was first observed and audited (so key_expired is written once). */
  expiredObservedAt: number | null;
  salt: string;
  fingerprint: string;
  sealed: SealedSecret;
}

/** Whether a key may be used now, and if not, why. */
export type ApiKeyStatus =
  | { state: "active" }
  | { state: "revoked"; at: number }
  | { state: "expired"; at: number; cause: "ttl" | "overlap_ended" };

/** A key as shown to operators: the record's metadata and its status, no secret material. */
export type ApiKeyView = Omit<ApiKeyRecord, "expiredObservedAt" | "salt" | "sealed"> & {
  status: ApiKeyStatus["state"];
};

/** Revocation wins over expiry; a key is refused from `expiresAt`/`overlapUntil` on (inclusive). */
export function apiKeyStatus(record: ApiKeyRecord, now: number): ApiKeyStatus {
  if (record.revokedAt !== null && now >= record.revokedAt) return { state: "revoked", at: record.revokedAt };
  const ttlEnd = record.expiresAt ?? Number.POSITIVE_INFINITY;
  const overlapEnd = record.overlapUntil ?? Number.POSITIVE_INFINITY;
  const end = Math.min(ttlEnd, overlapEnd);
  if (now >= end) return { state: "expired", at: end, cause: overlapEnd <= ttlEnd ? "overlap_ended" : "ttl" };
  return { state: "active" };
}

/** The operator view of a record at time `now`. */
export function toApiKeyView(record: ApiKeyRecord, now: number): ApiKeyView {
  // Everything but the secret material and the internal audit marker.
  const { expiredObservedAt: _observed, salt: _salt, sealed: _sealed, ...metadata } = record;
  return { ...metadata, scopes: [...record.scopes], status: apiKeyStatus(record, now).state };
}

/** Key ids look like `k_` + 12 lowercase hex chars. */
export const API_KEY_ID_PATTERN = /^k_[0-9a-f]{12}$/;

const LABEL_PATTERN = /^[\x20-\x7e]{1,64}$/;
const MAX_DURATION_MS = 10 * 365 * 24 * 3600 * 1000;

/** A label is 1 to 64 printable ASCII characters (it is shown in lists and the audit log). */
export function checkLabel(label: unknown): string {
  if (typeof label !== "string" || !LABEL_PATTERN.test(label)) {
    throw new ApiKeyError("APIKEY_BAD_LABEL", "label: expected 1 to 64 printable ASCII characters");
  }
  return label;
}

/** A TTL or overlap: an integer number of ms in [min, 10 years], else APIKEY_BAD_TTL. */
export function checkDuration(ms: unknown, what: string, min: number): number {
  if (typeof ms !== "number" || !Number.isSafeInteger(ms) || ms < min || ms > MAX_DURATION_MS) {
    throw new ApiKeyError(
      "APIKEY_BAD_TTL",
      `${what}: expected an integer number of ms in [${min}, ${MAX_DURATION_MS}]`,
      {
        got: ms,
      },
    );
  }
  return ms;
}
