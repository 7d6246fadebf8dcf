/**
 * The API key store: records in a LevelDB sublevel, mirrored in memory for the hot path.
 * Every write goes through one queue, so a batched `markUsed` flush can never overwrite a
 * revocation or rotation with an older copy of a record.
 */
import { randomBytes } from "node:crypto";
import type { AbstractLevel } from "abstract-level";
import type { Logger } from "pino";
import {
  type ApiKeyRecord,
  type ApiKeyStatus,
  type ApiKeyView,
  apiKeyStatus,
  checkDuration,
  checkLabel,
  toApiKeyView,
} from "./api-key-record.ts";
import type { AuditLog } from "./audit.ts";
import { ApiKeyError } from "./errors.ts";
import { mintSecret, openSecret } from "./secret-box.ts";
import { type Clock, parseScopes, type Scope } from "./types.ts";

/** A LevelDB sublevel (or database) with string keys and JSON values of type V. */
export type JsonSublevel<V> = AbstractLevel<string | Buffer | Uint8Array, string, V>;

/** What the store needs from the node. */
export interface ApiKeyStoreDeps {
  db: JsonSublevel<ApiKeyRecord>;
  /** From loadOrCreateMasterKey(dataDir). */
  masterKey: Uint8Array;
  clock: Clock;
  audit: AuditLog;
  logger: Logger;
  /** How long `markUsed` updates may wait before they are written (default 1000 ms). */
  usageFlushMs?: number;
}

/** A freshly created key: the secret appears here and nowhere else, ever. */
export interface CreatedApiKey {
  id: string;
  /** 64 hex chars encoding the 32 secret bytes; the HMAC key is the decoded bytes. */
  secret: string;
  /** `ID:SECRET`, the format of admin.key, --api-key-file and CHAINLAB_API_KEY. */
  credential: string;
  key: ApiKeyView;
}

/**
 * What the authenticator sees of a key. A revoked key carries no secret: it is never decrypted
 * again once revoked, so nothing can be verified with it.
 */
export type ApiKeyForAuth =
  | { id: string; scopes: Scope[]; status: Exclude<ApiKeyStatus, { state: "revoked" }>; secret: Buffer }
  | { id: string; scopes: Scope[]; status: Extract<ApiKeyStatus, { state: "revoked" }>; secret?: undefined };

/** Options of create. */
export interface CreateApiKeyOptions {
  scopes: readonly Scope[] | string;
  label: string;
  ttlMs?: number;
}

