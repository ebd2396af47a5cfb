// The Engine API over the real addon on its CPU backend: devices, model reuse, batches, errors with codes,
// cancellation between batches, and an event loop that keeps running while a batch computes.
import t from 'tap';
import { rejection } from './rejection.js';
import { Engine, HostModel, loadNative, parseParams, PRESETS, streamNonces } from '../lib/index.js';

const BLOCK = '9f2c1e7ab4d35a60c8e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7';
const KEY = 'pk-engine-test';
// Heavier than tiny so one batch takes a noticeable time on 2 cores.
const MEDIUM = parseParams({ dim: 256, n_layers: 4, n_heads: 8, n_kv_heads: 4, vocab_size: 2000, ffn_dim_multiplier: 1.0,
  multiple_of: 256, seq_len: 64 });

t.test('the CPU backend is one device with a name and thread count', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 2 });
  t.teardown(() => engine.close());
  t.equal(engine.backend, 'cpu');
  t.equal(engine.devices.length, 1);
  t.equal(engine.devices[0].info.backend, 'cpu');
  t.equal(engine.devices[0].info.threads, 2);
  t.equal(engine.devices[0].preferredBatch, 0, 'no batch size before a model is loaded');
});

t.test('without CUDA devices, cuda is refused with the reason and auto falls back to the CPU', async (t) => {
  const cuda = loadNative().listDevices('cuda');
  if (cuda.devices.length > 0) {
    t.pass('a CUDA device is present: the GPU checks (addon/test/gpu) cover this machine');
    return;
  }
  t.ok(cuda.reason && cuda.reason.length > 0, `reason given: ${cuda.reason}`);
  const err = await rejection(Engine.open({ backend: 'cuda' }));
  t.equal(err.code, 'ERR_NO_BACKEND');
  t.match(err.message, cuda.reason as string);
  const auto = await Engine.open({ backend: 'auto', threads: 1 });
  t.teardown(() => auto.close());
  t.equal(auto.backend, 'cpu');
  t.equal(auto.cudaUnavailableReason, cuda.reason);
});

t.test('a model is built once per (block hash, params) and batches are independent of their companions', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 2 });
  t.teardown(() => engine.close());
  const first = await engine.load(BLOCK, PRESETS.tiny);
  t.equal(first.reused, false);
  t.same(await engine.load(BLOCK, { ...PRESETS.tiny }), { reused: true, seconds: 0 });
  t.same(engine.loaded, { blockHash: BLOCK, params: PRESETS.tiny });
  const device = engine.devices[0];
  t.ok(device.preferredBatch >= 1);
  const alone = await device.run(KEY, [7]);
  const inBatch = await device.run(KEY, [3, 7, 9, 7]);
  t.ok(alone.dist instanceof Float64Array);
  t.equal(inBatch.dist.length, 4);
  t.equal(inBatch.dist[1], alone.dist[0], 'bit-identical whatever the batch');
  t.equal(inBatch.dist[3], alone.dist[0], 'duplicates kept');
  t.ok(alone.dist[0] > 0 && alone.dist[0] < 2, 'a distance between unit vectors');
  const withLogits = await device.run(KEY, [7], { logits: true });
  t.equal(withLogits.logits?.length, PRESETS.tiny.vocab_size);
});

t.test('bad calls are typed errors and the device stays usable', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 1 });
  const device = engine.devices[0];
  t.equal((await rejection(device.run(KEY, [1]))).code, 'ERR_NO_MODEL', 'run before load');
  await engine.load(BLOCK, PRESETS.tiny);
  for (const nonces of [[-1], [1.5], [Number.MAX_SAFE_INTEGER + 1], [Number.NaN], []]) {
    t.equal((await rejection(device.run(KEY, nonces))).code, 'ERR_INVALID_ARGUMENT', `nonces ${nonces}`);
  }
  t.equal((await device.run(KEY, [1])).dist.length, 1, 'still healthy');
  await engine.close();
  t.equal((await rejection(device.run(KEY, [1]))).code, 'ERR_CLOSED');
  const huge = parseParams({ dim: 65536, n_layers: 4096, n_heads: 64, n_kv_heads: 64 });
  t.equal((await rejection(HostModel.build(BLOCK, huge))).code, 'ERR_OUT_OF_MEMORY', 'too large for memory');
});

t.test('a stream stops between batches when cancelled and delivers what it computed', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 2 });
  t.teardown(() => engine.close());
  await engine.load(BLOCK, MEDIUM);
  const controller = new AbortController();
  const seen: number[] = [];
  let abortedAt = 0;
  const started = performance.now();
  await streamNonces(engine.devices, {
    publicKey: KEY, startNonce: 100, batchSize: 2, signal: controller.signal,
    onBatch: (b) => {
      seen.push(...b.nonces);
      if (seen.length >= 4 && !controller.signal.aborted) {
        controller.abort();
        abortedAt = seen.length;
      }
    },
  });
  t.equal(seen.length, abortedAt, 'no batch started after the abort');
  t.same(seen, [100, 101, 102, 103], 'consecutive nonces on one device');
  t.ok(performance.now() - started < 60_000);
});

t.test('the event loop keeps running while a batch computes', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 2 });
  t.teardown(() => engine.close());
  await engine.load(BLOCK, MEDIUM);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = performance.now();
  await engine.devices[0].run(KEY, Array.from({ length: 16 }, (_, i) => i));
  const elapsed = performance.now() - started;
  clearInterval(timer);
  t.ok(elapsed > 50, `the batch took ${elapsed.toFixed(0)} ms`);
  t.ok(ticks >= Math.floor(elapsed / 5 / 4), `timer fired ${ticks} times in ${elapsed.toFixed(0)} ms`);
});

t.test('with two batches in flight per device, a cancel delivers at most those and no nonce twice', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 2 });
  t.teardown(() => engine.close());
  await engine.load(BLOCK, MEDIUM);
  const controller = new AbortController();
  const seen: number[] = [];
  let afterAbort = 0;
  await streamNonces(engine.devices, {
    publicKey: KEY, startNonce: 0, batchSize: 2, depth: 2, signal: controller.signal,
    onBatch: (b) => {
      if (controller.signal.aborted) afterAbort++;
      seen.push(...b.nonces);
      if (seen.length >= 4) controller.abort();
    },
  });
  t.ok(afterAbort <= 1, `${afterAbort} batch(es) delivered after the abort`);
  t.same([...seen].sort((a, b) => a - b), Array.from({ length: seen.length }, (_, i) => i), 'each nonce once, none skipped');
});
