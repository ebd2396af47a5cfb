// The request path against a loopback NDJSON upstream and a fake autoscaler (docs/pyworker.md §2, §3):
// signature, envelopes, admission by wait time with exact numbers, FIFO, relay, cancellation and accounting.

import t from 'tap';
import { join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { Agent, request } from 'undici';
import { loadedWorkerForFile } from './helpers/loaded-worker.js';
import { INSTANCE_CERT, post, startTestWorker, until, TLS_ENV } from './helpers/harness.js';

const loaded = loadedWorkerForFile(t);
const { auto, model } = loaded;

const envelope = (reqnum: number, payload: unknown, authOverrides: Record<string, unknown> = {}) => ({
  auth_data: auto.authData(reqnum, authOverrides),
  session_id: null,
  payload,
});
const deletesFor = (idx: number) => auto.deletedRequests().filter((r) => r.request_idx === idx);
let reqnum = 0;

t.test('the worker reports loaded with max_perf = WORKER_PERF and a positive loadtime', async (t) => {
  await auto.waitFor(() => auto.lastStatus()?.max_perf === 100 && (auto.lastStatus()?.loadtime as number) > 0);
  t.equal(auto.pubkeyRequests, 1, 'the public key was fetched once');
  t.equal(auto.lastStatus()?.error_msg, '');
});

t.test('a correctly signed /generate streams NDJSON through; only payload reaches the model server', async (t) => {
  const n = ++reqnum;
  const payload = { batch_size: 8, lines: 4, line_ms: 5, extra: { nested: [1, 2] } };
  const res = await post(`${loaded.w.url}/generate?x=1`, envelope(n, payload), { headers: { authorization: 'Bearer client-key' } });
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/x-ndjson');
  t.equal(res.headers['x-model'], undefined, 'a stream carries only status and content type');
  t.equal(res.headers['transfer-encoding'], 'chunked');
  t.same(res.text.trim().split('\n').map((l) => JSON.parse(l)), [0, 1, 2, 3].map((i) => ({ n: i, batch_size: 8 })));
  const got = model.jobs().at(-1)!;
  t.equal(got.path, '/generate', 'same path, no query string');
  t.same(got.body, payload, 'the payload, re-serialised, and nothing else');
  t.equal(got.headers['content-type'], 'application/json');
  t.equal(got.headers.authorization, undefined, 'client headers are not forwarded');
  await auto.waitFor(() => deletesFor(1000 + n).length === 1);
  t.match(deletesFor(1000 + n)[0], { success: true, status: 'Success' });
});

t.test('the stream is relayed chunk by chunk, before the upstream finishes', async (t) => {
  const n = ++reqnum;
  const res = await request(`${loaded.w.url}/generate`, { method: 'POST', body: JSON.stringify(envelope(n, { batch_size: 8, hold: true, line_ms: 5 })) });
  t.equal(res.statusCode, 200);
  const reader = res.body[Symbol.asyncIterator]();
  const first = await reader.next();
  t.match(String(first.value), /^\{"n":0/, 'the first line arrives while the upstream is still streaming');
  t.equal(model.inFlight, 1);
  model.release();
  for (let r = await reader.next(); !r.done; r = await reader.next());
});

t.test('a bad signature gets 401 with an empty body and nothing reaches the model server', async (t) => {
  const before = model.received.length;
  const n = ++reqnum;
  const cases = [
    envelope(n, { batch_size: 8 }, { signature: auto.signUrl('https://evil.example:1') }),
    envelope(n, { batch_size: 8 }, { url: 'https://203.0.113.7:41001' }),
    envelope(n, { batch_size: 8 }, { signature: 'AAAA' }),
  ];
  for (const body of cases) {
    const res = await post(`${loaded.w.url}/generate`, body);
    t.equal(res.status, 401);
    t.equal(res.text, '');
  }
  t.equal(model.received.length, before, 'the model server saw nothing');
  await auto.waitFor(() => deletesFor(1000 + n).length === 3);
  t.same(deletesFor(1000 + n).map((d) => [d.status, d.success, d.work_started_at, d.work_completed_at]), Array(3).fill(['Rejected', false, 0, 0]));
  const rej = auto.deletes.at(-1)!.text;
  t.match(rej, /"work_started_at": 0\.0, "work_completed_at": 0\.0/, 'timestamps are Python floats');
});

t.test('bad envelopes get the 422 shapes; other methods 405; unknown paths 404', async (t) => {
  const bad: [unknown, unknown][] = [
    ['', { error: 'invalid JSON' }],
    ['{"auth_data":', { error: 'invalid JSON' }],
    [{}, { auth_data: 'field missing', payload: 'field missing' }],
    [{ auth_data: { url: 'u' }, payload: 'x' }, {
      auth_data: { cost: 'missing parameter', endpoint: 'missing parameter', reqnum: 'missing parameter', request_idx: 'missing parameter', signature: 'missing parameter' },
      payload: { data: 'payload must be a dictionary' },
    }],
    [{ auth_data: auto.authData(1) }, { payload: 'field missing' }],
  ];
  for (const [body, want] of bad) {
    const res = await post(`${loaded.w.url}/generate`, body);
    t.equal(res.status, 422);
    t.same(JSON.parse(res.text), want);
  }
  const get = await request(`${loaded.w.url}/generate`);
  t.equal(get.statusCode, 405);
  t.equal(await get.body.text(), '405: Method Not Allowed');
  const nf = await post(`${loaded.w.url}/nope`, {});
  t.equal(nf.status, 404);
  t.equal(nf.text, '404: Not Found');
});

t.test('admission by wait time: queued behind a running /generate, or 429 past max_queue_time (exact numbers)', async (t) => {
  // max_perf 100 units/s. A: batch 1024 runs (wait seen by B: 1024/100 = 10.24 s <= 60, queued).
  // C: batch 1 sees (1024 + 5000)/100 = 60.24 s > 60 -> 429. /health (limit 5 s) -> 429 too.
  const [a, b, c, h] = [++reqnum, ++reqnum, ++reqnum, ++reqnum];
  const jobsBefore = model.jobs().length;
  // Two reports first: whatever earlier tests left in the interval counters has been reported by then (reports go
  // one after another, each carrying what was counted before it was built), so the sums below are this test's.
  const settled = auto.statuses.length + 2;
  await auto.waitFor(() => auto.statuses.length >= settled, 5000, 'two reports before the test');
  const reportsBefore = auto.statuses.length;
  const aCtl = new AbortController();
  const aRes = request(`${loaded.w.url}/generate`, { method: 'POST', body: JSON.stringify(envelope(a, { batch_size: 1024, hold: true })), signal: aCtl.signal });
  const aHeaders = await aRes;
  t.equal(aHeaders.statusCode, 200);
  aHeaders.body.on('error', () => undefined).resume();
  await until(() => model.inFlight === 1, 5000, 'A running');
  t.equal(loaded.w.handle.accounting.waitTime(), 10.24);

  const bRes = post(`${loaded.w.url}/generate`, envelope(b, { batch_size: 5000, lines: 2 }));
  await until(() => loaded.w.handle.accounting.workingCount() === 2, 5000, 'B queued');
  t.equal(loaded.w.handle.fifo.waiting, 1, 'B waits in the FIFO');
  t.equal(model.jobs().length, jobsBefore + 1, 'B has not reached the model server');
  t.equal(loaded.w.handle.accounting.waitTime(), 60.24);

  const cRes = await post(`${loaded.w.url}/generate`, envelope(c, { batch_size: 1 }));
  t.equal(cRes.status, 429);
  t.equal(cRes.text, '');
  const hRes = await post(`${loaded.w.url}/health`, envelope(h, {}));
  t.equal(hRes.status, 429);

  const since = () => auto.statuses.slice(reportsBefore).map((s) => s.body);
  await auto.waitFor(() => since().reduce((sum, s) => sum + (s.rej_load as number), 0) === 2, 5000, 'C (workload 1) and /health (workload 1) reported rejected');
  await auto.waitFor(() => since().some((s) => s.cur_load === 6024), 5000, 'a report of the queue');
  t.match(since().find((s) => s.cur_load === 6024), { num_requests_working: 2, working_request_idxs: [1000 + a, 1000 + b] });

  // A's client goes away: A is cancelled upstream, B starts and completes.
  aCtl.abort();
  const bDone = await bRes;
  t.equal(bDone.status, 200);
  t.equal(bDone.text.trim().split('\n').length, 2);
  t.equal(model.aborted, 1, 'the upstream request of A was cancelled');
  await auto.waitFor(() => deletesFor(1000 + b).length === 1 && deletesFor(1000 + a).length === 1);
  t.match(deletesFor(1000 + a)[0], { status: 'Cancelled', success: true });
  t.match(deletesFor(1000 + b)[0], { status: 'Success', success: true });
  t.match(deletesFor(1000 + c)[0], { status: 'Rejected', success: false });
  const bd = deletesFor(1000 + b)[0] as Record<string, number>;
  t.ok(bd.entered_queue_at <= bd.work_started_at && bd.work_started_at <= bd.work_completed_at, 'B timestamps in order');
  await auto.waitFor(() => auto.lastStatus()?.num_requests_working === 0 && auto.lastStatus()?.cur_load === 0);
});

t.test('a report carries the interval counters (new_load = received - cancelled, cur_perf = served); failed sends keep them', async (t) => {
  await auto.waitFor(() => auto.lastStatus()?.num_requests_working === 0);
  auto.failReports = 1e9; // every report fails from now on: the counters must accumulate, not be lost
  const refused = auto.refusedStatuses.length;
  await auto.waitFor(() => auto.refusedStatuses.length > refused, 5000, 'a refused worker_status');
  const x = ++reqnum;
  const ctl = new AbortController();
  const r = await request(`${loaded.w.url}/generate`, { method: 'POST', body: JSON.stringify(envelope(x, { batch_size: 300, hold: true })), signal: ctl.signal });
  r.body.on('error', () => undefined).resume();
  await until(() => model.inFlight === 1);
  ctl.abort();
  await until(() => model.inFlight === 0);
  const ok = await post(`${loaded.w.url}/generate`, envelope(++reqnum, { batch_size: 40, lines: 1 }));
  t.equal(ok.status, 200);
  await until(() => loaded.w.handle.accounting.workingCount() === 0);
  t.same(loaded.w.handle.accounting.interval, { served: 40, received: 340, cancelled: 300, errored: 0, rejected: 0 });
  // Sends run one at a time, each attempt building its body afresh: once one attempt carrying the final counters
  // was refused, no attempt built earlier can still arrive.
  await auto.waitFor(() => auto.refusedStatuses.some((s) => s.body.cur_perf === 40 && s.body.new_load === 40), 5000, 'the final counters sent');
  const n = auto.statuses.length;
  auto.failReports = 0;
  await auto.waitFor(() => auto.statuses.length > n);
  t.match(auto.statuses[n].body, { new_load: 40, cur_perf: 40, rej_load: 0, cur_load: 0, num_requests_working: 0 });
  t.equal(auto.statuses[n].body.num_requests_recieved, reqnum, 'num_requests_recieved counts every distinct reqnum, cumulatively');
  await until(() => loaded.w.handle.accounting.interval.received === 0);
  t.same(loaded.w.handle.accounting.interval, { served: 0, received: 0, cancelled: 0, errored: 0, rejected: 0 }, 'reset after the send');
});

t.test('a queued request whose client leaves is cancelled and never reaches the model server', async (t) => {
  const [a, b] = [++reqnum, ++reqnum];
  const ctlA = new AbortController();
  const ra = await request(`${loaded.w.url}/generate`, { method: 'POST', body: JSON.stringify(envelope(a, { batch_size: 1, hold: true })), signal: ctlA.signal });
  ra.body.on('error', () => undefined).resume();
  await until(() => model.inFlight === 1);
  const jobs = model.jobs().length;
  const ctlB = new AbortController();
  const rb = post(`${loaded.w.url}/generate`, envelope(b, { batch_size: 1 }), { signal: ctlB.signal }).catch((e: Error) => e);
  await until(() => loaded.w.handle.fifo.waiting === 1);
  ctlB.abort();
  t.type(await rb, Error);
  await until(() => loaded.w.handle.fifo.waiting === 0);
  await auto.waitFor(() => deletesFor(1000 + b).length === 1);
  t.match(deletesFor(1000 + b)[0], { status: 'Cancelled', success: true, work_started_at: 0 });
  ctlA.abort();
  await until(() => model.inFlight === 0);
  t.equal(model.jobs().length, jobs, 'B was never forwarded');
});

t.test('non-stream answers keep their status and headers; model 4xx is relayed and counted as success', async (t) => {
  const n = ++reqnum;
  const h = await post(`${loaded.w.url}/health`, envelope(n, {}));
  t.equal(h.status, 200);
  t.same(JSON.parse(h.text), { status: 'healthy', cuda_broken: false });
  t.equal(h.headers['x-model'], 'fake', 'other upstream headers are relayed');
  t.equal(h.headers['content-type'], 'application/json');
  t.not(h.headers.connection, 'close', 'hop-by-hop headers are not');
  const m = ++reqnum;
  const bad = await post(`${loaded.w.url}/generate`, envelope(m, { batch_size: 1, status: 400 }));
  t.equal(bad.status, 400);
  t.same(JSON.parse(bad.text), { error: 'status 400' });
  await auto.waitFor(() => deletesFor(1000 + m).length === 1);
  t.match(deletesFor(1000 + m)[0], { status: 'Success', success: true });
});

t.test('a FIFO request finding the model server busy (its previous job still stopping) is retried, not refused', async (t) => {
  model.busyAnswers = 2;
  const jobs = model.jobs().length;
  const res = await post(`${loaded.w.url}/generate`, envelope(++reqnum, { batch_size: 1, lines: 1 }));
  t.equal(res.status, 200);
  t.equal(model.jobs().length, jobs + 3, 'two busy answers, then the job');
  const noRetry = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: model.url, UNSECURED: 'true', WORKER_BUSY_RETRY_MS: '0' });
  t.teardown(() => noRetry.close());
  model.busyAnswers = 1;
  const relayed = await post(`${noRetry.url}/generate`, envelope(1, { batch_size: 1 }));
  t.same([relayed.status, JSON.parse(relayed.text), relayed.headers['retry-after']], [503, { error: 'busy' }, '1'], 'with WORKER_BUSY_RETRY_MS=0 it is relayed');
});

