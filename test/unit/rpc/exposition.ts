/** A strict parser of the Prometheus text exposition format (0.0.4) for tests; throws on any defect. */

/** One parsed metric family. */
export interface Family {
  name: string;
  help: string;
  type: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** Parses and validates; returns the families by name. */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const families = new Map<string, Family>();
  const seenSeries = new Set<string>();
  let current: Family | undefined;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const at = `line ${i + 1}: ${line}`;
    if (line === "") return; // the format ignores empty lines
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${at}: bad metric name`);
      if (kind === "HELP") {
        if (families.has(name)) throw new Error(`${at}: duplicate family`);
        if (rest.trim() === "") throw new Error(`${at}: empty HELP`);
        current = { name, help: rest, type: "", samples: [] };
        families.set(name, current);
      } else {
        if (!current || current.name !== name) throw new Error(`${at}: TYPE without its HELP right before`);
        if (!TYPES.has(rest)) throw new Error(`${at}: bad type`);
        current.type = rest;
      }
      return;
    }
    if (line.startsWith("#")) throw new Error(`${at}: unexpected comment`);
    if (!current || current.type === "") throw new Error(`${at}: sample before HELP/TYPE`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?[0-9]+)?$/.exec(line);
    if (!m) throw new Error(`${at}: bad sample syntax`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const allowed =
      current.type === "histogram"
        ? [`${current.name}_bucket`, `${current.name}_sum`, `${current.name}_count`]
        : current.type === "summary"
          ? [current.name, `${current.name}_sum`, `${current.name}_count`]
          : [current.name];
    if (!allowed.includes(name)) throw new Error(`${at}: sample ${name} outside family ${current.name}`);
    const labels = parseLabels(labelText ?? "", at);
    const value = parseValue(valueText, at);
    const series = name + JSON.stringify(Object.entries(labels).sort());
    if (seenSeries.has(series)) throw new Error(`${at}: duplicate series`);
    seenSeries.add(series);
    current.samples.push({ name, labels, value });
  });
  for (const f of families.values()) checkFamily(f);
  return families;
}

function parseLabels(text: string, at: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === "") return labels;
  let rest = text.slice(1, -1);
  while (rest.length > 0) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/.exec(rest);
    if (!m) throw new Error(`${at}: bad labels`);
    const [all, name, raw] = m as unknown as [string, string, string];
    if (!LABEL.test(name) || name.startsWith("__") || name in labels)
      throw new Error(`${at}: bad label ${name}`);
    labels[name] = raw.replace(/\\(["\\n])/g, (_s, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(all.length);
  }
  return labels;
}

function parseValue(text: string, at: string): number {
  // As Go's strconv.ParseFloat, which Prometheus uses: NaN and Inf in any case.
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(text))
    throw new Error(`${at}: bad value`);
  return Number(text);
}

function checkFamily(f: Family): void {
  if (f.type === "counter") {
    if (!f.name.endsWith("_total")) throw new Error(`counter ${f.name} must end in _total`);
    for (const s of f.samples) if (!(s.value >= 0)) throw new Error(`counter ${f.name} is negative`);
  } else if (f.name.endsWith("_total")) {
    throw new Error(`non-counter ${f.name} must not end in _total`);
  }
  if (f.type !== "histogram") return;
  const groups = new Map<string, Array<{ le: number; value: number }>>();
  for (const s of f.samples) {
    if (!s.name.endsWith("_bucket")) continue;
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${f.name}: bucket without le`);
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), { le: parseValue(le, f.name), value: s.value }]);
  }
  for (const buckets of groups.values()) {
    if (buckets.at(-1)?.le !== Number.POSITIVE_INFINITY) throw new Error(`${f.name}: missing +Inf bucket`);
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]!.le <= buckets[i - 1]!.le) throw new Error(`${f.name}: buckets out of order`);
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${f.name}: buckets not cumulative`);
    }
  }
}
