// A job's life in the protocol layer against the stand-in platform (docs/runpod.md §14 scenarios), with handlers
// passed in: what is posted, in what order, with which headers; how an error partial, an exception, a stop, an
// execution timeout, a shutdown, refresh_worker and a fatal error end a job. Every wait is scaled down (FAST);
// lower bounds are asserted exactly, upper bounds with 2 s of slack.
import t from 'tap';
import { aborted } from '../../common/src/deadline.js';
import type { Handler } from '../src/job-runner.js';
import { ScriptedHandler, standIn, startWorker } from './helpers/harness.js';

const SLACK_MS = 2000;

t.test('no job: takes repeat, pings carry no job id, nothing is posted', async (t) => {
  const p = await standIn(t);
  const w = startWorker(p, new ScriptedHandler(() => []).handler);
  t.teardown(() => w.stop());
  await p.waitFor(() => p.pings().length >= 2 && p.takes().length >= 3, 10_000, 'two pings and three takes');
  t.ok(p.pings().every((ping) => ping.jobIds.length === 0 && ping.runpodVersion === '1.12.0' && ping.params.gpu === 'SIM'));
  t.ok(p.takes().every((e) => e.query.job_in_progress === '0' && e.headers.authorization === p.apiKey));
  t.match(String(p.takes()[0].headers['user-agent']), /^llama-gpu-bench-runpod /, 'our User-Agent, not the SDK\'s');
  t.ok(p.pings()[0].t <= p.takes()[0].t, 'the first ping comes no later than the first take');
  t.same(p.ofKind('stream').concat(p.ofKind('done')), []);
  t.equal(await w.stop(), 0);
});

t.test('one streaming job: partials in order, then one job-done holding them all; pings list the job while it runs', async (t) => {
  const p = await standIn(t);
  let id = '';
  const h = new ScriptedHandler(() => [{ n: 1 }, { n: 2, text: 'é' }, { n: 3 }]);
  const handler: Handler = async function* (job, signal) {
    id = job.id;
    yield* h.handler(job, signal);
    // The job ends only once a ping has listed it.
    await p.waitFor(() => p.pings().some((ping) => ping.jobIds.includes(job.id)), 10_000, 'a ping with the job');
  };
  const w = startWorker(p, handler);
  t.teardown(() => w.stop());
  const jobId = p.submit({ hello: 'world' });
  await p.waitFor(() => p.job(jobId).final, 10_000, 'the job-done');
  const job = p.job(jobId);
  t.equal(id, jobId, 'the handler got the job');
  t.same(job.chunks.map((c) => c.output), [{ n: 1 }, { n: 2, text: 'é' }, { n: 3 }]);
  t.ok(job.chunks.every((c) => c.query.isStream === 'false' && c.xRequestId === jobId), 'isStream=false, X-Request-ID of the job');
  t.same([...new Set(job.contentTypes)], ['application/x-www-form-urlencoded'], 'the SDK\'s content type on every result POST');
  const post = p.ofKind('stream')[0];
  t.equal(post.headers.charset, 'utf-8');
  t.equal(post.headers.authorization, p.apiKey, 'the raw key, no Bearer');
  t.notOk(post.headers['accept-encoding'], 'no Accept-Encoding');
  t.same(job.final, { output: [{ n: 1 }, { n: 2, text: 'é' }, { n: 3 }], error: undefined, stopPod: undefined, isStream: 'true', t: job.final!.t });
  t.equal(job.status, 'COMPLETED');
  t.equal(job.doneAttempts, 1);
  const doneAt = job.final!.t;
  const nextTake = await p.waitFor(() => p.takes().find((e) => e.t > doneAt), 10_000, 'the next take');
  t.ok(nextTake.t >= p.ofKind('done')[0].answeredAt!, 'the next take comes after the job-done');
  // The ping thread reads the list the main thread wrote before that take; the second ping after it settles it.
  await p.waitFor(() => p.pings().filter((ping) => ping.t > nextTake.t).length >= 2, 10_000, 'two pings after the job');
  const after = p.pings().filter((ping) => ping.t > nextTake.t);
  t.same(after.slice(1).map((ping) => ping.jobIds), [[]], 'no job id once the job is done');
  t.equal(h.finallyRan, 1);
});