/** Operations on API keys; see api-keys.ts for the write-ordering guarantee. */
export interface ApiKeyStore {
  create(opts: CreateApiKeyOptions): Promise<CreatedApiKey>;
  /** New key (version+1, same scopes/label); the old one stays valid for `overlapMs`, then is refused. */
  rotate(id: string, opts: { overlapMs: number }): Promise<CreatedApiKey & { previous: ApiKeyView }>;
  /** Immediate: the next request with this key fails. Idempotent. */
  revoke(id: string): Promise<ApiKeyView>;
  list(): ApiKeyView[];
  get(id: string): ApiKeyView | undefined;
  /** For the authenticator: status and the decrypted secret (none if revoked), or undefined for an unknown id. */
  lookup(id: string, now?: number): ApiKeyForAuth | undefined;
  /** Counts a use; written in batches at most once per `usageFlushMs`. */
  markUsed(id: string): void;
  /** Number of keys in any state. */
  readonly size: number;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Loads every record into memory and returns the store. */
export async function openApiKeyStore(deps: ApiKeyStoreDeps): Promise<ApiKeyStore> {
  const { db, masterKey, clock, audit } = deps;
  const log = deps.logger.child({ module: "rpc:keys" });
  const flushMs = deps.usageFlushMs ?? 1000;
  const records = new Map<string, ApiKeyRecord>();
  for await (const [id, record] of db.iterator()) records.set(id, record);
  const secrets = new Map<string, Buffer>();
  const dirty = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const mustGet = (id: string): ApiKeyRecord => {
    const r = records.get(id);
    if (!r) throw new ApiKeyError("APIKEY_NOT_FOUND", `no API key ${id}`, { id });
    return r;
  };
  const writeDirty = async (): Promise<void> => {
    if (dirty.size === 0) return;
    const ids = [...dirty];
    dirty.clear();
    const ops = ids.flatMap((id) => {
      const value = records.get(id);
      return value ? [{ type: "put" as const, key: id, value }] : [];
    });
    await db.batch(ops);
  };
  const scheduleFlush = (): void => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      serialize(writeDirty).catch((err: unknown) => log.error({ err }, "failed to write key usage"));
    }, flushMs);
    timer.unref();
  };
  /** Writes key_expired the first time an expiry is seen. */
  const observe = (record: ApiKeyRecord, now: number): ApiKeyStatus => {
    const status = apiKeyStatus(record, now);
    if (status.state === "expired" && record.expiredObservedAt === null) {
      record.expiredObservedAt = now;
      audit.record({ event: "key_expired", keyId: record.id, cause: status.cause, expiredAt: status.at });
      log.info({ keyId: record.id, cause: status.cause }, "API key expired");
      dirty.add(record.id);
      scheduleFlush();
    }
    return status;
  };
  const newRecord = (scopes: Scope[], label: string, version: number, expiresAt: number | null) => {
    let id: string;
    do id = "k_" + randomBytes(6).toString("hex");
    while (records.has(id));
    const { secret, salt, fingerprint, sealed } = mintSecret(masterKey, id);
    const record: ApiKeyRecord = {
      id,
      label,
      scopes,
      version,
      createdAt: clock.now(),
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
      useCount: 0,
      rotatedFrom: null,
      rotatedTo: null,
      overlapUntil: null,
      expiredObservedAt: null,
      salt,
      fingerprint,
      sealed,
    };
    return { record, secret };
  };
  const created = (record: ApiKeyRecord, secret: Buffer): CreatedApiKey => {
    const hex = secret.toString("hex");
    return {
      id: record.id,
      secret: hex,
      credential: `${record.id}:${hex}`,
      key: toApiKeyView(record, clock.now()),
    };
  };

  return {
    get size() {
      return records.size;
    },
    create: (opts) =>
      serialize(async () => {
        const scopes = parseScopes(opts.scopes);
        const label = checkLabel(opts.label);
        const ttl = opts.ttlMs === undefined ? null : checkDuration(opts.ttlMs, "ttlMs", 1);
        const { record, secret } = newRecord(scopes, label, 1, ttl === null ? null : clock.now() + ttl);
        await db.put(record.id, record);
        records.set(record.id, record);
        secrets.set(record.id, secret);
        audit.record({
          event: "key_created",
          keyId: record.id,
          label,
          scopes,
          version: 1,
          expiresAt: record.expiresAt,
        });
        log.info({ keyId: record.id, label, scopes }, "API key created");
        return created(record, secret);
      }),
    rotate: (id, opts) =>
      serialize(async () => {
        const overlapMs = checkDuration(opts.overlapMs, "overlapMs", 0);
        const old = mustGet(id);
        const now = clock.now();
        const status = observe(old, now);
        if (status.state !== "active") {
          throw new ApiKeyError("APIKEY_INACTIVE", `API key ${id} is ${status.state}`, {
            id,
            status: status.state,
          });
        }
        if (old.rotatedTo !== null) {
          throw new ApiKeyError(
            "APIKEY_ALREADY_ROTATED",
            `API key ${id} was already rotated to ${old.rotatedTo}`,
            {
              id,
              rotatedTo: old.rotatedTo,
            },
          );
        }
        const ttl = old.expiresAt === null ? null : old.expiresAt - old.createdAt;
        const { record, secret } = newRecord(
          old.scopes,
          old.label,
          old.version + 1,
          ttl === null ? null : now + ttl,
        );
        record.rotatedFrom = old.id;
        const change = { rotatedTo: record.id, overlapUntil: now + overlapMs };
        await db.batch([
          { type: "put", key: record.id, value: record },
          { type: "put", key: old.id, value: { ...old, ...change } },
        ]);
        // Mutate the live record so usage counted during the write is kept.
        Object.assign(old, change);
        records.set(record.id, record);
        secrets.set(record.id, secret);
        audit.record({
          event: "key_rotated",
          keyId: old.id,
          newKeyId: record.id,
          version: record.version,
          overlapUntil: now + overlapMs,
        });
        log.info({ keyId: old.id, newKeyId: record.id, overlapMs }, "API key rotated");
        return { ...created(record, secret), previous: toApiKeyView(old, now) };
      }),
    revoke: (id) =>
      serialize(async () => {
        const old = mustGet(id);
        const now = clock.now();
        if (old.revokedAt !== null) return toApiKeyView(old, now);
        await db.put(id, { ...old, revokedAt: now });
        old.revokedAt = now;
        secrets.delete(id);
        audit.record({ event: "key_revoked", keyId: id });
        log.info({ keyId: id }, "API key revoked");
        return toApiKeyView(old, now);
      }),
    list() {
      const now = clock.now();
      return [...records.values()]
        .map((r) => {
          observe(r, now);
          return toApiKeyView(r, now);
        })
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    },
    get(id) {
      const r = records.get(id);
      if (!r) return undefined;
      const now = clock.now();
      observe(r, now);
      return toApiKeyView(r, now);
    },
    lookup(id, now = clock.now()) {
      const r = records.get(id);
      if (!r) return undefined;
      const status = observe(r, now);
      if (status.state === "revoked") {
        secrets.delete(id);
        return { id, scopes: r.scopes, status };
      }
      let secret = secrets.get(id);
      if (!secret) {
        secret = openSecret(masterKey, r.sealed, id);
        secrets.set(id, secret);
      }
      return { id, scopes: r.scopes, status, secret };
    },
    markUsed(id) {
      const r = records.get(id);
      if (!r) return;
      r.lastUsedAt = clock.now();
      r.useCount += 1;
      dirty.add(id);
      scheduleFlush();
    },
    flush: () => serialize(writeDirty),
    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await serialize(writeDirty);
      closed = true;
      secrets.clear();
    },
  };
}
