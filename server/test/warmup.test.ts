// POST /warmup against a stand-in controller (a real HTTP server on loopback): "not ready" a few times, a failure,
// then the params; the generation lines; then POST /warmup/complete with the job's totals.
import t from 'tap';
import { generateBody, openEngine, startServer, StubService, stream } from './helpers.js';

t.test('/warmup', async (t) => {
  const engine = await openEngine();
  const server = await startServer(engine, { MAX_JOB_DURATION: '1', WARMUP_MAX_DURATION: '2', HTTP_TIMEOUT: '0.3' });
  t.teardown(async () => {
    await server.close();
    await engine.close();
  });

  t.test('polls until the controller has params, generates, then reports completion', async (t) => {
    let polls = 0;
    const controller = await new StubService((req) => {
      if (req.path === '/cb/warmup/params') {
        polls += 1;
        if (polls <= 3) return { body: { status: 'waiting' } };
        if (polls === 4) return { status: 500, body: { detail: 'controller hiccup' } };
        return { body: { status: 'ready', params: generateBody({ r_target: 1.41 }) } };
      }
      return { body: { ok: true } };
    }).listen();
    t.teardown(() => controller.close());

    const s = await stream(`${server.url}/warmup`, { auth_data: {}, payload: { callback_url: `${controller.url}/cb/`, job_id: 'job-7' } });
    t.equal(s.status, 200);
    const lines = await s.rest();
    t.same(lines[0], { status: 'warmup_ready', job_id: 'job-7' });
    const waiting = lines.slice(1, 5);
    t.same(waiting.map((l) => [l.status, l.poll_count]), [1, 2, 3, 4].map((n) => ['warmup_waiting', n]));
    t.ok(waiting.every((l) => Number.isInteger(l.elapsed)));
    t.notOk('last_error' in waiting[0], '"not ready" is no error');
    t.match(waiting[3].last_error, /HTTP 500/, 'a failing poll says why');
    t.same(Object.keys(lines[5]), ['status', 'elapsed']);
    t.equal(lines[5].status, 'warmup_params_received');
    const generated = lines.slice(6);
    t.ok(generated.length > 0, 'generation lines follow');
    t.ok(generated.every((l) => l.nonces.length > 0 && l.dist.every((d: number) => d < 1.41) && 'aggregated_total_valid' in l));

    const paramPolls = controller.requests.filter((r) => r.path === '/cb/warmup/params');
    t.ok(paramPolls.every((r) => r.method === 'GET' && r.query.get('job_id') === 'job-7'), 'GET .../warmup/params?job_id=<id>');
    for (let i = 1; i < paramPolls.length; i++) {
      t.ok(paramPolls[i].at - paramPolls[i - 1].at >= 40, 'polls are WARMUP_POLL_INTERVAL (50 ms) apart');
    }
    await controller.waitFor((r) => r.method === 'POST' && r.path === '/cb/warmup/complete');
    const complete = controller.requests.find((r) => r.path === '/cb/warmup/complete');
    const last = generated.at(-1);
    t.equal(complete?.body.job_id, 'job-7');
    t.ok(complete?.body.total_batches >= last.aggregated_batch_number);
    t.ok(complete?.body.total_computed >= last.aggregated_total_computed);
    t.equal(complete?.body.total_valid, last.aggregated_total_valid, 'every valid nonce was streamed');
  });

  t.test('an unreachable controller is polled until the time limit, each waiting line saying why', async (t) => {
    const s = await stream(`${server.url}/warmup`, { callback_url: 'http://127.0.0.1:9' });
    const lines = await s.rest();
    t.same(lines[0], { status: 'warmup_ready', job_id: 'unknown' });
    const waiting = lines.slice(1, -1);
    t.ok(waiting.length >= 3, `kept polling (${waiting.length} polls)`);
    t.ok(waiting.every((l) => l.status === 'warmup_waiting' && /ECONNREFUSED/.test(l.last_error)));
    t.equal(lines.at(-1).status, 'warmup_timeout');
    t.ok(lines.at(-1).elapsed >= 2);
  });

  t.test('params the controller gets wrong end the stream with an error line', async (t) => {
    const controller = await new StubService(() => ({ body: { status: 'ready', params: generateBody({ start_nonce: -1 }) } })).listen();
    t.teardown(() => controller.close());
    const lines = await (await stream(`${server.url}/warmup`, { callback_url: controller.url, job_id: 'bad' })).rest();
    t.same(lines.map((l) => l.status ?? l.error_type), ['warmup_ready', 'warmup_params_received', 'ValidationError']);
    t.match(lines[2].error, /^Invalid field start_nonce: /);
    t.equal(controller.count('POST', '/warmup/complete'), 0, 'no generation, no completion');
  });

  t.test('a controller that does not answer: each poll gives up after HTTP_TIMEOUT, and polling goes on', async (t) => {
    const silent = await new StubService(() => new Promise(() => undefined)).listen();
    t.teardown(() => silent.close());
    const s = await stream(`${server.url}/warmup`, { callback_url: silent.url, job_id: 'slow' });
    await s.next();
    const first = await s.next();
    const second = await s.next();
    s.abort();
    t.same([first.status, second.status], ['warmup_waiting', 'warmup_waiting']);
    t.equal(first.last_error, `GET ${silent.url}/warmup/params?job_id=slow: no answer within 0.3 s`);
    t.equal(second.poll_count, 2);
  });
});
