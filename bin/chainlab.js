#!/usr/bin/env node
// Entry point of the `chainlab` command. Runs the compiled CLI when present (a packed install),
// else the TypeScript sources directly (Node >= 22.18 strips types).
const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  process.stderr.write(
    `error [NODE_VERSION]: chainlab needs Node.js >= 22 (this is ${process.version}); run it as "npx chainlab", which uses the pinned Node 24\n`,
  );
  process.exit(2);
}
const { existsSync } = await import("node:fs");
const compiled = new URL("../dist/src/cli/main.js", import.meta.url);
const entry = existsSync(compiled) ? compiled : new URL("../src/cli/main.ts", import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
