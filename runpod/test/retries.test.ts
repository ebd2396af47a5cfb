// Retries and pacing in the protocol layer against the stand-in platform (docs/runpod.md §13 req. 6, 9, 11; §14
// scenarios 7–14): failing, slow and dropped result POSTs, and how the take loop treats rate-limited, failed and
// empty answers. Every wait is scaled down (FAST); lower bounds are asserted exactly, upper bounds with 2 s of slack.
import t from 'tap';
import type { Handler } from '../src/job-runner.js';
import { ScriptedHandler, standIn, startWorker } from './helpers/harness.js';

const SLACK_MS = 2000;

t.test('job-done answered 5xx twice: three attempts, the retry delays apart; COMPLETED', async (t) => {
  const p = await standIn(t);
  const w = startWorker(p, new ScriptedHandler(() => [1]).handler);
  t.teardown(() => w.stop());
  p.failDone(2, 503);
  const id = p.submit({});
  await p.waitFor(() => p.job(id).final, 15_000, 'the job-done');
  const tries = p.ofKind('done').map((e) => e.t);
  t.equal(tries.length, 3);
  const gaps = [tries[1] - tries[0], tries[2] - tries[1]];
  t.ok(gaps[0] >= 200 && gaps[1] >= 300, `gaps ${gaps} at least 200 and 300 ms`);
  t.ok(gaps[0] <= 200 + SLACK_MS && gaps[1] <= 300 + SLACK_MS, `gaps ${gaps}`);
  t.equal(p.job(id).status, 'COMPLETED');
});

t.test('job-done always 5xx: three attempts, logged with the job id, and the next job is taken', async (t) => {
  const p = await standIn(t);
  const w = startWorker(p, new ScriptedHandler(() => [1]).handler);
  t.teardown(() => w.stop());
  p.failDone(3, 500);
  const a = p.submit({});
  const b = p.submit({});
  await p.waitFor(() => p.job(b).final, 15_000, 'the second job done');
  t.equal(p.job(a).doneAttempts, 3);
  t.equal(p.job(a).final, undefined);
  const line = await w.logs.waitFor((l) => l.message === 'Failed to return job results.');
  t.match(line, { requestId: a, attempts: 3, status: 500, level: 'ERROR' });
});

t.test('job-done answered 4xx: one attempt, not retried', async (t) => {
  const p = await standIn(t);
  const w = startWorker(p, new ScriptedHandler(() => [1]).handler);
  t.teardown(() => w.stop());
  p.failDone(1, 404);
  const a = p.submit({});
  const b = p.submit({});
  await p.waitFor(() => p.job(b).final, 10_000, 'the second job done');
  t.equal(p.job(a).doneAttempts, 1);
  t.match(await w.logs.waitFor((l) => l.message === 'Failed to return job results.'), { requestId: a, attempts: 1, status: 404 });
});

t.test('a slow job-stream: partials arrive its delay apart and the handler is never pulled ahead', async (t) => {
  const p = await standIn(t);
  const h = new ScriptedHandler(() => [1, 2, 3]);
  const ahead: number[] = [];
  const handler: Handler = async function* (job, signal) {
    for await (const v of h.handler(job, signal)) {
      ahead.push(h.pulls - p.ofKind('stream').filter((e) => e.status === 200).length);
      yield v;
    }
  };
  p.delay('stream', 300);
  const w = startWorker(p, handler);
  t.teardown(() => w.stop());
  const id = p.submit({});
  await p.waitFor(() => p.job(id).final, 10_000, 'the job-done');
  const at = p.ofKind('stream').map((e) => e.answeredAt!);
  t.ok(at[1] - at[0] >= 300 && at[2] - at[1] >= 300, 'answers 300 ms apart');
  t.same(ahead, [1, 1, 1], 'each value pulled only after the previous partial was answered');
});

