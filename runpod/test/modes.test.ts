// The other modes of the application (docs/runpod.md §12, and our validate), end to end: `llama-gpu-bench runpod` and the real
// model server, with loopback stand-ins of the controller (warmup) and the orchestrator (pooled). Every line of the
// model server's stream becomes a partial, and the job-done holds them all.
import t from 'tap';
import { StubService, type Recorded } from '../../server/test/helpers.js';
import { generateInput, PARAMS, R_TARGET, stackForFile } from './helpers/processes.js';

const stack = stackForFile(t);
const { platform } = stack;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Line = Record<string, any>;

t.test('warmup_mode: the controller knows the job by its Runpod id; it is polled, then the generation streams', async (t) => {
  let polls = 0;
  const controller = await new StubService((req) => {
    if (req.path === '/cb/warmup/params') {
      polls += 1;
      return { body: polls < 3 ? { status: 'waiting' } : { status: 'ready', params: generateInput({ start_nonce: 300 }) } };
    }
    return { body: { ok: true } };
  }).listen();
  t.teardown(() => controller.close());
  const id = platform.submit({ warmup_mode: true, callback_url: `${controller.url}/cb` });
  await platform.waitFor(() => platform.job(id).final, 60_000, 'the job-done');
  const job = platform.job(id);
  const lines = job.chunks.map((c) => c.output as Line);
  t.equal(job.status, 'COMPLETED');
  t.same(lines[0], { status: 'warmup_ready', job_id: id });
  t.same(lines.slice(1, 3).map((l) => l.status), ['warmup_waiting', 'warmup_waiting']);
  t.equal(lines[3].status, 'warmup_params_received');
  const results = lines.slice(4);
  t.ok(results.length > 0 && results.every((l) => l.dist.every((d: number) => d < R_TARGET)), `${results.length} result partials`);
  t.same(job.final?.output, lines);
  t.ok(controller.requests.filter((r: Recorded) => r.path === '/cb/warmup/params').every((r) => r.query.get('job_id') === id));
  const complete = await controller.waitFor((r) => r.path === '/cb/warmup/complete');
  t.equal(complete.body.job_id, id);
});

t.test('mode "pooled": a session with the orchestrator, each of its lines a partial', async (t) => {
  let configPolls = 0;
  const orchestrator = await new StubService((req) => {
    if (req.path === '/api/workers/connect') return { body: { status: 'ok' } };
    if (req.path.endsWith('/config')) {
      configPolls += 1;
      if (configPolls === 1) return { body: null };
      const results = orchestrator.requests.filter((r) => r.path.endsWith('/results') || r.path.endsWith('/results/batch'));
      if (results.length >= 3) return { body: { type: 'shutdown' } };
      return { body: { type: 'config', block_hash: 'pooled-block', block_height: 5, r_target: R_TARGET, params: PARAMS } };
    }
    if (req.path.endsWith('/ready')) return { body: { public_key: 'pooled-key', nonce_range_start: 0, nonce_range_end: 99_999 } };
    return { body: { status: 'ok' } };
  }).listen();
  t.teardown(() => orchestrator.close());
  const id = platform.submit({ mode: 'pooled', orchestrator_url: orchestrator.url });
  await platform.waitFor(() => platform.job(id).final, 60_000, 'the job-done');
  const job = platform.job(id);
  const lines = job.chunks.map((c) => c.output as Line);
  t.equal(job.status, 'COMPLETED');
  const statuses = lines.filter((l) => 'status' in l).map((l) => l.status);
  t.same(statuses.slice(0, 8), ['registering', 'registered', 'waiting_block_hash', 'received_block_hash', 'loading_model',
    'model_loaded', 'ready', 'computing']);
  t.equal(statuses.at(-1), 'shutdown');
  t.ok(lines.some((l) => Array.isArray(l.nonces) && l.public_key === 'pooled-key'), 'results of the assigned key');
  t.same(job.final?.output, lines);
  await orchestrator.waitFor((r) => r.path.endsWith('/shutdown'));
});

t.test('mode "validate": the nonces recomputed by POST /validate, its one answer the job\'s one partial', async (t) => {
  const input = generateInput();
  const id = platform.submit({ mode: 'validate', block_hash: input.block_hash, public_key: input.public_key,
    params: PARAMS, nonces: [3, 1, 2], r_target: R_TARGET });
  await platform.waitFor(() => platform.job(id).final, 60_000, 'the job-done');
  const job = platform.job(id);
  t.equal(job.status, 'COMPLETED');
  t.equal(job.chunks.length, 1);
  const answer = job.chunks[0].output as Line;
  t.equal(answer.dist.length, 3, 'a distance per nonce, in the order given');
  t.ok(answer.dist.every((d: unknown) => typeof d === 'number'));
  t.same(job.final?.output, [answer]);
});
