/**
 * A majority (51%) attacker k blocks behind: each block is the attacker's with probability q > 1/2,
 * so its lead is a random walk with drift 2q − 1, and the blocks until it is one ahead (it has
 * rewritten the k blocks and one more) is the walk's first passage to +(k+1).
 */

function checkMajority(q: number, k: number): void {
  if (!(q > 0.5 && q < 1)) throw new RangeError(`q must be in (0.5, 1), got ${q}`);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be an integer >= 0, got ${k}`);
}

/** Expected blocks (both miners') until the attacker, k behind, is one block ahead: (k+1)/(2q−1). */
export function majorityExpectedBlocks(q: number, k: number): number {
  checkMajority(q, k);
  return (k + 1) / (2 * q - 1);
}

/** The standard deviation of that count: first passage to d has variance d(1−μ²)/μ³, μ = 2q − 1. */
export function majorityBlocksSd(q: number, k: number): number {
  checkMajority(q, k);
  const mu = 2 * q - 1;
  return Math.sqrt(((k + 1) * (1 - mu * mu)) / mu ** 3);
}

/** P(the attacker, k behind, is one ahead within n blocks), by dynamic programming over its lead. */
export function majorityWithinProbability(q: number, k: number, n: number): number {
  checkMajority(q, k);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0, got ${n}`);
  const target = k + 1;
  // dist[j] = P(deficit-to-go is j and not yet absorbed); j in 1..target+n.
  let dist = new Float64Array(target + n + 2);
  dist[target] = 1;
  let done = 0;
  for (let step = 0; step < n; step++) {
    const next = new Float64Array(dist.length);
    for (let j = 1; j < dist.length - 1; j++) {
      const p = dist[j]!;
      if (p === 0) continue;
      if (j === 1) done += p * q;
      else next[j - 1]! += p * q;
      next[j + 1]! += p * (1 - q);
    }
    dist = next;
  }
  return Math.min(1, done);
}
