// One job at a time, and what stops a job. A new job takes over from the running one (which ends after its batch
// in flight with {"status": "superseded"}); a third job while that takeover waits is refused with 503 + Retry-After,
// as is every second job with JOB_TAKEOVER=false; /health and /metrics never take over. A client disconnect stops
// computation within one batch and frees the devices for the next job. Every wait here is for an event the server
// reports (its log) or a stand-in records; none is a timer.
import { once } from 'node:events';
import t from 'tap';
import { generateBody, postJson, StubService, startWatchedServer, stream, TINY, BLOCK_HASH, type Json } from './helpers.js';

const KEY_A = `02${'aa'.repeat(32)}`;
const KEY_B = `02${'bb'.repeat(32)}`;
const KEY_C = `02${'cc'.repeat(32)}`;

t.test('takeovers', async (t) => {
  const { watched, server } = await startWatchedServer(t, { MAX_JOB_DURATION: '60', TAKEOVER_TIMEOUT: '30' });

  t.test('a new /generate takes over: the old job stops after its batch in flight and says "superseded"', async (t) => {
    const first = await stream(`${server.url}/generate`, generateBody({ r_target: 10, public_key: KEY_A }));
    const before = await first.next();
    for (const path of ['/health', '/metrics']) {
      const res = await fetch(`${server.url}${path}`);
      t.equal(res.status, 200, `${path} answers while a job runs, and is no job`);
      await res.arrayBuffer();
    }
    const after = await first.next();
    t.equal(after.aggregated_batch_number, before.aggregated_batch_number + 1, 'the running job went on');

    const second = await stream(`${server.url}/generate`, generateBody({ r_target: 10, public_key: KEY_B }), false);
    t.equal(second.status, 200, 'the new job gets the devices, without a 503 to retry');
    const runsOfA = watched.runsByKey.get(KEY_A);
    const ended = await server.events.jobEnded(first.jobId);
    t.equal(ended.outcome, 'superseded');
    const rest = await first.rest();
    t.same(rest.at(-1), { status: 'superseded' }, 'the old stream ends with the status line');
    t.ok(rest.slice(0, -1).every((l: Json) => Array.isArray(l.nonces)), 'before it, result lines only');
    await second.next();
    await second.next();
    t.equal(watched.runsByKey.get(KEY_A), runsOfA, 'no batch of the old job ran once the new one had the devices');
    second.abort();
    await server.events.jobEnded(second.jobId);
  });

  t.test('a third job while a takeover waits is refused with 503 busy and Retry-After', async (t) => {
    const first = await stream(`${server.url}/generate`, generateBody({ r_target: 10, public_key: KEY_A }));
    await first.next();
    const release = watched.hold();
    await once(watched.events, 'held'); // a batch of the first job is in flight, held
    const marks = server.events.records.length;
    const second = stream(`${server.url}/generate`, generateBody({ r_target: 10, public_key: KEY_B }), false);
    await server.events.waitFor((r) => server.events.records.indexOf(r) >= marks && r.msg.startsWith('a new job takes over'));
    for (const [route, body] of [
      ['/generate', generateBody({ public_key: KEY_C })],
      ['/warmup', { callback_url: 'http://127.0.0.1:9' }],
      ['/pooled', { orchestrator_url: 'http://127.0.0.1:9' }],
    ] as const) {
      const res = await postJson(`${server.url}${route}`, body);
      t.equal(res.status, 503, `${route}: 503`);
      t.same(res.json, { error: 'busy', code: 'ERR_BUSY' });
      const retryAfter = Number(res.headers['retry-after']);
      t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 30, `Retry-After: ${retryAfter} s`);
    }
    release();
    const took = await second;
    t.equal(took.status, 200, 'the waiting job starts once the old one has finished its batch');
    t.same((await first.rest()).at(-1), { status: 'superseded' });
    t.equal(watched.runsByKey.get(KEY_C) ?? 0, 0, 'the refused job never ran');
    took.abort();
    await server.events.jobEnded(took.jobId);
  });

  t.test('/warmup and /pooled take over and are taken over, each cleaning up before the next job starts', async (t) => {
    const controller = await new StubService((req) => (req.path === '/cb/warmup/params'
      ? { body: { status: 'ready', params: generateBody({ r_target: 10, public_key: KEY_A }) } }
      : { body: { ok: true } })).listen();
    const orchestrator = await new StubService((req) => {
      if (req.path.endsWith('/connect') || req.path.endsWith('/ready')) {
        return { body: { block_hash: BLOCK_HASH, r_target: 10, params: TINY, public_key: KEY_B, nonce_range_start: 0, nonce_range_end: 1e9 } };
      }
      return { body: { status: 'ok' } };
    }).listen();
    t.teardown(() => Promise.all([controller.close(), orchestrator.close()]));

    const warmup = await stream(`${server.url}/warmup`, { callback_url: `${controller.url}/cb`, job_id: 'w1' });
    await warmup.until((l) => Array.isArray(l.nonces));
    const pooled = await stream(`${server.url}/pooled`, { orchestrator_url: orchestrator.url }, false);
    t.equal(pooled.status, 200, '/pooled took over from /warmup');
    t.same((await warmup.rest()).at(-1), { status: 'superseded' });
    await pooled.until((l) => l.status === 'registered');
    const complete = controller.requests.find((r) => r.path === '/cb/warmup/complete');
    t.equal(complete?.body.job_id, 'w1', 'the superseded warmup reported its completion');
    t.ok(complete!.at <= orchestrator.requests[0].at, '... before the new job started');

    await pooled.until((l) => Array.isArray(l.nonces));
    const generate = await stream(`${server.url}/generate`, generateBody({ r_target: 10, public_key: KEY_C }), false);
    t.equal(generate.status, 200, '/generate took over from /pooled');
    const pooledLines = await pooled.rest();
    t.same(pooledLines.at(-1), { status: 'superseded' });
    const shutdown = orchestrator.requests.find((r) => r.path.endsWith('/shutdown'));
    const results = pooledLines.filter((l: Json) => Array.isArray(l.nonces));
    t.match(shutdown?.body.stats, { total_batches_sent: results.length, pending_results: 0, lost_results: 0 },
      'the superseded session flushed its results and told the orchestrator');
    generate.abort();
    await server.events.jobEnded(generate.jobId);
  });

  t.test('a client disconnect stops computation within one batch, and the next job runs', async (t) => {
    const s = await stream(`${server.url}/generate`, generateBody({ r_target: 10, public_key: KEY_A }));
    await s.next();
    await s.next();
    s.abort();
    await server.events.waitFor((r) => r.job === s.jobId && r.msg.startsWith('client disconnected'));
    const runsAtDisconnect = watched.runsByKey.get(KEY_A) ?? 0; // the batch in flight, if any, is counted
    const ended = await server.events.jobEnded(s.jobId);
    t.equal(ended.outcome, 'cancelled');
    const settled = watched.runsByKey.get(KEY_A) ?? 0;
    t.equal(settled, runsAtDisconnect, 'no batch started once the server saw the disconnect');

    const health = await postJson(`${server.url}/health`, {});
    t.same(health.json, { status: 'healthy', cuda_broken: false });
    const next = await stream(`${server.url}/generate`, generateBody({ r_target: 10, start_nonce: 77, public_key: KEY_B }), false);
    t.equal(next.status, 200, 'the devices are free at once');
    const line = await next.next();
    t.equal(line.nonces[0], 77);
    next.abort();
    await server.events.jobEnded(next.jobId);
    t.equal(watched.runsByKey.get(KEY_A) ?? 0, settled, 'no batch of the cancelled job since it ended');
  });

  t.test('a client that leaves while the model is being built starts no computation', async (t) => {
    watched.loadDelayMs = 300;
    t.teardown(() => (watched.loadDelayMs = 0));
    const publicKey = 'left-during-the-build';
    const controller = new AbortController();
    const loading = once(watched.events, 'load');
    const marks = server.events.records.length;
    const pending = fetch(`${server.url}/generate`, {
      method: 'POST', body: JSON.stringify(generateBody({ r_target: 10, public_key: publicKey })), signal: controller.signal,
    }).catch(() => undefined);
    await loading;
    controller.abort();
    await pending;
    const ended = await server.events.waitFor((r) => server.events.records.indexOf(r) >= marks && r.msg === 'job ended');
    t.equal(ended.outcome, 'cancelled');
    t.equal(watched.runsByKey.get(publicKey) ?? 0, 0, 'no batch ran for that job');
    const next = await stream(`${server.url}/generate`, generateBody({ r_target: 10 }), false);
    t.equal(next.status, 200, 'the devices are free');
    next.abort();
    await server.events.jobEnded(next.jobId);
  });
});

