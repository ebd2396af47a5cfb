// The engine's host-memory guard and model switch on the real CPU backend: params the host cannot hold are refused
// before anything is built (the loaded model stays), and a new model is built only after the devices dropped the
// previous one, so the two are not held at once.
import t from 'tap';
import { rejection } from './rejection.js';
import { Engine, estimateHostMemory, parseParams, PRESETS, SAMPLE_JOB } from '../lib/index.js';

const KEY = 'pk-engine-memory-test';
// Far above any host: 4096 layers of dim 65536 (a pool of terabytes).
const HUGE = parseParams({ dim: 65536, n_layers: 4096, n_heads: 64, n_kv_heads: 64 });

t.test('params above what the host may hold are refused before the build, and the loaded model stays', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 1 });
  t.teardown(() => engine.close());
  await engine.load(SAMPLE_JOB.blockHash, PRESETS.tiny);
  const before = await engine.devices[0].run(KEY, [5]);
  const err = await rejection(engine.load(SAMPLE_JOB.blockHash, HUGE));
  t.equal(err.code, 'ERR_OUT_OF_MEMORY');
  t.match(err.message, /^params too large for this machine: the model with its first CPU batch needs [\d.]+ GiB of host memory, [\d.]+ GiB available \(/);
  t.same(engine.loaded, { blockHash: SAMPLE_JOB.blockHash, params: PRESETS.tiny }, 'still the tiny model');
  t.equal((await engine.devices[0].run(KEY, [5])).dist[0], before.dist[0], 'and it still runs');
  t.same(await engine.load(SAMPLE_JOB.blockHash, { ...PRESETS.tiny }), { reused: true, seconds: 0 });
});

t.test('the guard counts the CPU device\'s first batch with the device\'s threads', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 3 });
  t.teardown(() => engine.close());
  t.equal(engine.hostMemoryNeeded(PRESETS.v1), estimateHostMemory(PRESETS.v1, { backend: 'cpu', threads: 3 }).total);
});

t.test('a new model is built after the devices dropped the previous model and its scratch', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 1 });
  t.teardown(() => engine.close());
  const device = engine.devices[0];
  await engine.load(SAMPLE_JOB.blockHash, PRESETS.tiny);
  await device.run(KEY, [1, 2, 3]);
  t.ok((await device.memory()).inUse > 0, 'the tiny model and its scratch are on the device');
  // Accepted by parseParams and the guard, refused by the native build (an FFN width of 0): the failure shows the
  // state the build started from.
  const bad = parseParams({ ...PRESETS.tiny, ffn_dim_multiplier: 1e-9 });
  t.equal((await rejection(engine.load(SAMPLE_JOB.blockHash, bad))).code, 'ERR_INVALID_PARAMS');
  t.equal((await device.memory()).inUse, 0, 'the device held nothing while the new model was built');
  t.equal(device.preferredBatch, 0);
  t.equal(engine.loaded, undefined);
  t.equal((await rejection(device.run(KEY, [1]))).code, 'ERR_NO_MODEL');
  await engine.load(SAMPLE_JOB.blockHash, PRESETS.tiny);
  t.equal((await device.run(KEY, [1])).dist.length, 1, 'the next load works as usual');
});

t.test('a replaced host model is released at once, not when V8 gets round to its wrapper', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 1 });
  t.teardown(() => engine.close());
  await engine.load(SAMPLE_JOB.blockHash, PRESETS.tiny);
  const replaced = engine.hostModel!;
  const target = replaced.targetSha256();
  await engine.load(`${SAMPLE_JOB.blockHash}-next`, PRESETS.tiny);
  t.throws(() => replaced.targetSha256(), { code: 'ERR_CLOSED' }, 'the replaced model holds no memory any more');
  t.not(engine.hostModel!.targetSha256(), target, 'the new model is another one');
  const last = engine.hostModel!;
  await engine.close();
  t.throws(() => last.targetSha256(), { code: 'ERR_CLOSED' }, 'closing the engine releases its model too');
});
