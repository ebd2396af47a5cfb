// How the network judges a participant's reported nonces (docs/poc-compute.md §8): a validator recomputes a sample of
// them in fp16, counts a nonce invalid when the distance it finds is above r_target (or the reported one is not
// below it), and calls it fraud when that many invalid nonces are improbable for an honest participant whose only
// differences are fp16 summation orders: the binomial tail P(X >= invalid), X ~ Binomial(sampled, 5e-4), below 1e-7.
// With the usual 200 samples that is 5 invalid nonces or more. `llama-gpu-bench verify` and POST /validate both
// judge with this.

/** The mismatch rate of two honest fp16 implementations (docs/poc-compute.md §7b, §8). */
export const P_MISMATCH = 5e-4;
/** A tail probability below this is fraud. */
export const FRAUD_SIGNIFICANCE = 1e-7;
/** How many reported nonces a validator samples per participant. */
export const VALIDATION_SAMPLES = 200;

/**
 * P(X >= k) for X ~ Binomial(n, p), summed exactly in double precision: the terms P(X = i), i = k..n, in log space
 * (each from the previous by the ratio (n-i)/(i+1) · p/(1-p)), then added relative to the largest.
 */
export function binomialTail(n: number, k: number, p: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`binomialTail: n must be a non-negative integer, not ${n}`);
  if (!Number.isSafeInteger(k)) throw new RangeError(`binomialTail: k must be an integer, not ${k}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomialTail: p must be in [0, 1], not ${p}`);
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let logChoose = 0; // log C(n, k)
  for (let j = 0; j < k; j++) logChoose += Math.log(n - j) - Math.log(j + 1);
  const terms = new Float64Array(n - k + 1);
  terms[0] = logChoose + k * logP + (n - k) * logQ;
  let largest = terms[0];
  for (let i = k; i < n; i++) {
    const next = terms[i - k] + Math.log(n - i) - Math.log(i + 1) + logP - logQ;
    terms[i - k + 1] = next;
    if (next > largest) largest = next;
  }
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - largest);
  return Math.min(1, Math.exp(largest + Math.log(sum)));
}

/** The validators' rule for one nonce: invalid when the reported distance is not below r_target or the recomputed
 *  one is above it; a recomputed NaN is invalid too. */
export function isInvalid(reported: number | undefined, recomputed: number, rTarget: number): boolean {
  if (reported !== undefined && !(reported < rTarget)) return true;
  return !(recomputed <= rTarget);
}

export interface Verdict {
  /** Nonces judged. */
  sampled: number;
  /** Of those, invalid by isInvalid(). */
  invalid: number;
  p_mismatch: number;
  significance: number;
  /** P(X >= invalid), X ~ Binomial(sampled, p_mismatch). */
  tail_probability: number;
  /** 'fraud' when the tail probability is below the significance: the network would flag the participant. */
  verdict: 'pass' | 'fraud';
}

/** The verdict on `recomputed` distances (and the `reported` ones, when known), in the same order. */
export function judge(recomputed: ArrayLike<number>, rTarget: number, reported?: ArrayLike<number>): Verdict {
  let invalid = 0;
  for (let i = 0; i < recomputed.length; i++) if (isInvalid(reported?.[i], recomputed[i], rTarget)) invalid++;
  const tail = binomialTail(recomputed.length, invalid, P_MISMATCH);
  return {
    sampled: recomputed.length, invalid, p_mismatch: P_MISMATCH, significance: FRAUD_SIGNIFICANCE,
    tail_probability: tail, verdict: tail < FRAUD_SIGNIFICANCE ? 'fraud' : 'pass',
  };
}

export interface DeltaStats {
  /** Pairs with both distances finite (the others are left out). */
  count: number;
  max: number;
  mean: number;
  median: number;
}

/** |reported − recomputed| over the pairs, the fp16 tolerance at work (docs/poc-compute.md §8: about 1e-4 at most
 *  between a GPU and the reference). */
export function deltaStats(reported: ArrayLike<number>, recomputed: ArrayLike<number>): DeltaStats {
  const deltas: number[] = [];
  for (let i = 0; i < reported.length; i++) {
    const d = Math.abs(reported[i] - recomputed[i]);
    if (Number.isFinite(d)) deltas.push(d);
  }
  if (deltas.length === 0) return { count: 0, max: 0, mean: 0, median: 0 };
  deltas.sort((a, b) => a - b);
  const m = deltas.length >> 1;
  return {
    count: deltas.length,
    max: deltas[deltas.length - 1],
    mean: deltas.reduce((a, b) => a + b, 0) / deltas.length,
    median: deltas.length % 2 ? deltas[m] : (deltas[m - 1] + deltas[m]) / 2,
  };
}
