// PARAMS_V1 at full size: the sha256 of all 291 parameters (addon/test/golden/v1_weights.json), built with every
// core (the parallel pool of 148,482,099 normals, then parallel hashing of 5.9 GB). Takes a few seconds.
import t from 'tap';
import { core, golden } from './core-helpers.js';

const G = golden('v1_weights.json');
const V1 = { dim: 1024, n_layers: 32, n_heads: 32, n_kv_heads: 32, vocab_size: 8196, ffn_dim_multiplier: 10,
  multiple_of: 2048, rope_theta: 10000, seq_len: 128 };

t.test('PARAMS_V1: every one of the 291 weight digests matches the reference', async (t) => {
  const w = core().weightDigests(G.block_hash, V1, 0);
  t.equal(w.weights.length, 291);
  t.equal(w.weights.length, G.weights.length);
  let mismatches = 0;
  G.weights.forEach((g: { name: string; shape: number[]; sha256_fp16_le: string }, i: number) => {
    const ours = w.weights[i];
    if (ours.name !== g.name || ours.sha256 !== g.sha256_fp16_le || ours.shape.join() !== g.shape.join()) {
      mismatches++;
      t.fail(`${g.name}: ${ours.name} ${ours.shape} ${ours.sha256}`);
    }
  });
  t.equal(mismatches, 0, 'no parameter differs');
  t.comment(`pool ${w.poolSize} values built in ${w.buildSeconds.toFixed(2)} s, hashed in ${w.hashSeconds.toFixed(2)} s`);
});
