// A reproducible sample of reported nonces: the same seed and the same set of nonces give the same sample on any
// machine, whatever the order of the file's lines. The network's validators draw theirs from a block hash that does
// not exist yet when a miner checks its results, so a sample can only be like theirs, not the same.
import { createHash } from 'node:crypto';

/** Uniform integers from sha256(seed ":" counter), 48 bits at a time. */
class SeededDraws {
  private counter = 0;
  private block = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly seed: string) {}

  /** An integer in [0, m), without modulo bias (draws at or above the largest multiple of m are redrawn). */
  below(m: number): number {
    const limit = Math.floor(2 ** 48 / m) * m;
    for (;;) {
      const x = this.next48();
      if (x < limit) return x % m;
    }
  }

  private next48(): number {
    if (this.offset + 6 > this.block.length) {
      this.block = createHash('sha256').update(`${this.seed}:${this.counter++}`).digest();
      this.offset = 0;
    }
    const x = this.block.readUIntBE(this.offset, 6);
    this.offset += 6;
    return x;
  }
}

/** `count` distinct nonces of `nonces` (all of them when there are fewer), drawn by a partial Fisher–Yates shuffle
 *  of the sorted set; returned in ascending order. */
export function sampleNonces(nonces: readonly number[], count: number, seed: string): number[] {
  const pool = [...new Set(nonces)].sort((a, b) => a - b);
  const take = Math.min(count, pool.length);
  const draws = new SeededDraws(seed);
  for (let i = 0; i < take; i++) {
    const j = i + draws.below(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, take).sort((a, b) => a - b);
}
