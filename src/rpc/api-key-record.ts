/** The stored shape of an API key, its public view, and its status at a given time (pure). */
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

/** A key as shown to operators: metadata and status, no secret material. */
export interface ApiKeyView {
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
  overlapUntil: number | null;
  fingerprint: string;
  status: ApiKeyStatus["state"];
}

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
  return {
    id: record.id,
    label: record.label,
    scopes: [...record.scopes],
    version: record.version,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
    lastUsedAt: record.lastUsedAt,
    useCount: record.useCount,
    rotatedFrom: record.rotatedFrom,
    rotatedTo: record.rotatedTo,
    overlapUntil: record.overlapUntil,
    fingerprint: record.fingerprint,
    status: apiKeyStatus(record, now).state,
  };
}

/** Key ids look like `k_` + 12 lowercase hex chars. */
export const API_KEY_ID_PATTERN = /^k_[0-9a-f]{12}$/;
