/**
 * Event webhooks: registrations persisted in a LevelDB sublevel (secret sealed under the master
 * key, like API keys), `emit(event, payload)` for the node, and the admin methods webhook_add,
 * webhook_remove and webhook_list. URLs must point at loopback unless `allowRemote` is set.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { JsonSublevel } from "./api-keys.ts";
import type { AuditLog } from "./audit.ts";
import { WebhookError } from "./errors.ts";
import type { MethodRegistry } from "./methods.ts";
import type { NodeMetrics } from "./metrics.ts";
import { params, v } from "./params.ts";
import { mintSecret, openSecret, type SealedSecret } from "./secret-box.ts";
import type { Clock } from "./types.ts";
import {
  abortableSleep,
  DEFAULT_RETRY_POLICY,
  deliverWithRetry,
  type RetryPolicy,
} from "./webhook-delivery.ts";

/** Event types a webhook can subscribe to. */
export const WEBHOOK_EVENTS = ["new_head", "reorg", "slashing"] as const;
/** One webhook event type. */
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** What the sublevel holds per webhook (key = id). */
export interface WebhookRecord {
  id: string;
  url: string;
  events: WebhookEvent[];
  createdAt: number;
  salt: string;
  fingerprint: string;
  sealed: SealedSecret;
}

/** A webhook as listed: no secret material. */
export type WebhookView = Pick<WebhookRecord, "id" | "url" | "events" | "createdAt" | "fingerprint">;

/** Options of the webhook service. */
export interface WebhookOptions {
  /** Allow non-loopback http(s) URLs (default false). */
  allowRemote?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Deliveries in flight at once before new ones are dropped (default 1000). */
  maxPending?: number;
}

