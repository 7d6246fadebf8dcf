/**
 * The chainlab version, read once from the package's own package.json: two folders above this
 * module in a checkout (src/node/), three in a packed build (dist/src/node/).
 */
import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The version field of chainlab's package.json ("unknown" if it cannot be found). */
export function chainlabVersion(): string {
  if (cached !== undefined) return cached;
  cached = "unknown";
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === "chainlab" && typeof pkg.version === "string") {
        cached = pkg.version;
        break;
      }
    } catch {
      // not at this level
    }
  }
  return cached;
}