t.test('an upstream failing mid-stream truncates the client stream and counts as errored', async (t) => {
  const n = ++reqnum;
  const res = await request(`${loaded.w.url}/generate`, { method: 'POST', body: JSON.stringify(envelope(n, { batch_size: 1, hold: true, fail_after: 2, line_ms: 5 })) });
  t.equal(res.statusCode, 200);
  await t.rejects(res.body.text(), 'the client sees the stream break, not a clean end');
  await auto.waitFor(() => deletesFor(1000 + n).length === 1);
  t.match(deletesFor(1000 + n)[0], { status: 'Error', success: false });
});

t.test('a model server that refuses connections gives 500 with an empty body, counted as errored', async (t) => {
  const dead = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: 'http://127.0.0.1:9', UNSECURED: 'true' });
  t.teardown(() => dead.close());
  const res = await post(`${dead.url}/generate`, { auth_data: auto.authData(1), payload: {} });
  t.equal(res.status, 500);
  t.equal(res.text, '');
  t.equal(dead.handle.accounting.interval.errored, 1024);
});

t.test('UNSECURED=true accepts unsigned requests and never fetches the public key', async (t) => {
  const fetched = auto.pubkeyRequests;
  const open = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: model.url, UNSECURED: 'true' });
  t.teardown(() => open.close());
  const res = await post(`${open.url}/generate`, envelope(1, { batch_size: 1, lines: 1 }, { signature: 'garbage' }));
  t.equal(res.status, 200);
  t.equal(auto.pubkeyRequests, fetched);
});

