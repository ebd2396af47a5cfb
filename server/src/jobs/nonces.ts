// Nonce assignment across the devices of one job, as the reference interleaves it: device w of W computes
// first + w + x*W for x = 0, 1, 2, ... while that is <= last. Each nonce goes to exactly one device, once.
export class InterleavedNonces {
  private readonly steps: number[];

  constructor(
    readonly first: number,
    /** Inclusive; Number.MAX_SAFE_INTEGER for an open-ended job. */
    readonly last: number,
    readonly workers: number,
  ) {
    this.steps = new Array<number>(workers).fill(0);
  }

  /** The next nonce device `w` would compute (may be past `last` once its share is exhausted). */
  nextNonce(w: number): number {
    return this.first + w + this.steps[w] * this.workers;
  }

  /** Up to `count` nonces for device `w`; fewer (or none) when its share of the range runs out. */
  take(w: number, count: number): number[] {
    const out: number[] = [];
    for (let n = this.nextNonce(w); out.length < count && n <= this.last; n += this.workers) out.push(n);
    this.steps[w] += out.length;
    return out;
  }
}

/** The nonces (and their distances) of a batch that are valid: dist < rTarget, strictly; NaN is never valid. */
export function selectValid(nonces: readonly number[], dist: Float64Array, rTarget: number): { nonces: number[]; dist: number[] } {
  const valid = { nonces: [] as number[], dist: [] as number[] };
  for (let i = 0; i < nonces.length; i++) {
    if (dist[i] < rTarget) {
      valid.nonces.push(nonces[i]);
      valid.dist.push(dist[i]);
    }
  }
  return valid;
}
