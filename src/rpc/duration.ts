/** Parses human durations for --ttl and --overlap: `500ms`, `30s`, `15m`, `24h`, `90d`, `2w`. */
import { ChainlabError } from "../core/errors.ts";

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds for a duration string, or a DURATION_INVALID error naming the input. */
export function parseDuration(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  const unit = m?.[2] === undefined ? undefined : UNITS[m[2]];
  if (!m || unit === undefined) {
    throw new ChainlabError(
      "DURATION_INVALID",
      `invalid duration ${JSON.stringify(text)} (e.g. 30s, 24h, 90d)`,
      {
        got: text,
      },
    );
  }
  const ms = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(ms)) throw new ChainlabError("DURATION_INVALID", `duration ${text} is too large`);
  return ms;
}
