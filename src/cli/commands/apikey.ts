/**
 * `chainlab apikey create|rotate|revoke|list|audit`. With --data-dir they work offline on a stopped
 * node's data dir, or over RPC with its admin key when the node is running; with --rpc they call
 * any node with an admin-scope key.
 */
import type { Command } from "commander";
import { ChainlabError } from "../../core/errors.ts";
import { dataDirPaths } from "../../node/data-dir.ts";
import { silentLogger } from "../../node/logger.ts";
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  type ApiKeyView,
  type AuditLine,
  auditLogPath,
  DEFAULT_ROTATION_OVERLAP_MS,
  loadOrCreateMasterKey,
  openApiKeyStore,
  openAuditLog,
  parseScopes,
  readAuditLog,
  streamAuditLog,
  systemClock,
} from "../../rpc/index.ts";
import { openChainDb } from "../../storage/chain-store.ts";
import { CliError } from "../errors.ts";
import { printJson, toJson } from "../output.ts";
import { parseDuration } from "../parse.ts";
import { type RpcTargetOptions, rpcClientFor } from "../rpc-target.ts";

type Op =
  | { kind: "create"; scopes: string[]; label: string; ttlMs?: number }
  | { kind: "rotate"; id: string; overlapMs: number }
  | { kind: "revoke"; id: string }
  | { kind: "list" };

async function runOffline(dataDir: string, op: Op): Promise<unknown | undefined> {
  let db: Awaited<ReturnType<typeof openChainDb>>;
  try {
    db = await openChainDb(dataDirPaths(dataDir).chain);
  } catch (err) {
    if (err instanceof ChainlabError && err.code === "STORAGE_LOCKED") return undefined;
    throw err;
  }
  const audit = openAuditLog(auditLogPath(dataDir), { clock: systemClock });
  let keys: ApiKeyStore | undefined;
  try {
    keys = await openApiKeyStore({
      db: db.sublevel<string, ApiKeyRecord>("rpc-keys", { valueEncoding: "json" }),
      masterKey: loadOrCreateMasterKey(dataDir),
      clock: systemClock,
      audit,
      logger: silentLogger(),
    });
    switch (op.kind) {
      case "create":
        return await keys.create({
          scopes: parseScopes(op.scopes),
          label: op.label,
          ...(op.ttlMs !== undefined ? { ttlMs: op.ttlMs } : {}),
        });
      case "rotate":
        return await keys.rotate(op.id, { overlapMs: op.overlapMs });
      case "revoke":
        return await keys.revoke(op.id);
      case "list":
        return keys.list();
    }
  } finally {
    await keys?.close();
    await audit.close();
    await db.close();
  }
}

async function runOnline(target: RpcTargetOptions, op: Op): Promise<unknown> {
  const client = await rpcClientFor(target);
  switch (op.kind) {
    case "create":
      return client.call("apikey_create", {
        scopes: parseScopes(op.scopes),
        label: op.label,
        ...(op.ttlMs !== undefined ? { ttlMs: op.ttlMs } : {}),
      });
    case "rotate":
      return client.call("apikey_rotate", { id: op.id, overlapMs: op.overlapMs });
    case "revoke":
      return client.call("apikey_revoke", { id: op.id });
    case "list":
      return client.call("apikey_list");
  }
}

async function run(target: RpcTargetOptions, op: Op): Promise<unknown> {
  if (target.rpc === undefined) {
    if (target.dataDir === undefined)
      throw new CliError("pass --data-dir DIR (or --rpc URL with an admin key)");
    const offline = await runOffline(target.dataDir, op);
    if (offline !== undefined) return offline;
  }
  return runOnline(target, op);
}

/** The lines of an already read (limited) log, skipped lines included, as a stream. */
async function* linesOf(log: Awaited<ReturnType<typeof readAuditLog>>): AsyncGenerator<AuditLine> {
  for (let i = 0; i < log.skippedLines; i++) yield { skipped: true };
  for (const entry of log.entries) yield { entry };
}

const when = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());

