/**
 * Sends one webhook delivery: POST JSON signed like an API request, with a fresh timestamp and
 * nonce on every attempt, retried with exponential backoff and jitter on network errors, 5xx, 408
 * and 429. Any other 4xx is final (the receiver refused it on purpose).
 */
import type { Logger } from "pino";
import type { NodeMetrics } from "./metrics.ts";
import { signedHeaders } from "./signing.ts";
import type { Clock } from "./types.ts";
import type { WebhookDelivery } from "./webhook-verify.ts";

/** Retry bounds for deliveries. */
export interface RetryPolicy {
  /** Default 5. */
  maxAttempts: number;
  /** Delay before the 2nd attempt, doubled each time (default 500 ms). */
  baseDelayMs: number;
  /** Cap on one delay (default 30 s). */
  maxDelayMs: number;
  /** Per-attempt timeout (default 5 s). */
  timeoutMs: number;
}

/** The defaults of RetryPolicy. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 5000,
};

/** Injected effects of delivery. */
export interface DeliveryDeps {
  fetch: typeof fetch;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  clock: Clock;
  logger: Logger;
  metrics: NodeMetrics;
  signal: AbortSignal;
}

/** Where a delivery goes. */
export interface DeliveryTarget {
  webhookId: string;
  url: string;
  secret: Uint8Array;
}

/** Delivers with retries; resolves true on a 2xx, false when it gave up or was stopped. */
export async function deliverWithRetry(
  target: DeliveryTarget,
  delivery: WebhookDelivery,
  policy: RetryPolicy,
  deps: DeliveryDeps,
): Promise<boolean> {
  const url = new URL(target.url);
  const path = url.pathname + url.search;
  const body = JSON.stringify(delivery);
  const log = deps.logger.child({ webhookId: target.webhookId, deliveryId: delivery.id });
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (deps.signal.aborted) return false;
    const headers = {
      "Content-Type": "application/json",
      "X-Chainlab-Event": delivery.event,
      "X-Chainlab-Delivery": delivery.id,
      ...signedHeaders(target.webhookId, target.secret, {
        method: "POST",
        path,
        body,
        timestamp: deps.clock.now(),
      }),
    };
    let retryable = true;
    try {
      const res = await deps.fetch(url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.any([deps.signal, AbortSignal.timeout(policy.timeoutMs)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        deps.metrics.webhookDeliveries.inc({ event: delivery.event, outcome: "delivered" });
        log.debug({ attempt }, "webhook delivered");
        return true;
      }
      retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      log.warn({ attempt, status: res.status }, "webhook delivery refused");
    } catch (err) {
      log.warn({ attempt, err: (err as Error).message }, "webhook delivery failed");
    }
    deps.metrics.webhookDeliveries.inc({ event: delivery.event, outcome: retryable ? "failed" : "rejected" });
    if (!retryable) return false;
    if (attempt < policy.maxAttempts) {
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await deps.sleep(backoff / 2 + Math.random() * (backoff / 2), deps.signal).catch(() => undefined);
    }
  }
  deps.metrics.webhookDeliveries.inc({ event: delivery.event, outcome: "gave_up" });
  log.warn({ attempts: policy.maxAttempts }, "webhook delivery gave up");
  return false;
}

/** Default sleep: a timer that an abort ends early. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