/** Dependencies of the webhook service. */
export interface WebhookDeps {
  db: JsonSublevel<WebhookRecord>;
  masterKey: Uint8Array;
  clock: Clock;
  audit: AuditLog;
  logger: Logger;
  metrics: NodeMetrics;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The webhook registry and dispatcher. */
export interface WebhookService {
  /** Registers a URL; the secret (64 hex chars) is returned here only. */
  add(input: {
    url: string;
    events: readonly string[];
  }): Promise<{ id: string; secret: string; webhook: WebhookView }>;
  remove(id: string): Promise<void>;
  list(): WebhookView[];
  /** Queues a delivery to every webhook subscribed to `event`; never throws. */
  emit(event: WebhookEvent, payload: unknown): void;
  /** Resolves when no delivery is in flight (for tests and shutdown). */
  idle(): Promise<void>;
  /** Cancels pending retries. */
  stop(): Promise<void>;
}

/** Loads registrations and returns the service. */
export async function openWebhookService(
  options: WebhookOptions,
  deps: WebhookDeps,
): Promise<WebhookService> {
  const log = deps.logger.child({ module: "rpc:webhooks" });
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const maxPending = options.maxPending ?? 1000;
  const hooks = new Map<string, WebhookRecord>();
  for await (const [id, record] of deps.db.iterator()) hooks.set(id, record);
  const abort = new AbortController();
  const pending = new Set<Promise<boolean>>();
  const deliveryDeps = {
    // Read the fetch global only when a hook fires: the getter loads undici (10+ MB of RSS).
    fetch: deps.fetch ?? ((url: string | URL | Request, init?: RequestInit) => fetch(url, init)),
    sleep: deps.sleep ?? abortableSleep,
    clock: deps.clock,
    logger: log,
    metrics: deps.metrics,
    signal: abort.signal,
  };
  const view = (r: WebhookRecord): WebhookView => ({
    id: r.id,
    url: r.url,
    events: [...r.events],
    createdAt: r.createdAt,
    fingerprint: r.fingerprint,
  });

  return {
    async add(input) {
      const url = checkUrl(input.url, options.allowRemote ?? false);
      const events = checkEvents(input.events);
      const id = `wh_${randomBytes(6).toString("hex")}`;
      const { secret, salt, fingerprint, sealed } = mintSecret(deps.masterKey, id);
      const record: WebhookRecord = {
        id,
        url,
        events,
        createdAt: deps.clock.now(),
        salt,
        fingerprint,
        sealed,
      };
      await deps.db.put(id, record);
      hooks.set(id, record);
      // The query string may carry a receiver's own token: keep it out of the audit log and logs.
      const shown = redactUrl(url);
      deps.audit.record({ event: "webhook_added", webhookId: id, url: shown, events });
      log.info({ webhookId: id, url: shown, events }, "webhook added");
      return { id, secret: secret.toString("hex"), webhook: view(record) };
    },
    async remove(id) {
      if (!hooks.has(id)) throw new WebhookError("WEBHOOK_NOT_FOUND", `no webhook ${id}`, { id });
      await deps.db.del(id);
      hooks.delete(id);
      deps.audit.record({ event: "webhook_removed", webhookId: id });
    },
    list: () => [...hooks.values()].map(view),
    emit(event, payload) {
      for (const hook of hooks.values()) {
        if (!hook.events.includes(event)) continue;
        if (pending.size >= maxPending || abort.signal.aborted) {
          deps.metrics.webhookDeliveries.inc({ event, outcome: "dropped" });
          log.warn({ webhookId: hook.id, event }, "webhook delivery dropped");
          continue;
        }
        const delivery = {
          id: `d_${randomBytes(8).toString("hex")}`,
          webhookId: hook.id,
          event,
          createdAt: deps.clock.now(),
          payload,
        };
        const target = {
          webhookId: hook.id,
          url: hook.url,
          secret: openSecret(deps.masterKey, hook.sealed, hook.id),
        };
        const p: Promise<boolean> = deliverWithRetry(target, delivery, policy, deliveryDeps)
          .catch((err: unknown) => {
            log.error({ err }, "webhook delivery crashed");
            return false;
          })
          .finally(() => pending.delete(p));
        pending.add(p);
      }
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async stop() {
      abort.abort(new Error("webhooks stopped"));
      await Promise.all([...pending]);
    },
  };
}

/** Registers webhook_add, webhook_remove and webhook_list (admin scope). */
export function registerWebhookMethods(registry: MethodRegistry, service: WebhookService): void {
  registry.register("webhook_add", {
    scope: "admin",
    description: "Register a URL for events; the signing secret is returned once.",
    params: params({
      url: v.string({ min: 1, max: 2048 }),
      events: v.array(v.oneOf(WEBHOOK_EVENTS), { min: 1, max: 3 }),
    }),
    handler: (p) => service.add(p),
  });
  registry.register("webhook_remove", {
    scope: "admin",
    description: "Remove a webhook.",
    params: params({ id: v.string({ pattern: /^wh_[0-9a-f]{12}$/ }) }),
    handler: async (p) => {
      await service.remove(p.id);
      return true;
    },
  });
  registry.register("webhook_list", {
    scope: "admin",
    description: "List webhooks (never secrets).",
    params: params({}),
    handler: () => service.list(),
  });
}

function redactUrl(text: string): string {
  const u = new URL(text);
  return u.origin + u.pathname + (u.search ? "?…" : "");
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

function checkUrl(text: string, allowRemote: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookError("WEBHOOK_BAD_URL", "url: not a valid URL", { url: text });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new WebhookError("WEBHOOK_BAD_URL", "url: only http and https are allowed", { url: text });
  }
  if (url.username || url.password)
    throw new WebhookError("WEBHOOK_BAD_URL", "url: credentials are not allowed");
  if (!allowRemote && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new WebhookError(
      "WEBHOOK_BAD_URL",
      "url: only 127.0.0.1, localhost or [::1] unless remote webhooks are enabled",
      {
        url: text,
      },
    );
  }
  return url.toString();
}

function checkEvents(events: readonly string[]): WebhookEvent[] {
  const bad = events.filter((e) => !WEBHOOK_EVENTS.includes(e as WebhookEvent));
  if (events.length === 0 || bad.length > 0) {
    throw new WebhookError("WEBHOOK_BAD_EVENTS", `events: expected some of ${WEBHOOK_EVENTS.join(", ")}`, {
      bad,
    });
  }
  return WEBHOOK_EVENTS.filter((e) => events.includes(e));
}
