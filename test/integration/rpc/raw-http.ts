/** Test helpers below fetch: raw sockets that can stall, forge Host headers or abort, and a log capture. */
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { Writable } from "node:stream";
import { type Logger, pino } from "pino";

/** A raw TCP connection to the server with what it has received so far. */
export interface RawConnection {
  socket: Socket;
  /** Resolves with everything the server sent once it closes the connection. */
  closed: Promise<string>;
  /** Resolves as soon as the server has sent a status line. */
  status: Promise<number>;
}

/** Opens a raw connection to `url` (http://host:port) and writes `head` (and then nothing). */
export function rawConnect(url: string, head = ""): Promise<RawConnection> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => {
      if (head) socket.write(head);
      resolve({ socket, closed, status });
    });
    let text = "";
    let onStatus: (n: number) => void = () => undefined;
    const status = new Promise<number>((r) => {
      onStatus = r;
    });
    const closed = new Promise<string>((r) => {
      socket.on("close", () => r(text));
    });
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) onStatus(Number(m[1]));
    });
    socket.on("error", () => undefined);
    socket.once("error", reject);
  });
}

/** The request head for a POST /rpc with the given headers (Host from `url`). */
export function requestHead(url: string, headers: Record<string, string>, path = "/rpc"): string {
  const u = new URL(url);
  const lines = [
    `POST ${path} HTTP/1.1`,
    `Host: ${u.host}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** A GET through node:http, which (unlike fetch) lets a test forge Host and Origin. */
export function httpGet(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: Number(u.port), path, method: "GET", headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A debug-level pino logger whose lines a test can read and wait for. */
export function captureLogger(): {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  waitFor(pred: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split("\n")) {
        if (!text) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.pred(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
      done();
    },
  });
  return {
    logger: pino({ level: "debug" }, sink),
    lines,
    waitFor(pred) {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}
