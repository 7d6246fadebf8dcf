/**
 * A partition race: for `durationMs` two groups mine apart at shares s and 1 − s of a hashrate that
 * finds one block per `blockMs`, so their branch lengths are independent Poisson counts with means
 * s·λ and (1 − s)·λ, λ = durationMs / blockMs. With fixed difficulty the longer branch wins at the
 * heal; a tie goes to whoever mines the next block (first seen wins until then): group A with
 * probability s.
 */

function poissonPmfs(mean: number, n: number): number[] {
  const out = new Array<number>(n);
  let p = Math.exp(-mean);
  for (let k = 0; k < n; k++) {
    out[k] = p;
    p *= mean / (k + 1);
  }
  return out;
}

/** P(group A's branch is the one kept) for share `s` of group A and λ expected blocks in all. */
export function partitionWinProbability(s: number, expectedBlocks: number): number {
  if (!(s >= 0 && s <= 1) || !(expectedBlocks >= 0) || expectedBlocks > 10_000) {
    throw new RangeError(`partitionWinProbability: bad arguments ${s}, ${expectedBlocks}`);
  }
  const n = Math.ceil(expectedBlocks + 12 * Math.sqrt(expectedBlocks) + 30);
  const a = poissonPmfs(s * expectedBlocks, n);
  const b = poissonPmfs((1 - s) * expectedBlocks, n);
  let win = 0;
  let tie = 0;
  let bBelow = 0;
  for (let k = 0; k < n; k++) {
    win += a[k]! * bBelow;
    tie += a[k]! * b[k]!;
    bBelow += b[k]!;
  }
  return win + s * tie;
}
