// The network's fraud test (docs/poc-compute.md §8): the binomial tail against exact values (sums of exact rationals,
// computed with Python's fractions and rounded once to double), and the verdict's threshold of 5 invalid of 200.
import t from 'tap';
import { binomialTail, deltaStats, FRAUD_SIGNIFICANCE, isInvalid, judge, P_MISMATCH } from '../lib/index.js';

/** Relative error allowed: a sum of at most n + k logs and exps in double precision, far below the 1e-7 verdict. */
const REL = 1e-12;

t.test('the binomial tail matches exact values', async (t) => {
  const exact: [number, number, number, number][] = [
    [200, 1, P_MISMATCH, 0.09518521015968395],
    [200, 4, P_MISMATCH, 3.7383800153966085e-06],
    [200, 5, P_MISMATCH, 7.306115882423377e-08],
    [200, 6, P_MISMATCH, 1.1849711415738958e-09],
    [200, 10, P_MISMATCH, 2.0110993712720638e-17],
    [10000, 5, P_MISMATCH, 0.5595505938450911],
    [10000, 20, P_MISMATCH, 3.415320678549875e-07],
    [1, 1, P_MISMATCH, 0.0005],
    [10, 8, 0.5, 0.0546875],
    [30, 10, 1 / 3, 0.5682556444214808],
  ];
  for (const [n, k, p, want] of exact) {
    const got = binomialTail(n, k, p);
    t.ok(Math.abs(got - want) <= REL * want, `P(X >= ${k}), X ~ B(${n}, ${p}): ${got} vs ${want}`);
  }
});

t.test('the binomial tail at its edges', async (t) => {
  t.equal(binomialTail(200, 0, P_MISMATCH), 1, 'at least none: certain');
  t.equal(binomialTail(200, -3, P_MISMATCH), 1);
  t.equal(binomialTail(200, 201, P_MISMATCH), 0, 'more than n: impossible');
  t.equal(binomialTail(0, 0, P_MISMATCH), 1);
  t.equal(binomialTail(200, 200, P_MISMATCH), 0, '5e-4^200 underflows to 0');
  t.equal(binomialTail(5, 1, 0), 0);
  t.equal(binomialTail(5, 5, 1), 1);
  t.throws(() => binomialTail(5, 1, 1.5), RangeError);
  t.throws(() => binomialTail(-1, 1, 0.5), RangeError);
  t.throws(() => binomialTail(2.5, 1, 0.5), RangeError);
});

t.test('5 invalid of 200 is fraud, 4 is not', async (t) => {
  const rTarget = 1.4;
  const recomputed = (invalid: number) => Array.from({ length: 200 }, (_, i) => (i < invalid ? 1.41 : 1.39));
  const four = judge(recomputed(4), rTarget);
  t.same(four, { sampled: 200, invalid: 4, p_mismatch: 5e-4, significance: FRAUD_SIGNIFICANCE,
    tail_probability: four.tail_probability, verdict: 'pass' });
  const five = judge(recomputed(5), rTarget);
  t.equal(five.invalid, 5);
  t.equal(five.verdict, 'fraud');
  t.ok(five.tail_probability < 1e-7 && five.tail_probability > 7e-8, `tail ${five.tail_probability}`);
  t.equal(judge([], rTarget).verdict, 'pass', 'nothing judged, nothing flagged');
});

t.test('a nonce is invalid as the reference validator counts it', async (t) => {
  t.equal(isInvalid(undefined, 1.4, 1.4), false, 'recomputed equal to r_target: not above it');
  t.equal(isInvalid(undefined, 1.4000001, 1.4), true, 'recomputed above r_target');
  t.equal(isInvalid(1.4, 1.39, 1.4), true, 'reported at r_target: not below it');
  t.equal(isInvalid(1.39, 1.39, 1.4), false);
  t.equal(isInvalid(1.39, NaN, 1.4), true, 'a NaN recomputed is invalid');
  t.same(judge([1.39, 1.39], 1.4, [1.39, 1.45]).invalid, 1, 'reported distances count when given');
});

t.test('delta statistics leave out pairs that are not finite', async (t) => {
  t.same(deltaStats([1, 2, 3, NaN], [1.5, 2, 2, 1]), { count: 3, max: 1, mean: 0.5, median: 0.5 });
  t.same(deltaStats([], []), { count: 0, max: 0, mean: 0, median: 0 });
});
