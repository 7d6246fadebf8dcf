/** Reads a published test vector file from test/fixtures/vectors (inside the repository). */
import { readFileSync } from "node:fs";

/** The parsed JSON of test/fixtures/vectors/`name`. */
export function readVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/vectors/${name}`, import.meta.url), "utf8")) as T;
}
