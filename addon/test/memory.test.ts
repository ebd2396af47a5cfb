// The host memory estimate (addon/lib/memory.ts) against the native CPU device it mirrors: the device's own scratch
// figure and batch choice, and how the estimate moves with the batch, the threads and the backend. (Its match with
// measured peak memory is memory-measured.test.ts and BENCHMARKS.md.)
import os from 'node:os';
import t from 'tap';
import { cpuDeviceBatch, cpuScratchBytes, estimateHostMemory, hostModelBytes, loadNative, parseParams, PRESETS,
  SAMPLE_JOB } from '../lib/index.js';

// FFN weights larger than the pool (materialised), GQA, and a batch of 8 nonces.
const MEDIUM = parseParams({ dim: 256, n_layers: 2, n_heads: 8, n_kv_heads: 4, vocab_size: 2000, ffn_dim_multiplier: 4.0,
  multiple_of: 256, seq_len: 64 });

t.test('the CPU scratch and batch are the native device\'s own, for every thread count', async (t) => {
  const native = loadNative();
  for (const [name, p] of [['tiny', PRESETS.tiny], ['medium', MEDIUM]] as const) {
    const model = await native.buildModel(SAMPLE_JOB.blockHash, p, 1);
    for (const threads of [1, 3]) {
      const device = await native.openDevice('cpu', 0, threads);
      const stats = await device.load(model);
      const batch = device.preferredBatch();
      // Small shapes never halve their batch: the choice does not depend on the memory available right now.
      t.equal(batch, cpuDeviceBatch(p, threads, os.freemem()), `${name}, ${threads} threads: batch ${batch}`);
      t.equal(stats.scratchBytes, cpuScratchBytes(p, batch, threads), `${name}, ${threads} threads: scratch bytes`);
      const rest = hostModelBytes(p) - stats.weightBytes;
      t.ok(rest >= 0 && rest < 8 * p.vocab_size + 64 * 1024,
        `${name}: the device's weights are the model estimate but its target, RoPE tables and layout (${rest} B)`);
      await device.close();
    }
  }
});

t.test('the estimate grows with the batch and the threads, term by term', async (t) => {
  const base = { backend: 'cpu' as const, available: 2 ** 40 };
  const one = estimateHostMemory(PRESETS.v1, { ...base, threads: 2, batch: 1 });
  const four = estimateHostMemory(PRESETS.v1, { ...base, threads: 2, batch: 4 });
  t.equal(four.deviceBatch, 4, 'PARAMS_V1: 512 rows / seq_len 128');
  t.equal(one.forwardBatch, 1, 'a smaller batch from the caller is what the forward runs');
  t.equal(one.scratch, cpuScratchBytes(PRESETS.v1, 1, 2));
  t.ok(four.scratch > 3 * one.scratch && four.inputs > 3 * one.inputs, 'scratch and inputs scale with the batch');
  t.equal(four.model, one.model, 'the model does not depend on the batch');
  t.same(estimateHostMemory(PRESETS.v1, { ...base, threads: 2, batch: 1000 }).forwardBatch, 4,
    'a larger batch from the caller runs in chunks of the device\'s batch');
  const eight = estimateHostMemory(PRESETS.v1, { ...base, threads: 8, batch: 4 });
  t.equal(eight.scratch - four.scratch, cpuScratchBytes(PRESETS.v1, 4, 8) - cpuScratchBytes(PRESETS.v1, 4, 2),
    'per-thread workspace as scratch_bytes_for counts it');
  t.ok(eight.poolChunks > four.poolChunks, 'the pool is generated in more chunks at once');
  t.ok(eight.total > four.total);
});

t.test('the device\'s batch halves while its scratch is above a quarter of the available memory', async (t) => {
  const v1 = PRESETS.v1;
  t.equal(cpuDeviceBatch(v1, 2, 2 ** 40), 4);
  t.equal(cpuDeviceBatch(v1, 2, 4 * cpuScratchBytes(v1, 4, 2)), 4, 'exactly a quarter fits');
  t.equal(cpuDeviceBatch(v1, 2, 4 * cpuScratchBytes(v1, 4, 2) - 1), 2);
  t.equal(cpuDeviceBatch(v1, 2, 0), 1, 'never below one nonce');
  const seq1 = parseParams({ ...PRESETS.tiny, seq_len: 1 });
  t.equal(cpuDeviceBatch(seq1, 2, 2 ** 40), 512, 'seq_len 1: 512 nonces');
  t.equal(estimateHostMemory(seq1, { backend: 'cpu', threads: 2, available: 2 ** 40, batch: 256 }).forwardBatch, 256,
    'the server\'s MAX_BATCH_SIZE caps what the forward runs');
});

t.test('the output logits grow the FFN buffer when vocab is wider than seq_len x hidden', async (t) => {
  const wide = parseParams({ ...PRESETS.tiny, vocab_size: 100_000, seq_len: 2 });
  const e = estimateHostMemory(wide, { backend: 'cpu', threads: 1, available: 2 ** 40 });
  const rows = e.forwardBatch * wide.seq_len;
  t.equal(e.scratch - cpuScratchBytes(wide, e.forwardBatch, 1), 4 * (e.forwardBatch * 100_000 - rows * 224),
    'float32 (batch, vocab) logits instead of (rows, hidden) gate values (tiny: hidden 224)');
});

t.test('on CUDA (and without a device) the host holds the model alone', async (t) => {
  for (const backend of ['cuda', 'host'] as const) {
    const e = estimateHostMemory(PRESETS.v1, { backend, threads: 2 });
    t.equal(e.scratch + e.inputs + e.tables, 0, `${backend}: no CPU scratch`);
    t.equal(e.total, Math.max(e.model, e.build) + e.runtime,
      `${backend}: the larger of the model and the pool being generated, plus the runtime`);
  }
  const cpu = estimateHostMemory(PRESETS.v1, { backend: 'cpu', threads: 2, available: 2 ** 40 });
  t.equal(cpu.total, Math.max(cpu.build, cpu.model + cpu.tables + cpu.scratch + cpu.inputs) + cpu.runtime);
  t.ok(cpu.total > estimateHostMemory(PRESETS.v1, { backend: 'cuda', threads: 2 }).total);
});
