#!/usr/bin/env node
// Entry point of the `chainlab` command. In a checkout it runs the TypeScript sources directly
// (Node >= 22.18 strips types), so a stale build can never shadow them; a packed install ships
// only the compiled dist/ and runs that.
const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  process.stderr.write(
    `error [NODE_VERSION]: chainlab needs Node.js >= 22 (this is ${process.version}); run it as "npx chainlab", which uses the pinned Node 24\n`,
  );
  process.exit(2);
}
const { existsSync } = await import("node:fs");
const sources = new URL("../src/cli/main.ts", import.meta.url);
const entry = existsSync(sources) ? sources : new URL("../dist/src/cli/main.js", import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