t.test('with JOB_TAKEOVER=false a second job is refused with 503 busy, and the first goes on', async (t) => {
  const { server } = await startWatchedServer(t, { MAX_JOB_DURATION: '60', JOB_TAKEOVER: 'false' });
  const first = await stream(`${server.url}/generate`, generateBody({ r_target: 10 }));
  const before = await first.next();
  const res = await postJson(`${server.url}/generate`, generateBody());
  t.equal(res.status, 503);
  t.same(res.json, { error: 'busy', code: 'ERR_BUSY' });
  const retryAfter = Number(res.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: the running job's time left (${retryAfter} s)`);
  const after = await first.next();
  t.equal(after.aggregated_batch_number, before.aggregated_batch_number + 1, 'the running job goes on, batch after batch');
  first.abort();
  await server.events.jobEnded(first.jobId);
});

t.test('a job that does not stop within TAKEOVER_TIMEOUT keeps the devices; the new job gets 503 busy', async (t) => {
  const { watched, server } = await startWatchedServer(t, { MAX_JOB_DURATION: '60', TAKEOVER_TIMEOUT: '0.5' });
  const first = await stream(`${server.url}/generate`, generateBody({ r_target: 10, public_key: KEY_A }));
  await first.next();
  const release = watched.hold();
  await once(watched.events, 'held');
  const res = await postJson(`${server.url}/generate`, generateBody({ public_key: KEY_B }));
  t.equal(res.status, 503, 'the old job was still in its batch when the wait ran out');
  t.ok(Number(res.headers['retry-after']) >= 1);
  t.equal(watched.runsByKey.get(KEY_B) ?? 0, 0);
  release();
  t.same((await first.rest()).at(-1), { status: 'superseded' }, 'the old job still stops after its batch');
  const next = await stream(`${server.url}/generate`, generateBody({ r_target: 10, public_key: KEY_C }), false);
  t.equal(next.status, 200);
  next.abort();
  await server.events.jobEnded(next.jobId);
});
