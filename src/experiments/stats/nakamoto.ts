/**
 * The double-spend closed forms. Nakamoto's whitepaper §11: an attacker with hashrate share q,
 * with k blocks when the merchant sees z confirmations (k Poisson with mean zq/p), catches up
 * from z - k behind with probability (q/p)^(z-k). The truncated version gives up at a deficit of
 * D blocks (gambler's ruin with two absorbing barriers), which is what a finite experiment runs.
 */

function checkQ(q: number): void {
  if (!(q > 0 && q < 1)) throw new RangeError(`q must be in (0, 1), got ${q}`);
}

function poissonPmf(k: number, lambda: number): number {
  // exp(-l) l^k / k!, iterated to stay finite for large k
  let p = Math.exp(-lambda);
  for (let i = 1; i <= k; i++) p *= lambda / i;
  return p;
}

/**
 * P(reach a deficit of 0 before `giveUp`) from `deficit` behind, each block being the
 * attacker's with probability q: (r^d - r^D) / (1 - r^D), r = q/p; r^d when D is infinite.
 */
export function catchUpProbability(q: number, deficit: number, giveUp = Number.POSITIVE_INFINITY): number {
  checkQ(q);
  if (deficit <= 0) return 1;
  if (deficit >= giveUp) return 0;
  const r = q / (1 - q);
  if (q >= 0.5) {
    if (!Number.isFinite(giveUp)) return 1;
    if (q === 0.5) return 1 - deficit / giveUp;
  }
  if (!Number.isFinite(giveUp)) return r ** deficit;
  return (r ** deficit - r ** giveUp) / (1 - r ** giveUp);
}

/** Nakamoto's attacker success probability for share q and z confirmations (whitepaper §11). */
export function nakamotoSuccess(q: number, z: number): number {
  return truncatedNakamotoSuccess(q, z, Number.POSITIVE_INFINITY);
}

/**
 * The same race when the attacker gives up once `giveUp` blocks behind (at or after the z-th
 * confirmation): sum over k of Poisson(k; zq/p) times catchUpProbability(q, z - k, giveUp).
 */
export function truncatedNakamotoSuccess(q: number, z: number, giveUp: number): number {
  checkQ(q);
  if (!Number.isInteger(z) || z < 0) throw new RangeError(`z must be an integer >= 0, got ${z}`);
  if (q >= 0.5 && !Number.isFinite(giveUp)) return 1;
  const lambda = (z * q) / (1 - q);
  let fail = 0;
  for (let k = 0; k <= z; k++) fail += poissonPmf(k, lambda) * (1 - catchUpProbability(q, z - k, giveUp));
  return Math.min(1, Math.max(0, 1 - fail));
}

/**
 * The exact success probability of the race the double-spend scenario runs: the attacker has
 * one block pre-mined, k (negative binomial: attacker blocks before the z-th honest block,
 * C(z+k-1, k) p^z q^k) when the merchant sees z confirmations, then the two-barrier catch-up.
 * Nakamoto's formula replaces the negative binomial by a Poisson of the same mean.
 */
export function exactDoubleSpendSuccess(q: number, z: number, giveUp = Number.POSITIVE_INFINITY): number {
  checkQ(q);
  if (!Number.isInteger(z) || z < 0) throw new RangeError(`z must be an integer >= 0, got ${z}`);
  const p = 1 - q;
  let pk = p ** z; // k = 0
  let below = 0;
  let success = 0;
  for (let k = 0; k < z; k++) {
    below += pk;
    success += pk * catchUpProbability(q, z - k, giveUp);
    pk *= ((z + k) / (k + 1)) * q;
  }
  return Math.min(1, Math.max(0, success + (1 - below)));
}