t.test('an error partial ends the job: earlier partials streamed, {"error": msg}, the handler closed', async (t) => {
  const p = await standIn(t);
  const h = new ScriptedHandler((job) => (job.input === 'object'
    ? [{ ok: 1 }, { error: { why: 'x' }, error_type: 'T' }]
    : [{ ok: 1 }, { error: 'Missing required fields: ["batch_size"]', error_type: 'ValidationError', code: 'ERR_MISSING_FIELDS' }, { never: 1 }]));
  const w = startWorker(p, h.handler);
  t.teardown(() => w.stop());
  const a = p.submit('string');
  const b = p.submit('object');
  await p.waitFor(() => p.job(b).final, 10_000, 'both job-dones');
  t.same(p.job(a).chunks.map((c) => c.output), [{ ok: 1 }], 'the error partial is not streamed');
  t.same([p.job(a).final?.error, p.job(a).final?.output, p.job(a).status], ['Missing required fields: ["batch_size"]', undefined, 'FAILED']);
  t.equal(p.job(b).final?.error, '{"why":"x"}', 'a non-string error as its JSON text');
  t.equal(h.pulls, 4, 'nothing pulled after an error partial');
  t.equal(h.finallyRan, 2);
  const logged = await w.logs.waitFor((l) => l.message === 'the job ends with an error' && l.requestId === a);
  t.match(logged, { error_type: 'ValidationError', code: 'ERR_MISSING_FIELDS', fatal: false, level: 'WARN' }, 'the details are in the log');
  t.equal(await w.stop(), 0, 'the worker goes on');
});

t.test('a handler that throws: {"error": "handler: <message> \\ntraceback: <stack>"}', async (t) => {
  const p = await standIn(t);
  // eslint-disable-next-line require-yield
  const w = startWorker(p, async function* () {
    throw new Error('boom');
  });
  t.teardown(() => w.stop());
  const id = p.submit({});
  await p.waitFor(() => p.job(id).final, 10_000, 'the job-done');
  t.match(p.job(id).final?.error, /^handler: boom \ntraceback: Error: boom\n {4}at /);
  t.equal(p.job(id).status, 'FAILED');
});

t.test('a cancelled job: the abort within 100 ms of the stop, no job-done, cleanup over before the next take', async (t) => {
  const p = await standIn(t);
  let cleanupEnded = 0;
  let abortSeen = 0;
  const handler: Handler = async function* (_job, signal) {
    try {
      yield { first: true };
      await aborted(signal);
      abortSeen = Date.now();
      yield { never: true };
    } finally {
      // A cleanup that takes a while, like the model server finishing its batch.
      await new Promise((resolve) => setTimeout(resolve, 300));
      cleanupEnded = Date.now();
    }
  };
  const w = startWorker(p, handler);
  t.teardown(() => w.stop());
  const id = p.submit({});
  await p.waitFor(() => p.job(id).chunks.length === 1, 10_000, 'the first partial');
  const takesBefore = p.takes().length;
  p.cancel(id);
  const stop = await p.waitFor(() => p.ofKind('stop').find((e) => e.status === 200), 10_000, 'the stop answer');
  await w.logs.waitFor((l) => l.message === 'Job stopped.' && l.requestId === id);
  t.ok(abortSeen - stop.answeredAt! <= 100 + SLACK_MS, `the abort was seen ${abortSeen - stop.answeredAt!} ms after the stop answer`);
  const next = await p.waitFor(() => p.takes()[takesBefore], 10_000, 'the next take');
  t.ok(next.t >= cleanupEnded && cleanupEnded > 0, 'the next take only after the cleanup');
  t.same(p.ofKind('done').filter((e) => e.jobId === id), [], 'no job-done');
  t.equal(p.job(id).chunks.length, 1, 'no partial after the stop');
  t.equal(p.job(id).status, 'CANCELLED');
  t.equal(w.results[0]?.result.outcome, 'stopped');
});

t.test('an execution timeout: the job is stopped the same way, TIMED_OUT, and the next job runs', async (t) => {
  const p = await standIn(t);
  const handler: Handler = async function* (job, signal) {
    yield { job: job.id };
    if (job.input === 'slow') await aborted(signal);
  };
  const w = startWorker(p, handler);
  t.teardown(() => w.stop());
  const slow = p.submit('slow', { executionTimeoutMs: 300 });
  const fast = p.submit('fast');
  await p.waitFor(() => p.job(fast).final, 10_000, 'the next job done');
  t.equal(p.job(slow).status, 'TIMED_OUT');
  t.same(p.ofKind('done').map((e) => e.jobId), [fast]);
  t.same(p.job(fast).final?.output, [{ job: fast }]);
});

