// POST /pooled against a stand-in orchestrator (a real HTTP server on loopback): register, config polling, ready,
// results for every batch (a failing results endpoint: buffered, then flushed via results/batch), heartbeats,
// switch_job (counters reset, range restarts), shutdown; then the failure paths.
import t from 'tap';
import { BLOCK_HASH, openEngine, startServer, startWatchedServer, stream, StubService, TINY, type Json, type Recorded } from './helpers.js';

const PK1 = `02${'a1'.repeat(32)}`;
const PK2 = `03${'b2'.repeat(32)}`;
const R_TARGET = 1.41;
const RANGE = { nonce_range_start: 0, nonce_range_end: 199 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Results the orchestrator took (answered 200), one way or the other. */
function delivered(orchestrator: StubService): Json[] {
  return orchestrator.requests.filter((r) => r.status === 200).flatMap((r: Recorded) =>
    r.path.endsWith('/results') ? [r.body] : r.path.endsWith('/results/batch') ? r.body.results : []);
}

t.test('/pooled', async (t) => {
  const engine = await openEngine();
  const server = await startServer(engine, { MAX_BATCH_SIZE: '8' });
  t.teardown(async () => {
    await server.close();
    await engine.close();
  });

  t.test('a whole session: register, config, ready, results with a failing endpoint, switch_job, shutdown', async (t) => {
    let polls = 0;
    // The results endpoint fails until a heartbeat has reported the results it buffered meanwhile.
    let failResults = true;
    let switched = false;
    const orchestrator = await new StubService((req) => {
      if (req.path === '/api/workers/connect') return { body: { status: 'wait' } };
      if (req.path.endsWith('/config')) {
        polls += 1;
        if (polls <= 3) return { body: null };
        if (polls === 4) return { body: { type: 'config', block_hash: BLOCK_HASH, block_height: 77, r_target: R_TARGET, params: TINY } };
        const got = delivered(orchestrator);
        if (!switched && got.length >= 4) {
          switched = true;
          return { body: { type: 'switch_job', public_key: PK2 } };
        }
        const pk2Done = got.filter((r) => r.public_key === PK2).reduce((sum, r) => sum + r.batch_computed, 0) === 200;
        return { body: pk2Done ? { type: 'shutdown' } : {} };
      }
      if (req.path.endsWith('/ready')) return { body: { public_key: PK1, ...RANGE } };
      if (req.path.endsWith('/heartbeat') && req.body.pending_results > 0) failResults = false;
      if (req.path.includes('/results') && failResults) return { status: 503, body: { error: 'overloaded' } };
      return { body: { status: 'ok' } };
    }).listen();
    t.teardown(() => orchestrator.close());

    const lines = await (await stream(`${server.url}/pooled`, { orchestrator_url: `${orchestrator.url}/` })).rest();
    const statuses = lines.filter((l) => 'status' in l);
    const results = lines.filter((l) => 'nonces' in l);
    t.notOk(lines.some((l) => 'error' in l), 'no error line');

    // The stream, in order.
    t.same(statuses.map((l) => l.status), [
      'registering', 'registered', 'waiting_block_hash', 'received_block_hash', 'loading_model', 'model_loaded',
      'ready', 'computing', 'switched_public_key', 'shutdown',
    ]);
    const workerId = statuses[0].worker_id;
    t.match(workerId, UUID, 'worker id: a fresh UUID');
    t.same(statuses[0], { status: 'registering', worker_id: workerId, gpu_count: engine.devices.length });
    t.same(statuses[1], { status: 'registered', worker_id: workerId });
    t.same(statuses[3], { status: 'received_block_hash', block_hash: BLOCK_HASH.slice(0, 16) });
    t.ok(Number.isInteger(statuses[5].load_time));
    t.same(statuses[6], { status: 'ready', public_key: PK1.slice(0, 16) });
    t.same(statuses[8], { status: 'switched_public_key', public_key: PK2.slice(0, 16) });
    t.same(statuses[9], {
      status: 'shutdown', total_batches_sent: results.length, session_duration: statuses[9].session_duration,
      results_delivered: results.length, pending_results: 0, lost_results: 0,
    });

    // The orchestrator's side of it.
    const connect = orchestrator.requests[0];
    t.equal(connect.path, '/api/workers/connect', 'trailing slash of the base URL dropped');
    t.same(connect.body.worker_id, workerId);
    t.equal(connect.body.gpu_count, engine.devices.length);
    t.ok(Array.isArray(connect.body.gpu_info));
    const mine = `/api/workers/${workerId}`;
    t.same(orchestrator.requests.find((r) => r.path === `${mine}/ready`)?.body, { gpu_count: engine.devices.length });
    const configPolls = orchestrator.requests.filter((r) => r.path === `${mine}/config`);
    t.ok(configPolls.every((r) => r.method === 'GET'));
    t.ok(configPolls.slice(1).every((r, i) => r.at - configPolls[i].at >= 40), 'config polled every POOLED_POLL_INTERVAL');

    // Every batch's result reached the orchestrator exactly once: the ones the endpoint refused were buffered and
    // flushed in a results/batch.
    const got = delivered(orchestrator).map((r) => JSON.stringify(r)).sort();
    t.same(got, results.map((r) => JSON.stringify(r)).sort(), 'every result delivered once');
    const batches = orchestrator.requests.filter((r) => r.path === `${mine}/results/batch`);
    t.ok(batches.length >= 1 && batches[0].body.results.length >= 1, 'buffered results flushed via results/batch');
    const heartbeats = orchestrator.requests.filter((r) => r.path === `${mine}/heartbeat`);
    t.ok(heartbeats.some((r) => r.body.pending_results > 0), 'heartbeats report the buffered results');
    const shutdown = orchestrator.requests.find((r) => r.path === `${mine}/shutdown`);
    t.match(shutdown?.body.stats, { total_batches_sent: results.length, results_delivered: results.length, pending_results: 0, lost_results: 0 });
    t.ok(orchestrator.requests.indexOf(shutdown!) > orchestrator.requests.indexOf(batches.at(-1)!), 'flushed before shutdown');

    // Results: fields of a /generate line without the aggregated ones, tagged with their key; counters per key.
    const problems: string[] = [];
    for (const r of results) {
      const keys = Object.keys(r).sort().join(',');
      if (keys !== 'batch_computed,batch_number,batch_valid,block_hash,block_height,dist,elapsed_seconds,next_nonce,node_id,nonces,public_key,result_id,total_computed,total_valid,worker_id') problems.push(`fields ${keys}`);
      if (r.block_hash !== BLOCK_HASH || r.block_height !== 77) problems.push('job echoed');
      if (r.nonces.length !== r.batch_valid || r.dist.some((d: number) => !(d < R_TARGET))) problems.push('valid nonces only');
      if (r.nonces.some((n: number) => n < 0 || n > 199)) problems.push('nonces in the range');
    }
    t.same(problems, []);
    t.same(results.map((r) => r.result_id), results.map((_, i) => `${workerId}:${i + 1}`), 'each result has its own result_id');
    const single = orchestrator.requests.filter((r) => r.path === `${mine}/results`);
    t.ok(single.every((r) => r.headers['idempotency-key'] === r.body.result_id), 'and sends it as Idempotency-Key');
    const pk2 = results.filter((r) => r.public_key === PK2);
    const afterSwitch = results.slice(results.findIndex((r) => r.public_key === PK2));
    t.ok(afterSwitch.filter((r) => r.public_key === PK1).length <= engine.devices.length,
      'after the switch, only batches already in flight finish with the old key');
    t.equal(pk2.length, 25, 'a result for every batch of 8, empty ones included');
    t.same(pk2.map((r) => r.batch_number), pk2.map((_, i) => i + 1), 'counters reset on switch_job');
    t.equal(pk2.reduce((s, r) => s + r.batch_computed, 0), 200, 'the range restarted from its start, each nonce once');
    t.same(pk2.map((r) => r.total_computed), pk2.map((_, i) => Math.min(200, (i + 1) * 8)));
    t.equal(pk2.at(-1).next_nonce, 200, 'then the range is exhausted');

    // The valid nonces of PK2's range are exactly those the engine finds valid, with the same distances.
    await engine.load(BLOCK_HASH, TINY);
    const all = Array.from({ length: 200 }, (_, i) => i);
    const direct = await engine.devices[0].run(PK2, all);
    const expected = all.filter((n) => direct.dist[n] < R_TARGET).map((n) => [n, direct.dist[n]]);
    const reported = pk2.flatMap((r) => r.nonces.map((n: number, i: number) => [n, r.dist[i]])).sort((a, b) => a[0] - b[0]);
    t.same(reported, expected);
  });

  t.test('an orchestrator that refuses registration: 5 attempts, then a ConnectionError line', async (t) => {
    const orchestrator = await new StubService(() => ({ status: 503 })).listen();
    t.teardown(() => orchestrator.close());
    const lines = await (await stream(`${server.url}/pooled`, { orchestrator_url: orchestrator.url })).rest();
    t.equal(lines.length, 2);
    t.equal(lines[0].status, 'registering');
    t.same(lines[1], { error: 'Failed to register with orchestrator', error_type: 'ConnectionError', code: 'ERR_ORCHESTRATOR' });
    t.equal(orchestrator.count('POST', '/api/workers/connect'), 5, 'the retry schedule: 5 attempts');
    const unreachable = await (await stream(`${server.url}/pooled`, { orchestrator_url: 'http://127.0.0.1:9' })).rest();
    t.equal(unreachable.at(-1).error_type, 'ConnectionError');
  });

  t.test('a shutdown command before any block hash ends the session', async (t) => {
    const orchestrator = await new StubService((req) =>
      req.path.endsWith('/config') ? { body: { type: 'shutdown' } } : { body: { status: 'wait' } }).listen();
    t.teardown(() => orchestrator.close());
    const lines = await (await stream(`${server.url}/pooled`, { orchestrator_url: orchestrator.url })).rest();
    t.same(lines.map((l) => l.status), ['registering', 'registered', 'waiting_block_hash', 'shutdown']);
    t.equal(lines.at(-1).total_batches_sent, 0);
    await orchestrator.waitFor((r) => r.path.endsWith('/shutdown'));
  });

  t.test('a client disconnect ends the session: results flushed, shutdown notified, devices free', async (t) => {
    const orchestrator = await new StubService((req) => {
      if (req.path.endsWith('/ready') || req.path.endsWith('/connect')) {
        return { body: { block_hash: BLOCK_HASH, block_height: 1, r_target: R_TARGET, params: TINY, public_key: PK1, nonce_range_start: 0, nonce_range_end: 1e9 } };
      }
      return { body: {} };
    }).listen();
    t.teardown(() => orchestrator.close());
    const s = await stream(`${server.url}/pooled`, { orchestrator_url: orchestrator.url });
    await s.until((l) => 'nonces' in l);
    s.abort();
    await orchestrator.waitFor((r) => r.path.endsWith('/shutdown'));
    const next = await stream(`${server.url}/generate`, {
      block_hash: BLOCK_HASH, block_height: 1, public_key: PK1, r_target: 10, batch_size: 1, start_nonce: 0, params: TINY,
    });
    t.equal(next.status, 200, 'the devices are free for the next job');
    next.abort();
  });
});

t.test('a 2xx answer that is not JSON delivers the results: none is sent twice or counted lost', async (t) => {
  const { server } = await startWatchedServer(t, { MAX_BATCH_SIZE: '8' });
  const ids: string[] = [];
  const orchestrator: StubService = await new StubService((req) => {
    if (req.path.endsWith('/ready') || req.path.endsWith('/connect')) {
      return { body: { block_hash: BLOCK_HASH, r_target: R_TARGET, params: TINY, public_key: PK1, nonce_range_start: 0, nonce_range_end: 79 } };
    }
    if (req.path.includes('/results')) {
      for (const r of req.path.endsWith('/batch') ? req.body.results : [req.body]) ids.push(r.result_id);
      return { raw: 'OK' };
    }
    return { body: req.path.endsWith('/config') && ids.length >= 10 ? { type: 'shutdown' } : {} };
  }).listen();
  t.teardown(() => orchestrator.close());
  const lines = await (await stream(`${server.url}/pooled`, { orchestrator_url: orchestrator.url })).rest();
  const results = lines.filter((l) => 'nonces' in l);
  t.equal(results.length, 10, 'the range of 80 nonces in batches of 8');
  t.same([...ids].sort(), results.map((r) => r.result_id).sort(), 'each result sent once');
  t.match(lines.at(-1), { status: 'shutdown', results_delivered: 10, pending_results: 0, lost_results: 0 });
});

t.test('a results send that times out is sent again with the same result_id, and counted once', async (t) => {
  const { server } = await startWatchedServer(t, { MAX_BATCH_SIZE: '8', HTTP_TIMEOUT: '0.5' });
  const seen: string[] = [];
  let hung = false;
  const orchestrator: StubService = await new StubService((req) => {
    if (req.path.endsWith('/ready') || req.path.endsWith('/connect')) {
      return { body: { block_hash: BLOCK_HASH, r_target: R_TARGET, params: TINY, public_key: PK1, nonce_range_start: 0, nonce_range_end: 39 } };
    }
    if (req.path.includes('/results')) {
      for (const r of req.path.endsWith('/batch') ? req.body.results : [req.body]) seen.push(r.result_id);
      if (!hung) {
        hung = true;
        return new Promise(() => undefined); // recorded, but the answer never comes
      }
      return { body: { status: 'ok' } };
    }
    return { body: req.path.endsWith('/config') && new Set(seen).size >= 5 && seen.length > 5 ? { type: 'shutdown' } : {} };
  }).listen();
  t.teardown(() => orchestrator.close());
  const lines = await (await stream(`${server.url}/pooled`, { orchestrator_url: orchestrator.url })).rest();
  const results = lines.filter((l) => 'nonces' in l);
  t.equal(results.length, 5);
  const first = results[0].result_id;
  t.equal(seen.filter((id) => id === first).length, 2, 'the timed-out result went out again, under the same result_id');
  t.same([...new Set(seen)].sort(), results.map((r) => r.result_id).sort());
  t.match(lines.at(-1), { status: 'shutdown', results_delivered: 5, pending_results: 0, lost_results: 0 }, 'counted once');
});

t.test('/pooled time limits and the result buffer bound', async (t) => {
  const { watched, server } = await startWatchedServer(t, { POOLED_MAX_DURATION: '0.5', POOLED_RESULT_BUFFER: '3', POOLED_MODEL_LOAD_TIMEOUT: '0.1' });

  t.test('no block hash within POOLED_MAX_DURATION: a timeout line', async (t) => {
    const orchestrator = await new StubService(() => ({ body: { status: 'wait' } })).listen();
    t.teardown(() => orchestrator.close());
    const lines = await (await stream(`${server.url}/pooled`, { orchestrator_url: orchestrator.url })).rest();
    t.same(lines.slice(2, 4), [{ status: 'waiting_block_hash' }, { status: 'timeout', message: 'No block_hash received' }]);
  });

  t.test('a model build past POOLED_MODEL_LOAD_TIMEOUT: a TimeoutError line, and the orchestrator is told', async (t) => {
    const release = watched.holdLoads();
    t.teardown(release);
    const orchestrator = await new StubService(() => ({ body: { block_hash: BLOCK_HASH, r_target: R_TARGET, params: TINY } })).listen();
    t.teardown(() => orchestrator.close());
    const s = await stream(`${server.url}/pooled`, { orchestrator_url: orchestrator.url });
    await server.events.waitFor((r) => r.msg.startsWith('pooled: the model build ran past its limit'));
    t.notOk(orchestrator.requests.some((r) => r.path.endsWith('/shutdown')), 'the devices are ours until the build ends');
    release();
    const lines = await s.rest();
    t.same(lines.slice(-2), [
      { status: 'loading_model' },
      { error: 'Model build did not finish within 0.1 s', error_type: 'TimeoutError', code: 'ERR_LOAD_TIMEOUT' },
    ]);
    t.ok(orchestrator.requests.some((r) => r.path.endsWith('/shutdown')), 'shutdown sent (after the build ended)');
  });
});

t.test('results past the buffer bound are counted as lost, in heartbeats and in the shutdown stats', async (t) => {
  const { server } = await startWatchedServer(t, { POOLED_MAX_DURATION: '60', POOLED_RESULT_BUFFER: '3' });
  let full = false;
  const orchestrator: StubService = await new StubService((req) => {
    if (req.path.endsWith('/results') || req.path.endsWith('/results/batch')) return { status: 500 };
    if (req.path.endsWith('/ready') || req.path.endsWith('/connect')) {
      return { body: { block_hash: BLOCK_HASH, r_target: R_TARGET, params: TINY, public_key: PK1, nonce_range_start: 0, nonce_range_end: 1e6 } };
    }
    // The session ends once a heartbeat has shown the full buffer.
    if (req.path.endsWith('/heartbeat') && req.body.pending_results === 3) full = true;
    return { body: full && req.path.endsWith('/config') ? { type: 'shutdown' } : {} };
  }).listen();
  t.teardown(() => orchestrator.close());
  const lines = await (await stream(`${server.url}/pooled`, { orchestrator_url: orchestrator.url })).rest();
  const results = lines.filter((l) => 'nonces' in l);
  t.ok(results.length > 3, 'more results than the buffer holds');
  t.equal(lines.at(-1).status, 'shutdown');
  const stats = orchestrator.requests.find((r) => r.path.endsWith('/shutdown'))?.body.stats;
  t.equal(stats.lost_results, results.length, 'none delivered: every result counted as lost, none silently');
  t.equal(stats.results_delivered, 0);
  t.equal(stats.pending_results, 0);
  t.same(lines.at(-1), { status: 'shutdown', ...stats }, 'the last line says the same');
});
