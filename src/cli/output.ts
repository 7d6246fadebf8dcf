/** Printing for the CLI: JSON with bigints as strings, or human text. */

/** JSON.stringify with bigints as decimal strings and Uint8Arrays as hex. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === "bigint") return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
      return v;
    },
    indent,
  );
}

/** Prints `value` as JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}

/** Prints aligned "key: value" lines. */
export function printFields(fields: Record<string, unknown>): void {
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  for (const [k, v] of Object.entries(fields)) {
    const text = typeof v === "object" && v !== null ? toJson(v, 0) : String(v);
    process.stdout.write(`${`${k}:`.padEnd(width + 2)}${text}\n`);
  }
}
