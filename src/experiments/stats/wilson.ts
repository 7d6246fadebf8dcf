/** Binomial confidence intervals and a goodness-of-fit test for a sweep of binomial points. */

/** A proportion with its interval. */
export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/**
 * The Wilson score interval for `successes` out of `trials` (Wilson 1927): unlike the normal
 * approximation it stays inside [0, 1] and is not degenerate at 0 or n successes.
 */
export function wilsonInterval(successes: number, trials: number, z = Z95): Interval {
  if (!Number.isInteger(trials) || trials < 0 || !Number.isInteger(successes) || successes < 0) {
    throw new RangeError(`wilsonInterval: bad counts ${successes}/${trials}`);
  }
  if (successes > trials) throw new RangeError(`wilsonInterval: ${successes} successes > ${trials} trials`);
  return wilsonFromProportion(trials === 0 ? 0 : successes / trials, trials, z);
}

/**
 * The Wilson interval of a proportion `p` measured on an effective sample of `n` (a real number:
 * n / design effect for correlated units); exact 0 and 1 keep their closed end.
 */
export function wilsonFromProportion(p: number, n: number, z = Z95): Interval {
  if (!(n >= 0) || !(p >= 0 && p <= 1)) throw new RangeError(`wilsonFromProportion: bad p=${p}, n=${n}`);
  if (n === 0) return { estimate: Number.NaN, lo: 0, hi: 1 };
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return {
    estimate: p,
    lo: Math.max(0, p === 0 ? 0 : centre - half),
    hi: Math.min(1, p === 1 ? 1 : centre + half),
  };
}

/**
 * The design effect of a ratio estimated from batches (cluster sampling): the ratio estimator's
 * variance over batches, Σ (n_b/n̄)² (p_b − p)² / (B(B−1)), divided by the binomial p(1−p)/n.
 * Never below 1 (the batches cannot make units more independent than independent); 1 with fewer
 * than two batches or a degenerate rate.
 */
export function batchDesignEffect(batches: readonly { successes: number; count: number }[]): number {
  const used = batches.filter((b) => b.count > 0);
  const n = used.reduce((t, b) => t + b.count, 0);
  const s = used.reduce((t, b) => t + b.successes, 0);
  const B = used.length;
  if (B < 2 || n === 0) return 1;
  const p = s / n;
  if (p <= 0 || p >= 1) return 1;
  const mean = n / B;
  const v =
    used.reduce((t, b) => t + (b.count / mean) ** 2 * (b.successes / b.count - p) ** 2, 0) / (B * (B - 1));
  return Math.max(1, v / ((p * (1 - p)) / n));
}

/** One binomial point of a sweep against its predicted probability. */
export interface FitPoint {
  successes: number;
  trials: number;
  predicted: number;
}

/** The result of a chi-square goodness-of-fit test. */
export interface FitTest {
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
}

/**
 * Pearson's chi-square over a sweep: each point contributes (x - np)^2 / (np(1-p)), one degree
 * of freedom per point (no parameter is fitted). Points with np(1-p) = 0 are skipped.
 */
export function sweepFit(points: readonly FitPoint[]): FitTest {
  let chi = 0;
  let dof = 0;
  for (const pt of points) {
    const v = pt.trials * pt.predicted * (1 - pt.predicted);
    if (!(v > 0)) continue;
    chi += (pt.successes - pt.trials * pt.predicted) ** 2 / v;
    dof++;
  }
  return { chiSquare: chi, degreesOfFreedom: dof, pValue: dof === 0 ? 1 : chiSquareSurvival(chi, dof) };
}

/** P(X >= x) for X chi-square with k degrees of freedom = Q(k/2, x/2). */
export function chiSquareSurvival(x: number, k: number): number {
  if (x <= 0) return 1;
  return regularizedGammaQ(k / 2, x / 2);
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9).
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Q(a, x), the regularized upper incomplete gamma function (series or continued fraction). */
function regularizedGammaQ(a: number, x: number): number {
  const lg = logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 500; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lg);
  }
  // Lentz's continued fraction.
  let b = x + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lg) * h;
}
