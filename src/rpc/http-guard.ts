/**
 * Host and Origin allow-lists against DNS rebinding: a page on `evil.example` whose name resolves
 * to 127.0.0.1 reaches the node with `Host: evil.example:PORT` and `Origin: http://evil.example`,
 * both refused here before anything else happens. Clients that are not browsers send no Origin.
 */
import { isIP } from "node:net";
import { RequestError } from "./errors.ts";

/** Extra names the operator allows (e.g. behind a reverse proxy); loopback names are implicit. */
export interface HostPolicy {
  /** `name` (on the bound port) or `name:port`. */
  allowedHosts?: readonly string[];
  /** Full origins such as `https://ops.example.com`; our own `http://HOST:PORT` ones are implicit. */
  allowedOrigins?: readonly string[];
}

/** Checks the Host and Origin of a request; returns the refusal or undefined. */
export type RequestGuard = (headers: {
  host?: string | undefined;
  origin?: string | undefined;
}) => RequestError | undefined;

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The guard for a server bound to `bindHost:port`. */
export function createRequestGuard(bindHost: string, port: number, policy: HostPolicy = {}): RequestGuard {
  const withPort = (name: string) => {
    const n = name.toLowerCase();
    if (/:\d+$/.test(n) && (isIP(n) !== 6 || n.startsWith("["))) return n;
    return `${isIP(n) === 6 ? `[${n}]` : n}:${port}`;
  };
  const hosts = new Set(["127.0.0.1", "localhost", "::1", ...(policy.allowedHosts ?? [])].map(withPort));
  if (bindHost !== "0.0.0.0" && bindHost !== "::") hosts.add(withPort(bindHost));
  const origins = new Set([...hosts].map((h) => `http://${h}`));
  for (const o of policy.allowedOrigins ?? []) origins.add(o.toLowerCase().replace(/\/$/, ""));
  return ({ host, origin }) => {
    if (host === undefined || !hosts.has(host.toLowerCase())) {
      return new RequestError("HOST_NOT_ALLOWED", "Host header is not an address of this node", {
        host: (host ?? "").slice(0, 100),
      });
    }
    if (origin !== undefined && !origins.has(origin.toLowerCase())) {
      return new RequestError("ORIGIN_NOT_ALLOWED", "cross-origin requests are not allowed", {
        origin: origin.slice(0, 100),
      });
    }
    return undefined;
  };
}
