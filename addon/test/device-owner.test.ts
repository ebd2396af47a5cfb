// One owner per device: the native owner puts loads and batches in order, and its figures (memory, preferred
// batch, pipeline depth) are read at once, never behind a batch. A batch is held in flight at the test addon's gate
// (test-addon.ts), so "while a batch runs" is a fact of event order, not of timing: a figure that waited for the
// batch could not be read at all before the gate opens.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { gate } from './test-addon.js';
import { Engine, EngineError, ErrorCodes, loadNative, PRESETS, SAMPLE_JOB } from '../lib/index.js';

const KEY = 'device-owner-test';

t.test('memory figures and the preferred batch are read while a batch is held in flight', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 1 });
  t.teardown(() => engine.close());
  await engine.load(SAMPLE_JOB.blockHash, PRESETS.tiny);
  const device = engine.devices[0];
  const g = gate();
  g.hold();
  t.teardown(() => g.release());
  const arrived = g.arrived();
  let settled = false;
  const running = device.run(KEY, [1, 2, 3]).finally(() => (settled = true));
  await g.entered(arrived + 1);
  const memory = device.memory();
  t.ok(memory.inUse > 0 && memory.peak >= memory.inUse, `memory read during the batch: ${JSON.stringify(memory)}`);
  t.equal(device.preferredBatch, 64, 'the preferred batch too');
  t.equal(device.pipelineDepth, 1, 'a CPU device keeps one batch in flight');
  t.equal(device.info.backend, 'cpu');
  t.notOk(settled, 'and the batch is still at the gate');
  g.release();
  t.equal((await running).dist.length, 3);
});

t.test('a load waits for the batch in flight, and batches after it run on the new model', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 1 });
  t.teardown(() => engine.close());
  await engine.load(SAMPLE_JOB.blockHash, PRESETS.tiny);
  const device = engine.devices[0];
  const before = (await device.run(KEY, [7])).dist[0];
  const g = gate();
  g.hold();
  t.teardown(() => g.release());
  const arrived = g.arrived();
  const order: string[] = [];
  const batch = device.run(KEY, [7]).then((r) => (order.push('batch'), r));
  await g.entered(arrived + 1);
  const load = engine.load(`${SAMPLE_JOB.blockHash}-other`, PRESETS.tiny).then(() => order.push('load'));
  g.release();
  const [held] = await Promise.all([batch, load]);
  t.same(order, ['batch', 'load'], 'the load came after the batch that held the device');
  t.equal(held.dist[0], before, 'that batch ran on the model it was asked for');
  t.not((await device.run(KEY, [7])).dist[0], before, 'the next batch runs on the new model');
});

t.test('native failures arrive as EngineError with the engine\'s codes, which come from the native core', async (t) => {
  const native = loadNative();
  t.same({ ...ErrorCodes }, { ...native.errorCodes }, 'one definition of the codes');
  const engine = await Engine.open({ backend: 'cpu', threads: 1 });
  t.teardown(() => engine.close());
  const err = await engine.devices[0].run(KEY, [1]).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof EngineError, 'an EngineError, made by the addon');
  t.equal((err as EngineError).code, ErrorCodes.noModel);
  await engine.close();
  const closed = await engine.devices[0].run(KEY, [1]).then(() => undefined, (e: unknown) => e);
  t.equal((closed as EngineError).code, ErrorCodes.closed, 'a closed device says so');
  t.throws(() => native.listDevices('gpu' as 'cpu'), { name: 'EngineError', code: ErrorCodes.invalidArgument },
    'a bad argument too, thrown at once');
});

t.test('the product addon carries no test-only code', async (t) => {
  const product = path.resolve(__dirname, '../../../build/Release/llama_gpu_bench.node');
  const keys = execFileSync(process.execPath, ['-e', `console.log(Object.keys(require(${JSON.stringify(product)})).sort().join(','))`],
    { encoding: 'utf8' }).trim();
  t.equal(keys, 'buildModel,errorCodes,hardwareThreads,listDevices,measureGemmTflops,openDevice,setErrorClass');
});