t.test('results that cannot be sent as JSON: a partial is dropped, the final body becomes the error that says so', async (t) => {
  const p = await standIn(t);
  const w = startWorker(p, new ScriptedHandler(() => [{ a: NaN }, { big: 1n }]).handler);
  t.teardown(() => w.stop());
  const id = p.submit({});
  await p.waitFor(() => p.job(id).final, 10_000, 'the job-done');
  t.same(p.job(id).chunks.map((c) => c.output), [{ a: null }], 'NaN sent as null');
  t.match(p.job(id).final?.error, /^result not serializable: /);
  await w.logs.waitFor((l) => l.message === 'job-stream: non-finite numbers sent as null');
});

t.test('SIGTERM while idle: the worker ends at once, status 0', async (t) => {
  const p = await standIn(t, 60_000);
  const w = startWorker(p, new ScriptedHandler(() => []).handler);
  await p.waitFor(() => p.takes().length >= 1, 10_000, 'a held take');
  const asked = Date.now();
  t.equal(await w.stop(), 0);
  t.ok(Date.now() - asked <= 1000 + SLACK_MS, `stopped in ${Date.now() - asked} ms, not after the held poll`);
});

t.test('SIGTERM during a job: the job is cancelled and its job-done carries what was aggregated; status 0', async (t) => {
  const p = await standIn(t);
  const handler: Handler = async function* (_job, signal) {
    yield { part: 1 };
    yield { part: 2 };
    await aborted(signal);
  };
  const w = startWorker(p, handler);
  const id = p.submit({});
  await p.waitFor(() => p.job(id).chunks.length === 2, 10_000, 'two partials');
  const takes = p.takes().length;
  const status = w.stop();
  await p.waitFor(() => p.job(id).final, 10_000, 'the job-done');
  t.same(p.job(id).final?.output, [{ part: 1 }, { part: 2 }]);
  t.equal(await status, 0);
  t.equal(p.takes().length, takes, 'no take after the signal');
  t.equal(w.results[0].result.outcome, 'shutdown');
});

t.test('refresh_worker: the job-done carries stopPod, and the worker ends after that job with status 0', async (t) => {
  const p = await standIn(t);
  const w = startWorker(p, new ScriptedHandler(() => ['x']).handler, { RUNPOD_WORKER_REFRESH: 'true' });
  const id = p.submit({});
  p.submit({});
  t.equal(await w.status, 0);
  t.equal(p.job(id).final?.stopPod, true);
  t.equal(p.ofKind('stop_pod_requested').length, 1);
  t.equal(p.takes().length, 1, 'no take after the job');
});

t.test('a fatal error partial: the job-done is sent, then the worker ends with status 1', async (t) => {
  const p = await standIn(t);
  const w = startWorker(p, new ScriptedHandler(() => [{ error: 'CUDA out of order', error_type: 'NotEnoughGPUResources', fatal: true }]).handler);
  const id = p.submit({});
  p.submit({});
  t.equal(await w.status, 1);
  t.same([p.job(id).final?.error, p.job(id).status], ['CUDA out of order', 'FAILED']);
  t.equal(p.takes().length, 1, 'no further job is taken');
  await w.logs.waitFor((l) => l.message === 'a fatal error: the worker exits so that the platform replaces it');
});

t.test('an unset result template: each POST to it fails at once, logged, and the job goes on (as with the SDK)', async (t) => {
  const p = await standIn(t);
  const w = startWorker(p, new ScriptedHandler(() => [1, 2]).handler, { RUNPOD_WEBHOOK_POST_STREAM: '' });
  t.teardown(() => w.stop());
  const id = p.submit({});
  await p.waitFor(() => p.job(id).final, 10_000, 'the job-done');
  t.same(p.ofKind('stream'), []);
  t.same(p.job(id).final?.output, [1, 2], 'the job-done still holds every partial');
  const failed = w.logs.lines.filter((l) => l.message === 'job-stream: the platform\'s URL template is not an http(s) URL');
  t.same(failed.map((l) => [l.requestId, l.url]), [[id, 'JOB_STREAM_URL?isStream=false'], [id, 'JOB_STREAM_URL?isStream=false']]);
});
