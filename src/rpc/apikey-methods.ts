/** Built-in admin methods over the key store: apikey_create, apikey_rotate, apikey_revoke, apikey_list. */
import type { ApiKeyStore } from "./api-keys.ts";
import type { MethodRegistry } from "./methods.ts";
import { noParams, params, v } from "./params.ts";
import { SCOPES } from "./types.ts";

/** Default overlap of apikey_rotate when none is given: 24 hours. */
export const DEFAULT_ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

const keyId = v.string({ pattern: /^k_[0-9a-f]{12}$/ });

/**
 * Registers the apikey_* methods (all admin scope) and rpc_methods (read scope);
 * `onSecretReturned` hears of every response that carries a new secret.
 */
export function registerApiKeyMethods(
  registry: MethodRegistry,
  keys: ApiKeyStore,
  hooks: { onSecretReturned?: (method: string) => void } = {},
): void {
  const returned = <T>(method: string, created: T): T => {
    hooks.onSecretReturned?.(method);
    return created;
  };
  registry.register("apikey_create", {
    scope: "admin",
    description: "Create a key; the secret is returned once.",
    params: params({
      scopes: v.array(v.oneOf(SCOPES), { min: 1, max: 3 }),
      label: v.string({ min: 1, max: 64 }),
      ttlMs: v.optional(v.integer({ min: 1 })),
    }),
    handler: async (p) =>
      returned(
        "apikey_create",
        await keys.create({
          scopes: p.scopes,
          label: p.label,
          ...(p.ttlMs === undefined ? {} : { ttlMs: p.ttlMs }),
        }),
      ),
  });
  registry.register("apikey_rotate", {
    scope: "admin",
    description: "Replace a key; the old one works until the overlap ends.",
    params: params({ id: keyId, overlapMs: v.optional(v.integer({ min: 0 })) }),
    handler: async (p) =>
      returned(
        "apikey_rotate",
        await keys.rotate(p.id, { overlapMs: p.overlapMs ?? DEFAULT_ROTATION_OVERLAP_MS }),
      ),
  });
  registry.register("apikey_revoke", {
    scope: "admin",
    description: "Revoke a key at once.",
    params: params({ id: keyId }),
    handler: (p) => keys.revoke(p.id),
  });
  registry.register("apikey_list", {
    scope: "admin",
    description: "List keys with their metadata (never secrets).",
    params: noParams,
    handler: () => keys.list(),
  });
  registry.register("rpc_methods", {
    scope: "read",
    description: "List the methods and the scope each needs.",
    params: noParams,
    handler: () => registry.list(),
  });
}
