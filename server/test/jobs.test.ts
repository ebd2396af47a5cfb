// One job at a time, and what stops a job: a second request while one runs is refused with 503 + Retry-After
// (the README documents refusal, not queueing); a client disconnect stops computation within one batch and frees
// the devices for the next job.
import t from 'tap';
import { delay, eventually, generateBody, postJson, startWatchedServer, stream } from './helpers.js';

t.test('jobs', async (t) => {
  const { watched, server } = await startWatchedServer(t, { MAX_JOB_DURATION: '30' });

  t.test('a second job while one runs gets 503 busy with Retry-After, and does not disturb the first', async (t) => {
    const first = await stream(`${server.url}/generate`, generateBody({ r_target: 10 }));
    const before = await first.next();
    for (const [route, body] of [
      ['/generate', generateBody()],
      ['/warmup', { callback_url: 'http://127.0.0.1:9' }],
      ['/pooled', { orchestrator_url: 'http://127.0.0.1:9' }],
    ] as const) {
      const res = await postJson(`${server.url}${route}`, body);
      t.equal(res.status, 503, `${route}: 503`);
      t.same(res.json, { error: 'busy', code: 'ERR_BUSY' });
      const retryAfter = Number(res.headers['retry-after']);
      t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 30, `Retry-After: ${retryAfter} s`);
    }
    const after = await first.next();
    t.equal(after.aggregated_batch_number, before.aggregated_batch_number + 1, 'the running job goes on, batch after batch');
    first.abort();
  });

  t.test('a client disconnect stops computation within one batch, and the next job runs', async (t) => {
    const s = await stream(`${server.url}/generate`, generateBody({ r_target: 10 }));
    await s.next();
    await s.next();
    const runsAtDisconnect = watched.runs;
    t.ok(runsAtDisconnect >= 2, 'the engine was computing');
    s.abort();
    await delay(300);
    const settled = watched.runs;
    t.ok(settled <= runsAtDisconnect + 1, `at most the batch in flight ran after the disconnect (${runsAtDisconnect} → ${settled})`);
    await delay(300);
    t.equal(watched.runs, settled, 'no device.run call since');

    const health = await postJson(`${server.url}/health`, {});
    t.same(health.json, { status: 'healthy', cuda_broken: false });
    const next = await stream(`${server.url}/generate`, generateBody({ r_target: 10, start_nonce: 77 }), false);
    t.equal(next.status, 200, 'the devices are free at once');
    const line = await next.next();
    t.equal(line.nonces[0], 77);
    next.abort();
    await eventually(() => watched.runs > settled);
  });

  t.test('a client that leaves while the model is being built starts no computation', async (t) => {
    watched.loadDelayMs = 300;
    t.teardown(() => (watched.loadDelayMs = 0));
    const publicKey = 'left-during-the-build';
    const controller = new AbortController();
    const pending = fetch(`${server.url}/generate`, {
      method: 'POST', body: JSON.stringify(generateBody({ r_target: 10, public_key: publicKey })), signal: controller.signal,
    }).catch(() => undefined);
    await delay(50);
    controller.abort();
    await pending;
    await delay(600);
    t.equal(watched.runsByKey.get(publicKey) ?? 0, 0, 'no batch ran for that job');
    const next = await stream(`${server.url}/generate`, generateBody({ r_target: 10 }), false);
    t.equal(next.status, 200, 'the devices are free');
    next.abort();
  });
});
