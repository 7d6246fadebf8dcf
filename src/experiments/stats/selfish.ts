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

/**
 * The stationary probabilities of Eyal and Sirer's state machine that the revenue sums over:
 * state 0 (no private block) and state 0' (a public tie between the pool's and the honest block).
 */
export function selfishStates(alpha: number): { p0: number; p0tie: number } {
  if (!(alpha >= 0 && alpha < 0.5)) throw new RangeError(`alpha must be in [0, 0.5), got ${alpha}`);
  const a = alpha;
  const p0 = (1 - 2 * a) / (2 * a ** 3 - 4 * a ** 2 + 1);
  return { p0, p0tie: (1 - a) * a * p0 };
}

/**
 * The fraction of honest blocks that end up off the main chain under SM1: honest blocks found in
 * state 0 all stay (rate p0(1−α)); from state 0' one honest block on the pool's branch keeps one
 * (γ) and one on the honest branch keeps two (1−γ), so r_others = (1−α)(p0 + p0'(2−γ)), and every
 * other honest block is orphaned by a longer private chain.
 */
export function selfishHonestStaleRate(alpha: number, gamma: number): number {
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`gamma must be in [0, 1], got ${gamma}`);
  const { p0, p0tie } = selfishStates(alpha);
  return 1 - (p0 + p0tie * (2 - gamma));
}
