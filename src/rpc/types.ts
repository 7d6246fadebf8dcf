/** Small shared types of the RPC layer: the injected clock and the key scopes. */
import { ApiKeyError } from "./errors.ts";

/** Wall-clock source in unix milliseconds; injected so tests can move time. */
export interface Clock {
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** The scopes a key can hold. */
export const SCOPES = ["read", "submit", "admin"] as const;

/** One scope: `read` queries, `submit` sends transactions, `admin` manages the node and keys. */
export type Scope = (typeof SCOPES)[number];

/**
 * Least privilege: a key holds an explicit set of scopes. `admin` grants every scope; `submit`
 * does NOT imply `read` (a submit-only key can send transactions but not read state).
 */
export function hasScope(held: readonly Scope[], needed: Scope): boolean {
  return held.includes("admin") || held.includes(needed);
}

/** Validates a list of scope names (deduplicated, in canonical order) or throws APIKEY_BAD_SCOPES. */
export function parseScopes(input: unknown): Scope[] {
  const list = typeof input === "string" ? input.split(",").map((s) => s.trim()) : input;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ApiKeyError("APIKEY_BAD_SCOPES", "scopes: expected a non-empty list of read, submit, admin");
  }
  for (const s of list) {
    if (!SCOPES.includes(s as Scope)) {
      throw new ApiKeyError("APIKEY_BAD_SCOPES", `scopes: unknown scope ${JSON.stringify(s)}`, { got: s });
    }
  }
  return SCOPES.filter((s) => list.includes(s));
}
