// The CPU forward against the reference's fp16-emulated forward (addon/test/golden/poc_public.json): every case and
// nonce, through the Engine API on the CPU backend.
//
// Tolerances (docs/poc-compute.md §8): a CPU forward that rounds to fp16 exactly where the fp16 model stores tensors
// differs from the reference only through float32 summation order, which moves a distance by well under 1e-6
// (2e-5 is the project's bound; fp32-math vs fp16 differ by up to 1e-4), and moves at most a few tenths of a percent
// of the last-position logits by one fp16 ulp (bound: 2 ulps).
import t from 'tap';
import { Engine, parseParams } from '../lib/index.js';
import { golden } from './core-helpers.js';

interface GoldenCase {
  name: string;
  block_hash: string;
  public_key: string;
  params: Record<string, unknown>;
  nonces: number[];
  dist_fp16_emulated: number[];
  logits_nonces: number[];
  logits_last_fp16_emulated: number[][];
}

const G = golden<{ cases: GoldenCase[] }>('poc_public.json');

/** fp16 bits -> number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0x1f) return m ? Number.NaN : sign * Infinity;
  return sign * (e ? (1 + m / 1024) * 2 ** (e - 15) : m * 2 ** -24);
}

/** number (an fp16 value) -> fp16 bits; throws if it is not one. */
function numberToHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  let e = Math.floor(Math.log2(a));
  if (e < -14) e = -14;
  const m = a / 2 ** e;
  const bits = e === -14 && m < 1 ? Math.round(m * 1024) : ((e + 15) << 10) | Math.round((m - 1) * 1024);
  if (halfToNumber(bits) !== a) throw new Error(`${x} is not an fp16 value`);
  return sign | bits;
}

/** Position of an fp16 value on the ordered line of fp16 values, so that ulp distance is a difference. */
function ordinal(h: number): number {
  return h & 0x8000 ? -(h & 0x7fff) : h;
}

const largest = { dist: 0, logitUlps: 0 };
let logitsDiffering = 0, logitsTotal = 0;

for (const c of G.cases) {
  t.test(`${c.name}: every distance within 2e-5 of the fp16-emulated reference, logits within 2 fp16 ulps`, async (t) => {
    const engine = await Engine.open({ backend: 'cpu', threads: 2 });
    t.teardown(() => engine.close());
    await engine.load(c.block_hash, parseParams(c.params));
    const device = engine.devices[0];
    const vocab = Number(c.params.vocab_size);
    const result = await device.run(c.public_key, c.nonces, { logits: true });
    t.equal(result.dist.length, c.nonces.length);
    let worst = 0;
    c.nonces.forEach((n, i) => {
      const dev = Math.abs(result.dist[i] - c.dist_fp16_emulated[i]);
      worst = Math.max(worst, dev);
      t.ok(dev <= 2e-5, `nonce ${n}: ${result.dist[i]} vs ${c.dist_fp16_emulated[i]} (|diff| ${dev.toExponential(2)})`);
    });
    largest.dist = Math.max(largest.dist, worst);
    t.comment(`${c.name}: largest |distance - dist_fp16_emulated| = ${worst.toExponential(3)} over ${c.nonces.length} nonces`);

    const logits = result.logits as Uint16Array;
    t.equal(logits.length, c.nonces.length * vocab);
    c.logits_nonces.forEach((n, k) => {
      const row = c.nonces.indexOf(n);
      const ours = logits.subarray(row * vocab, (row + 1) * vocab);
      const ref = c.logits_last_fp16_emulated[k];
      t.equal(ref.length, vocab);
      let differ = 0, maxUlps = 0;
      for (let i = 0; i < vocab; i++) {
        const ulps = Math.abs(ordinal(ours[i]) - ordinal(numberToHalf(ref[i])));
        if (ulps > 0) differ++;
        maxUlps = Math.max(maxUlps, ulps);
      }
      logitsDiffering += differ;
      logitsTotal += vocab;
      largest.logitUlps = Math.max(largest.logitUlps, maxUlps);
      t.ok(maxUlps <= 2, `nonce ${n}: logits at most ${maxUlps} ulp apart (${differ} of ${vocab} differ)`);
    });
  });
}

t.teardown(() => {
  console.log(`# CPU vs fp16-emulated reference: largest distance deviation ${largest.dist.toExponential(3)}; ` +
    `logits: ${logitsDiffering} of ${logitsTotal} differ, by at most ${largest.logitUlps} ulp`);
});
