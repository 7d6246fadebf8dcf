/** Eyal and Sirer (2014), "Majority is not Enough": the selfish pool's relative revenue. */

/** R(α, γ) = [α(1−α)²(4α+γ(1−2α)) − α³] / [1 − α(1+(2−α)α)] for the SM1 strategy. */
export function selfishRevenue(alpha: number, gamma: number): number {
  if (!(alpha >= 0 && alpha < 0.5)) throw new RangeError(`alpha must be in [0, 0.5), got ${alpha}`);
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`gamma must be in [0, 1], got ${gamma}`);
  const a = alpha;
  return (a * (1 - a) ** 2 * (4 * a + gamma * (1 - 2 * a)) - a ** 3) / (1 - a * (1 + (2 - a) * a));
}

/** The share above which selfish mining pays: (1−γ)/(3−2γ). */
export function selfishThreshold(gamma: number): number {
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`gamma must be in [0, 1], got ${gamma}`);
  return (1 - gamma) / (3 - 2 * gamma);
}