t.test('a connection dropped on job-stream before any answer: retried, delivered once', async (t) => {
  const p = await standIn(t);
  p.dropConnection('stream', 1);
  const w = startWorker(p, new ScriptedHandler(() => ['only']).handler);
  t.teardown(() => w.stop());
  const id = p.submit({});
  await p.waitFor(() => p.job(id).final, 10_000, 'the job-done');
  t.same(p.job(id).chunks.map((c) => c.output), ['only']);
  t.equal(p.ofKind('stream').length, 2, 'two attempts, one delivery');
});

t.test('job-take answered 429: the next take after the rate-limit wait', async (t) => {
  const p = await standIn(t);
  p.scriptTake([{ status: 429 }]);
  const w = startWorker(p, new ScriptedHandler(() => []).handler);
  t.teardown(() => w.stop());
  const [first, second] = await p.waitFor(() => p.takes().length >= 2 && p.takes(), 10_000, 'two takes');
  t.ok(second.t - first.answeredAt! >= 500, `next take ${second.t - first.answeredAt!} ms later`);
});

t.test('job-take answered 500, 401 or an object without input: backoff, doubling, not a spin', async (t) => {
  const p = await standIn(t);
  p.scriptTake([{ status: 500 }, { status: 401 }, { status: 200, json: { id: 'x' } }, { status: 500 }]);
  const w = startWorker(p, new ScriptedHandler(() => []).handler);
  t.teardown(() => w.stop());
  const takes = await p.waitFor(() => p.takes().length >= 5 && p.takes(), 10_000, 'five takes');
  const gaps = takes.slice(1, 5).map((e, i) => e.t - takes[i].answeredAt!);
  // Backoff 100, 200, 400, 400 ms (capped), each within ±25%.
  t.ok(gaps.every((g, i) => g >= [75, 150, 300, 300][i]), `gaps ${gaps}`);
  const warned = w.logs.lines.filter((l) => l.message === 'Failed to get job.');
  t.same(warned.map((l) => l.detail), ['HTTP 500', 'HTTP 401', 'Job has missing field(s): id or input.', 'HTTP 500']);
});

t.test('job-take answered 400 or a 200 without JSON at once: no more than one take per empty-poll gap', async (t) => {
  const p = await standIn(t);
  p.scriptTake([{ status: 400 }, { status: 200, text: 'hello' }, { status: 400 }, { status: 200, json: [] }]);
  const w = startWorker(p, new ScriptedHandler(() => []).handler);
  t.teardown(() => w.stop());
  const takes = await p.waitFor(() => p.takes().length >= 5 && p.takes(), 10_000, 'five takes');
  // Measured by their arrival here, while the worker spaces their beginnings: 10 ms for the two clocks' granularity.
  const gaps = takes.slice(1, 5).map((e, i) => e.t - takes[i].t);
  t.ok(gaps.every((g) => g >= 90), `polls began 100 ms apart: ${gaps}`);
  t.same(w.logs.lines.filter((l) => l.message === 'Failed to get job.'), [], 'empty answers are no errors');
});

t.test('a take answered with a list of jobs: each runs, in order', async (t) => {
  const p = await standIn(t);
  p.scriptTake([{ status: 200, json: [{ nope: 1 }] }, { listOf: 2 }]);
  const [a, b] = [p.submit(1), p.submit(2)];
  const w = startWorker(p, async function* (job) {
    yield { got: job.input };
  });
  t.teardown(() => w.stop());
  await p.waitFor(() => p.job(b).final, 10_000, 'both jobs done');
  t.same(p.ofKind('done').map((e) => e.jobId), [a, b]);
  t.same(p.job(b).final?.output, [{ got: 2 }]);
  t.ok(p.takes()[1].answeredAt! <= p.ofKind('done')[0].t, 'both came in one answer');
  t.notOk(w.logs.lines.some((l) => l.message === 'Failed to get job.'), 'a list without a job was an empty answer, no error');
});

