/**
 * node:http loaded through require, not `import`. An ES import of a builtin builds its ESM facade,
 * which reads every export, lazy getters included; on Node 24 that loads undici (the fetch and
 * WebSocket globals' engine) and costs a node 10+ MB of RSS it never uses. The CJS module object
 * leaves those getters unread. Types still come from the ordinary type-only import.
 */
import type * as Http from "node:http";
import { createRequire } from "node:module";

const http = createRequire(import.meta.url)("node:http") as typeof Http;

/** node:http's createServer. */
export const createServer: typeof Http.createServer = http.createServer;