t.test('POST /pyworker/update needs the master token (Bearer or raw), then writes the flag', async (t) => {
  const flag = join(loaded.w.dir, '.force_update');
  const no = await post(`${loaded.w.url}/pyworker/update`, {});
  t.equal(no.status, 401);
  t.same(JSON.parse(no.text), { error: 'unauthorized' });
  t.notOk(existsSync(flag));
  const wrong = await post(`${loaded.w.url}/pyworker/update`, {}, { headers: { authorization: 'Bearer nope' } });
  t.equal(wrong.status, 401);
  for (const authorization of ['Bearer master-token', 'master-token']) {
    const ok = await post(`${loaded.w.url}/pyworker/update`, {}, { headers: { authorization } });
    t.equal(ok.status, 200);
    t.same(JSON.parse(ok.text), { ok: true });
  }
  t.equal(readFileSync(flag, 'utf8'), '');
});

t.test('a body over WORKER_MAX_BODY_BYTES is refused with 413', async (t) => {
  const small = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: model.url, UNSECURED: 'true', WORKER_MAX_BODY_BYTES: '1000' });
  t.teardown(() => small.close());
  const res = await post(`${small.url}/generate`, envelope(1, { blob: 'x'.repeat(2000) }));
  t.equal(res.status, 413);
});