function printKeyTable(keys: ApiKeyView[]): void {
  const rows = keys.map((k) => [
    k.id,
    k.status,
    k.scopes.join(","),
    k.label,
    `v${k.version}`,
    when(k.expiresAt ?? k.overlapUntil),
    when(k.lastUsedAt),
    String(k.useCount),
  ]);
  const head = ["ID", "STATUS", "SCOPES", "LABEL", "VER", "EXPIRES", "LAST USED", "USES"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join("  ")}\n`);
}

function printCreated(result: unknown, json: boolean | undefined): void {
  if (json) {
    printJson(result);
    return;
  }
  const r = result as { id: string; credential: string; key: ApiKeyView; previous?: ApiKeyView };
  process.stdout.write(`id:         ${r.id}\n`);
  process.stdout.write(`credential: ${r.credential}\n`);
  process.stdout.write(`scopes:     ${r.key.scopes.join(",")}\n`);
  if (r.key.expiresAt !== null) process.stdout.write(`expires:    ${when(r.key.expiresAt)}\n`);
  if (r.previous)
    process.stdout.write(`previous:   ${r.previous.id} valid until ${when(r.previous.overlapUntil)}\n`);
  process.stdout.write("The secret is shown only now: store the credential (ID:SECRET) safely.\n");
}

function targetOptions(cmd: Command): Command {
  return cmd
    .option("--data-dir <dir>", "node data dir (offline when stopped, its RPC when running)")
    .option("--rpc <url>", "node RPC URL (needs an admin-scope key)")
    .option("--api-key-file <file>", "file holding ID:SECRET (else CHAINLAB_API_KEY)")
    .option("--json", "print JSON");
}

/** Registers the apikey commands. */
export function registerApiKey(program: Command): void {
  const apikey = program.command("apikey").description("manage the RPC's API keys");

  targetOptions(
    apikey
      .command("create")
      .description("create a key; its secret is printed once")
      .requiredOption("--scopes <list>", "comma-separated: read, submit, admin")
      .requiredOption("--label <name>", "who or what uses the key")
      .option("--ttl <duration>", "expire after, e.g. 90d"),
  ).action(async (o: RpcTargetOptions & { scopes: string; label: string; ttl?: string; json?: boolean }) => {
    const scopes = o.scopes.split(",").map((s) => s.trim());
    const ttlMs = o.ttl !== undefined ? parseDuration(o.ttl, "ttl") : undefined;
    printCreated(
      await run(o, { kind: "create", scopes, label: o.label, ...(ttlMs !== undefined ? { ttlMs } : {}) }),
      o.json,
    );
  });

  targetOptions(
    apikey
      .command("rotate")
      .description("replace a key; the old one stays valid for the overlap window")
      .argument("<id>", "key id")
      .option("--overlap <duration>", "how long the old key keeps working", "24h"),
  ).action(async (id: string, o: RpcTargetOptions & { overlap: string; json?: boolean }) => {
    const overlapMs = parseDuration(o.overlap, "overlap");
    printCreated(
      await run(o, { kind: "rotate", id, overlapMs: overlapMs ?? DEFAULT_ROTATION_OVERLAP_MS }),
      o.json,
    );
  });

  targetOptions(
    apikey.command("revoke").description("revoke a key at once").argument("<id>", "key id"),
  ).action(async (id: string, o: RpcTargetOptions & { json?: boolean }) => {
    const view = (await run(o, { kind: "revoke", id })) as ApiKeyView;
    if (o.json) printJson(view);
    else process.stdout.write(`revoked ${view.id} at ${when(view.revokedAt)}\n`);
  });

  targetOptions(apikey.command("list").description("list keys and their metadata (never secrets)")).action(
    async (o: RpcTargetOptions & { json?: boolean }) => {
      const keys = (await run(o, { kind: "list" })) as ApiKeyView[];
      if (o.json) printJson(keys);
      else printKeyTable(keys);
    },
  );

  apikey
    .command("audit")
    .description(
      "print the audit log (rotated files too): key lifecycle events and auth failures, repeats aggregated",
    )
    .requiredOption("--data-dir <dir>", "node data dir")
    .option("--limit <n>", "only the last N entries")
    .option("--json", "print JSON")
    .action(async (o: { dataDir: string; limit?: string; json?: boolean }) => {
      const limit = o.limit !== undefined ? Number(o.limit) : undefined;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
        throw new CliError("--limit must be a non-negative integer");
      const path = auditLogPath(o.dataDir);
      // Without --limit the log is streamed; with it only the last N entries are held.
      const lines: AsyncIterable<AuditLine> =
        limit === undefined ? streamAuditLog(path) : linesOf(await readAuditLog(path, { limit }));
      let skippedLines = 0;
      let first = true;
      if (o.json) process.stdout.write('{"entries":[');
      for await (const line of lines) {
        if ("skipped" in line) {
          skippedLines++;
          continue;
        }
        if (o.json) {
          process.stdout.write(`${first ? "" : ","}\n${toJson(line.entry, 0)}`);
          first = false;
          continue;
        }
        const { time, at: _at, event, ...rest } = line.entry as unknown as Record<string, unknown>;
        process.stdout.write(`${time}  ${String(event).padEnd(18)} ${JSON.stringify(rest)}\n`);
      }
      if (o.json) process.stdout.write(`\n],"skippedLines":${skippedLines}}\n`);
      else if (skippedLines > 0) process.stdout.write(`(${skippedLines} unreadable line(s) skipped)\n`);
    });
}
