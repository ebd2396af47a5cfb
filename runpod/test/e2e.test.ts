// End to end: `llama-gpu-bench runpod` (a real process) in front of the real model server (CPU engine, a small
// model) against the stand-in platform on loopback. One worker takes the jobs of every test in turn, as a Runpod
// worker would: generation results equal to `llama-gpu-bench compute`, an input error and the next job, a reused
// model, a stop within one batch with the devices free before the next take, pings during and after a job, and
// failing and slow result POSTs.
import t from 'tap';
import type { StandInPlatform } from '../stand-in/platform.js';
import { compute, generateInput, R_TARGET, stackForFile } from './helpers/processes.js';

const SLACK_MS = 2000;
const stack = stackForFile(t);
const { platform } = stack;

/** Submits a job and waits for its job-done. */
async function run(input: unknown): Promise<ReturnType<StandInPlatform['job']>> {
  const id = platform.submit(input);
  await platform.waitFor(() => platform.job(id).final, 60_000, `the job-done of ${id}`);
  return platform.job(id);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Line = Record<string, any>;

t.test('no job: takes repeat, pings carry no job id, nothing is posted', async (t) => {
  await platform.waitFor(() => platform.takes().length >= 3 && platform.pings().length >= 2, 10_000, 'three takes and two pings');
  t.ok(platform.pings().every((p) => p.jobIds.length === 0 && p.workerId === 'pod-1'));
  t.ok(platform.pings()[0].t <= platform.takes()[0].t, 'the first ping before the first take');
  t.same([...platform.ofKind('stream'), ...platform.ofKind('done'), ...platform.ofKind('unauthorized')], []);
});

t.test('a generation job: streamed partials equal to `compute` for their nonces, job-done {"output": [...]} with each', async (t) => {
  const mark = stack.server.log.mark();
  const input = generateInput();
  const job = await run(input);
  const partials = job.chunks.map((c) => c.output as Line);
  t.ok(partials.length > 0, `${partials.length} partials`);
  t.equal(job.status, 'COMPLETED');
  t.same(job.final?.output, partials, 'the job-done holds every partial, in order');
  t.equal(job.final?.isStream, 'true');
  t.ok(partials.every((p) => p.public_key === input.public_key && p.block_hash === input.block_hash && p.block_height === 11));
  const nonces = partials.flatMap((p) => p.nonces as number[]);
  const dist = partials.flatMap((p) => p.dist as number[]);
  t.same(dist, compute(input, nonces), 'the same distances as the validator\'s tool, nonce for nonce');
  t.ok(dist.every((d) => d < R_TARGET));
  const ready = await stack.server.log.waitFor((r) => r.msg === 'model ready', 5000);
  t.ok(stack.server.log.since(mark).includes(ready), 'the model was built for this job');
});

t.test('a job missing a field ends with the model server\'s message; the next job reuses the model', async (t) => {
  const { batch_size: _omit, ...bad } = generateInput();
  const failed = await run(bad);
  t.same([failed.status, failed.final?.error, failed.chunks.length], ['FAILED', 'Missing required fields: ["batch_size"]', 0]);
  const line = await stack.worker.log.waitFor((r) => r.message === 'the job ends with an error' && r.requestId === failed.id);
  t.match(line, { error_type: 'ValidationError', code: 'ERR_MISSING_FIELDS' }, 'the details are in the worker\'s log');
  const mark = stack.server.log.mark();
  const next = await run(generateInput());
  t.equal(next.status, 'COMPLETED', 'the worker took the next job');
  t.ok(stack.server.log.since(mark).some((r) => r.msg === 'model ready' && r.reused === true), 'same block hash and params: the model is reused');
});

t.test('a batch of jobs, also handed out in one answer: each runs to its job-done, in order, on the model built once', async (t) => {
  const mark = stack.server.log.mark();
  platform.scriptTake([{ listOf: 2 }]);
  const ids = [0, 1, 2].map((i) => platform.submit(generateInput({ start_nonce: 10_000 * (i + 1) })));
  await platform.waitFor(() => ids.every((id) => platform.job(id).final), 60_000, 'three job-dones');
  t.same(platform.ofKind('done').filter((e) => ids.includes(e.jobId!)).map((e) => e.jobId), ids, 'one job-done each, in order');
  for (const id of ids) {
    const job = platform.job(id);
    t.equal(job.status, 'COMPLETED');
    t.same(job.final?.output, job.chunks.map((c) => c.output));
    t.ok((job.chunks[0]?.output as Line).nonces[0] >= 10_000, `${id} computed its own range`);
  }
  const loads = stack.server.log.since(mark).filter((r) => r.msg === 'model ready');
  t.same(loads.map((r) => r.reused), [true, true, true], 'the model is reused by every job of the batch');
});

t.test('pings list the running job, and no job once it is done', async (t) => {
  const id = platform.submit(generateInput());
  await platform.waitFor(() => platform.pings().some((p) => p.jobIds.includes(id)), 10_000, 'a ping listing the job');
  await platform.waitFor(() => platform.job(id).final, 30_000, 'the job-done');
  const doneAt = platform.ofKind('done').find((e) => e.jobId === id)!.answeredAt!;
  await platform.waitFor(() => platform.pings().filter((p) => p.t > doneAt).length >= 2, 10_000, 'two pings after the job');
  const after = platform.pings().filter((p) => p.t > doneAt);
  t.same(after[1].jobIds, [], 'no job id after the job-done');
  t.ok(platform.pings().filter((p) => p.jobIds.length > 0).every((p) => p.jobIds.length === 1 && p.workerId === 'pod-1'));
});

t.test('a stop: the computation ends within one batch, no job-done, and the next job starts on free devices', async (t) => {
  const mark = stack.server.log.mark();
  const stopped = platform.submit(generateInput({ r_target: 10 }));
  const next = platform.submit(generateInput({ start_nonce: 1000 }));
  await platform.waitFor(() => platform.job(stopped).chunks.length >= 2, 20_000, 'partials of the first job');
  platform.cancel(stopped);
  await platform.waitFor(() => platform.job(next).final, 30_000, 'the next job done');
  const records = stack.server.log.since(mark);
  const started = records.filter((r) => r.msg === 'job started').map((r) => r.job as number);
  const gone = records.find((r) => r.msg === 'client disconnected: stopping after the batches in flight' && r.job === started[0]);
  const ended = records.find((r) => r.msg === 'job ended' && r.job === started[0]);
  t.ok(gone, 'the model server saw the worker abort its request');
  t.match(ended, { outcome: 'cancelled' });
  const oneBatchMs = 1000 * (ended?.longestBatchSeconds as number);
  t.ok(ended!.time - gone!.time <= oneBatchMs + SLACK_MS, `ended ${ended!.time - gone!.time} ms after the disconnect (a batch: ${oneBatchMs} ms)`);
  t.same(platform.ofKind('done').filter((e) => e.jobId === stopped), [], 'no job-done for the stopped job');
  t.equal(platform.job(stopped).status, 'CANCELLED');
  t.ok(platform.job(next).takenAt! >= ended!.time, 'the next job was handed out after the stopped one ended');
  t.equal(platform.job(next).status, 'COMPLETED');
  await stack.worker.log.waitFor((r) => r.message === 'Job stopped.' && r.requestId === stopped);
});

t.test('5xx and slow answers on job-stream and job-done: retried, every partial delivered once, COMPLETED', async (t) => {
  platform.failStream(1, 500);
  platform.failDone(1, 502);
  platform.delay('stream', 100);
  platform.delay('done', 500);
  t.teardown(() => {
    platform.delay('stream', 0);
    platform.delay('done', 0);
  });
  const job = await run(generateInput({ start_nonce: 5000 }));
  t.equal(job.status, 'COMPLETED');
  t.equal(job.doneAttempts, 2, 'the job-done was sent again after the 502');
  const streams = platform.ofKind('stream').filter((e) => e.jobId === job.id);
  t.equal(streams.filter((e) => e.status === 500).length, 1);
  t.same(job.final?.output, job.chunks.map((c) => c.output), 'the retried partial was delivered, once, in its place');
  const gaps = job.chunks.slice(1).map((c, i) => c.t - job.chunks[i].t);
  t.ok(gaps.every((g) => g >= 100), 'the next partial only after the slow answer');
});