t.test('USE_SSL=true serves HTTPS with the certificate files; the second port stays plain HTTP', async (t) => {
  const tls = await startTestWorker({
    REPORT_ADDR: auto.url,
    MODEL_SERVER_URL: model.url,
    ...TLS_ENV,
  });
  t.teardown(() => tls.close());
  t.equal(tls.config.publicUrl, 'https://203.0.113.7:41000');
  const ca = readFileSync(INSTANCE_CERT);
  const dispatcher = new Agent({ connect: { ca } });
  t.teardown(() => dispatcher.close());
  await until(() => tls.handle.pubkey() !== undefined, 5000, 'the public key');
  const res = await post(`${tls.url}/generate`, envelope(1, { batch_size: 1, lines: 1 }), { dispatcher });
  t.equal(res.status, 200);
  const plain = await post(`http://127.0.0.1:${tls.handle.httpPort}/session/end`, {});
  t.equal(plain.status, 422, 'the plain-HTTP port serves /session/end');
  t.same(JSON.parse(plain.text), { error: 'missing session_id' });
  const other = await post(`http://127.0.0.1:${tls.handle.httpPort}/generate`, {});
  t.equal(other.status, 404, 'and nothing else');
});

t.test('a worker that cannot bind its port fails to launch with the PyWorker message', async (t) => {
  await t.rejects(
    startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: model.url, WORKER_PORT: String(loaded.w.handle.port), [`VAST_TCP_PORT_${loaded.w.handle.port}`]: '1' }),
    { code: 'ERR_WORKER_LAUNCH', message: /^Worker Server failed to launch: .*EADDRINUSE/ },
  );
});
