/** How reports print amounts. */

/** Base units per coin. */
const COIN = 100_000_000n;

/** Base units as coins, exact to the unit, trailing zeros trimmed, the integer part grouped. */
export function coins(units: string | bigint): string {
  const v = BigInt(units);
  const sign = v < 0n ? "-" : "";
  const a = v < 0n ? -v : v;
  const frac = (a % COIN).toString().padStart(8, "0").replace(/0+$/, "");
  return `${sign}${(a / COIN).toLocaleString("en-US")}${frac ? `.${frac}` : ""}`;
}
