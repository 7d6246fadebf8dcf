/**
 * The dashboard's request checks. The server binds loopback only, but a browser can still be
 * pointed at it by another site: a DNS-rebinding page reaches it under a foreign Host, a
 * cross-site form or fetch carries a foreign Origin. So every request must name the server's own
 * loopback address in Host, any Origin must be that address, and a control (a state-changing POST)
 * must also carry the session token, a JSON body type (no simple cross-site form) and an Origin.
 */
import { timingSafeEqual } from "node:crypto";

/** What the checks read from a request. */
export interface RequestFacts {
  method: string;
  host: string | undefined;
  origin: string | undefined;
  contentType?: string | undefined;
  token?: string | undefined;
}

/** A refused request: HTTP status, stable code and a reason for the page. */
export interface Refusal {
  status: number;
  code: string;
  reason: string;
}

/** The Host values the server answers to: its own port on 127.0.0.1 or localhost. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Whether `given` is the session token (constant time). */
export function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined || given === "") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Checks Host and Origin of any request; undefined when it may proceed. */
export function checkOrigin(req: RequestFacts, port: number): Refusal | undefined {
  const hosts = allowedHosts(port);
  if (req.host === undefined || !hosts.includes(req.host.toLowerCase())) {
    return { status: 421, code: "DASHBOARD_BAD_HOST", reason: `Host must be one of ${hosts.join(", ")}` };
  }
  if (req.origin !== undefined && !hosts.some((h) => req.origin === `http://${h}`)) {
    return { status: 403, code: "DASHBOARD_BAD_ORIGIN", reason: "cross-origin requests are refused" };
  }
  return undefined;
}

/** Checks a control request: Host and Origin (required), JSON body, and the session token. */
export function checkControl(req: RequestFacts, port: number, token: string): Refusal | undefined {
  const bad = checkOrigin(req, port);
  if (bad) return bad;
  if (req.method !== "POST") {
    return { status: 405, code: "DASHBOARD_BAD_METHOD", reason: "controls are POST requests" };
  }
  if (req.origin === undefined) {
    return { status: 403, code: "DASHBOARD_BAD_ORIGIN", reason: "a control request must carry an Origin" };
  }
  if (!(req.contentType ?? "").toLowerCase().startsWith("application/json")) {
    return { status: 415, code: "DASHBOARD_BAD_CONTENT_TYPE", reason: "a control body must be JSON" };
  }
  if (!sameToken(req.token, token)) {
    return {
      status: 403,
      code: "DASHBOARD_NO_TOKEN",
      reason: "controls need this session's token (open the URL the testnet printed)",
    };
  }
  return undefined;
}
