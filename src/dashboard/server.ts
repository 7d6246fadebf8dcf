/**
 * The dashboard's HTTP server on 127.0.0.1: the static page, the state as server-sent events
 * (`GET /events`) and as JSON (`GET /api/state`), and the controls (`POST /api/control`). Every
 * request passes the Host and Origin checks; a control also needs the session token, which the
 * page gets from the URL fragment the supervisor prints (never sent in a URL the server logs).
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeError } from "../core/errors.ts";
import { createServer } from "../rpc/node-http.ts";
import { type Controls, DashboardError, parseControl } from "./controls.ts";
import type { ExperimentRuns } from "./experiments.ts";
import { checkControl, checkOrigin, type Refusal, type RequestFacts, sameToken } from "./guard.ts";
import type { Poller } from "./poller.ts";
import { buildView } from "./view.ts";

/** Options of startDashboard. */
export interface DashboardOptions {
  poller: Poller;
  /** Without controls the dashboard is read-only for everyone. */
  controls?: Controls;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Experiment runs to list (rescanned every `experimentsScanMs`, default 2 s). */
  experiments?: ExperimentRuns;
  experimentsScanMs?: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** http://127.0.0.1:PORT/ (read-only without the token). */
  url: string;
  /** The URL with the session token in its fragment: the one to open for controls. */
  controlUrl: string;
  token: string;
  port: number;
  stop(): Promise<void>;
}

const STATIC_FILES: Record<string, string> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/app.js": "app.js",
  "/charts.js": "charts.js",
  "/panels.js": "panels.js",
  "/graphs.js": "graphs.js",
  "/pos.js": "pos.js",
  "/experiments.js": "experiments.js",
  "/style.css": "style.css",
};

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** The static page's folder: beside this module in a checkout; the sources' copy in a packed build. */
function staticDir(): URL {
  const here = new URL("./static/", import.meta.url);
  return existsSync(new URL("index.html", here))
    ? here
    : new URL("../../../src/dashboard/static/", import.meta.url);
}

async function loadStatic(): Promise<Map<string, { type: string; body: Buffer }>> {
  const dir = staticDir();
  const out = new Map<string, { type: string; body: Buffer }>();
  for (const [route, file] of Object.entries(STATIC_FILES)) {
    out.set(route, { type: TYPES[file.split(".").pop()!]!, body: await readFile(new URL(file, dir)) });
  }
  return out;
}

function facts(req: IncomingMessage): RequestFacts {
  const h = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    method: req.method ?? "GET",
    host: h("host"),
    origin: h("origin"),
    contentType: h("content-type"),
    token: h("x-dashboard-token"),
  };
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = "application/json"): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type });
  res.end(body);
}

function refuse(res: ServerResponse, r: Refusal): void {
  send(res, r.status, JSON.stringify({ error: { code: r.code, reason: r.reason } }));
}

/** A decoded path segment, or "" when it is malformed (so it matches no file). */
const decodePath = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
};

const toJson = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

async function readBody(req: IncomingMessage, max = 16_384): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new DashboardError("DASHBOARD_BAD_CONTROL", "body too large");
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new DashboardError("DASHBOARD_BAD_CONTROL", "body is not JSON");
  }
}

/** Starts the dashboard on 127.0.0.1 and the poller behind it. */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const files = await loadStatic();
  const token = randomBytes(32).toString("hex");
  const streams = new Set<ServerResponse>();
  let port = 0;
  const runs = o.experiments;
  const view = () =>
    toJson(
      buildView(o.poller, {
        ...(o.controls?.task ? { task: o.controls.task } : {}),
        ...(runs ? { experiments: runs.list() } : {}),
      }),
    );

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const f = facts(req);
    const path = (req.url ?? "/").split("?")[0]!;
    const bad = checkOrigin(f, port);
    if (bad) return refuse(res, bad);
    if (path === "/api/control") {
      const no = checkControl(f, port, token);
      if (no) return refuse(res, no);
      if (o.controls === undefined)
        return refuse(res, {
          status: 403,
          code: "DASHBOARD_READ_ONLY",
          reason: "this dashboard has no controls",
        });
      try {
        const result = await o.controls.run(parseControl(await readBody(req)));
        return send(res, 200, toJson({ result }));
      } catch (err) {
        const e = describeError(err);
        const status = err instanceof DashboardError ? 400 : 500;
        return send(res, status, toJson({ error: { code: e.code, reason: e.message } }));
      }
    }
    if (f.method !== "GET" && f.method !== "HEAD")
      return refuse(res, { status: 405, code: "DASHBOARD_BAD_METHOD", reason: "read-only endpoint" });
    if (path === "/api/session") {
      return send(res, 200, toJson({ control: o.controls !== undefined && sameToken(f.token, token) }));
    }
    if (path === "/api/state") return send(res, 200, view());
    const chart = /^\/experiments\/([0-9a-f]{16})\/([^/]+)$/.exec(path);
    if (chart && runs) {
      const body = await runs.chart(chart[1]!, decodePath(chart[2]!)).catch(() => undefined);
      if (body) return send(res, 200, body, "image/svg+xml");
    }
    if (path === "/events") {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        "Content-Type": "text/event-stream",
        Connection: "keep-alive",
      });
      res.write(`retry: 2000\nevent: state\ndata: ${view()}\n\n`);
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    const file = files.get(path);
    if (file) return send(res, 200, file.body, file.type);
    return refuse(res, { status: 404, code: "DASHBOARD_NOT_FOUND", reason: "not found" });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(res, 500, toJson({ error: { code: "INTERNAL", reason: describeError(err).message } }));
    });
  });
  const unsubscribe = o.poller.onUpdate(() => {
    if (streams.size === 0) return;
    const frame = `event: state\ndata: ${view()}\n\n`;
    for (const s of streams) s.write(frame);
  });
  const heartbeat = setInterval(() => {
    for (const s of streams) s.write(": keep-alive\n\n");
  }, 15_000);
  let scanning: Promise<void> = Promise.resolve();
  const rescan = () => {
    scanning = runs ? runs.scan().catch(() => {}) : scanning;
  };
  rescan();
  const scanner = setInterval(rescan, o.experimentsScanMs ?? 2_000);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  o.poller.start();
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    controlUrl: `${url}#token=${token}`,
    token,
    port,
    async stop() {
      unsubscribe();
      clearInterval(heartbeat);
      clearInterval(scanner);
      await scanning;
      await o.poller.stop();
      for (const s of streams) s.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
