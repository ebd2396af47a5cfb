// What the host may hold (addon/lib/host-limit.ts), read from cgroup files written as fixtures, and the guard's
// refusal: a coded ERR_OUT_OF_MEMORY naming what is needed and what is available.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { checkHostMemory, HOST_MEMORY_RESERVE, hostMemoryLimit } from '../lib/host-limit.js';
import { EngineError, estimateHostMemory, parseParams } from '../lib/index.js';

const GIB = 2 ** 30;
const TOTAL = 24 * GIB;

function fixture(t: { teardown(fn: () => void): void }, files: { v2?: string; v1?: string }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-cgroup-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const paths = { v2: path.join(dir, 'memory.max'), v1: path.join(dir, 'memory', 'memory.limit_in_bytes') };
  if (files.v2 !== undefined) fs.writeFileSync(paths.v2, files.v2);
  if (files.v1 !== undefined) {
    fs.mkdirSync(path.dirname(paths.v1));
    fs.writeFileSync(paths.v1, files.v1);
  }
  return paths;
}

t.test('cgroup v2 "max" is no limit: the machine\'s memory less the reserve', async (t) => {
  const limit = hostMemoryLimit(fixture(t, { v2: 'max\n' }), TOTAL);
  t.same(limit, { bytes: TOTAL, source: 'total memory', available: TOTAL - HOST_MEMORY_RESERVE });
});

t.test('a cgroup v2 byte count below the machine\'s memory is the limit', async (t) => {
  const paths = fixture(t, { v2: `${8 * GIB}\n` });
  t.same(hostMemoryLimit(paths, TOTAL), { bytes: 8 * GIB, source: paths.v2, available: 7 * GIB });
  t.equal(hostMemoryLimit(paths, 4 * GIB).bytes, 4 * GIB, 'a cgroup limit above the machine\'s memory does not raise it');
});

t.test('cgroup v1: a byte count is the limit, its "unlimited" (about 2^63) is not', async (t) => {
  const limited = fixture(t, { v1: `${6 * GIB}\n` });
  t.same(hostMemoryLimit(limited, TOTAL), { bytes: 6 * GIB, source: limited.v1, available: 5 * GIB });
  const unlimited = fixture(t, { v1: '9223372036854771712\n' });
  t.equal(hostMemoryLimit(unlimited, TOTAL).bytes, TOTAL);
});

t.test('without cgroup files, or with one we cannot read as bytes, the machine\'s memory is the limit', async (t) => {
  t.same(hostMemoryLimit(fixture(t, {}), TOTAL), { bytes: TOTAL, source: 'total memory', available: 23 * GIB });
  t.equal(hostMemoryLimit(fixture(t, { v2: '' }), TOTAL).bytes, TOTAL, 'empty file');
  t.equal(hostMemoryLimit(fixture(t, { v2: '12k' }), TOTAL).bytes, TOTAL, 'not a byte count');
  t.equal(hostMemoryLimit(fixture(t, {}), GIB / 2).available, 0, 'never negative');
  t.ok(hostMemoryLimit().bytes <= os.totalmem(), 'this machine: at most its memory');
});

t.test('the guard refuses what is above the limit less the reserve, with both figures', async (t) => {
  const limit = { bytes: 8 * GIB, source: '/sys/fs/cgroup/memory.max', available: 7 * GIB };
  t.doesNotThrow(() => checkHostMemory(7 * GIB, 'the model', limit), 'exactly what is available fits');
  const err = t.throws(() => checkHostMemory(7 * GIB + 1, 'the model', limit)) as EngineError;
  t.ok(err instanceof EngineError);
  t.equal(err.code, 'ERR_OUT_OF_MEMORY');
  t.equal(err.message, 'params too large for this machine: the model needs 7.0 GiB of host memory, 7.0 GiB available ' +
    '(8.0 GiB from /sys/fs/cgroup/memory.max, less 1.0 GiB kept for the server and the system)');
});

t.test('a shape whose model fits but whose first CPU batch does not is refused on the CPU, not on CUDA', async (t) => {
  // seq_len 1 and a wide vocabulary: a small model, but 512 nonces of (vocab) permutations and logits per batch.
  const p = parseParams({ dim: 64, n_layers: 2, n_heads: 4, n_kv_heads: 4, vocab_size: 4_000_000, seq_len: 1 });
  const limit = { bytes: 8 * GIB, source: 'total memory', available: 7 * GIB };
  const cpu = estimateHostMemory(p, { backend: 'cpu', threads: 2, available: 2 ** 40 });
  const cuda = estimateHostMemory(p, { backend: 'cuda', threads: 2 });
  t.ok(cuda.total < 2 * GIB, `the model alone: ${(cuda.total / GIB).toFixed(2)} GiB`);
  t.doesNotThrow(() => checkHostMemory(cuda.total, 'the host model', limit));
  t.ok(cpu.total > 7 * GIB, `with its first CPU batch: ${(cpu.total / GIB).toFixed(1)} GiB`);
  t.throws(() => checkHostMemory(cpu.total, 'the model with its first CPU batch', limit), { code: 'ERR_OUT_OF_MEMORY' });
});
