// End to end: the worker in front of the REAL model server (CPU engine, tiny preset), started as start_server.sh
// starts it (output appended to the model log the worker follows), with a fake autoscaler on loopback.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { FakeAutoscaler } from './helpers/fake-autoscaler.js';
import { appendLog, post, startTestWorker, testDir, until, type TestWorker } from './helpers/harness.js';
import { generatePayload, startModelServer, untilServing, type ModelServerProcess } from './helpers/model-server.js';
import { join } from 'node:path';
import { PRESETS } from '../../addon/lib/index.js';

const auto = new FakeAutoscaler();
let server: ModelServerProcess;
let w: TestWorker;
let logFile: string;

t.before(async () => {
  await auto.start();
  const dir = testDir();
  logFile = join(dir, 'server.log');
  server = await startModelServer(logFile, { MAX_JOB_DURATION: '3' });
  w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: server.url, WORKER_PERF: '100' }, dir);
  await untilServing(server, () => w.handle.accounting.modelLoaded, 30_000);
});
t.teardown(async () => {
  await w?.close();
  await server?.kill();
  await auto.close();
});

const envelope = (reqnum: number, payload: unknown, auth: Record<string, unknown> = {}) => ({
  auth_data: auto.authData(reqnum, auth),
  session_id: null,
  payload,
});
/** Requests the model server logged for a path (Fastify's "incoming request" lines in the model log). */
const serverSaw = (path: string) =>
  readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"incoming request"') && l.includes(`"url":"${path}"`)).length;
const deletesFor = (idx: number) => auto.deletedRequests().filter((r) => r.request_idx === idx);
const lines = (text: string) => text.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

t.test('the real "Application startup complete." line makes the worker loaded, after the server answers', async (t) => {
  t.match(readFileSync(logFile, 'utf8'), /^Application startup complete\.$/m);
  await auto.waitFor(() => auto.lastStatus()?.max_perf === 100 && (auto.lastStatus()?.loadtime as number) > 0);
  t.equal(auto.lastStatus()!.error_msg, '');
});

t.test('a correctly signed /generate streams the model server NDJSON through the worker', async (t) => {
  const before = serverSaw('/generate');
  const res = await post(`${w.url}/generate`, envelope(1, generatePayload()));
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/x-ndjson');
  const out = lines(res.text).filter((l) => Array.isArray(l.nonces));
  t.ok(out.length > 0, `result lines: ${out.length}`);
  for (const l of out) t.match(l, { public_key: 'e2e-public-key', block_hash: 'e2e-block', block_height: 7, nonces: Array, dist: Array });
  t.equal(serverSaw('/generate'), before + 1, 'the model server saw exactly this request');
  await auto.waitFor(() => deletesFor(1001).length === 1);
  t.match(deletesFor(1001)[0], { status: 'Success', success: true });
});

t.test('a signed /health is relayed from the model server', async (t) => {
  const res = await post(`${w.url}/health`, envelope(2, {}));
  t.equal(res.status, 200);
  t.same(JSON.parse(res.text), { status: 'healthy', cuda_broken: false });
});

t.test('a bad signature gets 401 and nothing reaches the model server', async (t) => {
  const before = serverSaw('/generate');
  const res = await post(`${w.url}/generate`, envelope(3, generatePayload(), { signature: auto.signUrl('https://other:1') }));
  t.same([res.status, res.text], [401, '']);
  // The worker's own account of the request: rejected, never forwarded (the 401 is answered before any relay).
  await auto.waitFor(() => deletesFor(1003).length === 1, 5000, 'the rejection reported');
  t.match(deletesFor(1003)[0], { status: 'Rejected', success: false, work_started_at: 0 });
  t.equal(serverSaw('/generate'), before);
  // A worker_status carried the rejected load (a report subtracts what it carried), so later tests start from zero.
  await until(() => w.handle.accounting.interval.rejected === 0, 5000, 'the rejected load reported');
});

t.test('bad envelopes get the 422 shapes and never reach the model server', async (t) => {
  const before = serverSaw('/generate');
  const a = await post(`${w.url}/generate`, '{"payload": ');
  t.same([a.status, JSON.parse(a.text)], [422, { error: 'invalid JSON' }]);
  const b = await post(`${w.url}/generate`, { payload: generatePayload() });
  t.same([b.status, JSON.parse(b.text)], [422, { auth_data: 'field missing' }]);
  t.equal(serverSaw('/generate'), before);
});

t.test('a second /generate while one runs is queued, a third refused by the wait rule; cancel frees the queue', async (t) => {
  // max_perf 100: A (1024) runs; B (5000) sees 10.24 s <= 60 and queues; C (1) sees 60.24 s > 60: 429;
  // /health (limit 5 s) sees 60.24 s: 429. The model server itself refuses a second job (503 busy), so B's
  // 200 proves the worker held it back until A was gone.
  const reportsBefore = auto.statuses.length;
  const aCtl = new AbortController();
  const a = await request(`${w.url}/generate`, { method: 'POST', body: JSON.stringify(envelope(10, generatePayload({ batch_size: 1024 }))), signal: aCtl.signal });
  t.equal(a.statusCode, 200);
  a.body.on('error', () => undefined).resume();
  const b = post(`${w.url}/generate`, envelope(11, generatePayload({ batch_size: 5000 })));
  await until(() => w.handle.fifo.waiting === 1, 5000, 'B queued');
  t.equal(w.handle.accounting.waitTime(), 60.24);
  const c = await post(`${w.url}/generate`, envelope(12, generatePayload({ batch_size: 1 })));
  t.same([c.status, c.text], [429, '']);
  const h = await post(`${w.url}/health`, envelope(13, {}));
  t.same([h.status, h.text], [429, '']);
  const since = () => auto.statuses.slice(reportsBefore).map((s) => s.body);
  await auto.waitFor(() => since().reduce((sum, s) => sum + (s.rej_load as number), 0) === 2, 5000, 'the rejections reported');
  t.ok(
    since().some((s) => s.cur_load === 6024 && s.num_requests_working === 2 && JSON.stringify(s.working_request_idxs) === '[1010,1011]'),
    'a report shows A running and B queued: cur_load 1024 + 5000',
  );

  aCtl.abort();
  const bRes = await b;
  t.equal(bRes.status, 200, 'B ran once A was cancelled');
  t.ok(lines(bRes.text).some((l) => Array.isArray(l.nonces)), 'B streamed results');
  await auto.waitFor(() => [1010, 1011, 1012, 1013].every((i) => deletesFor(i).length === 1), 5000, 'deletions');
  t.same(
    [1010, 1011, 1012, 1013].map((i) => [deletesFor(i)[0].status, deletesFor(i)[0].success]),
    [['Cancelled', true], ['Success', true], ['Rejected', false], ['Rejected', false]],
  );
  // The server saw A's client leave, or B arrived first and took over: either way A stopped.
  t.match(readFileSync(logFile, 'utf8'), /"outcome":"(cancelled|superseded)"/, 'the model server stopped A when its client left');
  await auto.waitFor(() => auto.lastStatus()?.num_requests_working === 0 && auto.lastStatus()?.cur_load === 0);
});

t.test('a /validate waits in the FIFO behind a running /generate, weighs its nonce count, then gets its distances', async (t) => {
  const aCtl = new AbortController();
  const a = await request(`${w.url}/generate`, { method: 'POST', body: JSON.stringify(envelope(20, generatePayload({ batch_size: 1024 }))), signal: aCtl.signal });
  t.equal(a.statusCode, 200);
  a.body.on('error', () => undefined).resume();
  const nonces = Array.from({ length: 50 }, (_, i) => i);
  const v = post(`${w.url}/validate`, envelope(21, { block_hash: 'e2e-block', public_key: 'e2e-public-key', params: PRESETS.tiny, nonces }));
  await until(() => w.handle.fifo.waiting === 1, 5000, 'the validation queued behind the job');
  t.equal(w.handle.accounting.waitTime(), 10.74, 'the working set: (1024 + 50 nonces) / WORKER_PERF 100');
  aCtl.abort();
  const res = await v;
  t.equal(res.status, 200, 'relayed once the job was gone (a 503 busy meanwhile is retried)');
  const out = JSON.parse(res.text) as { dist: number[] };
  t.equal(out.dist.length, 50);
  t.ok(out.dist.every((d) => d > 0 && d < 2), 'distances of unit vectors');
  await auto.waitFor(() => deletesFor(1021).length === 1, 5000, 'the validation reported done');
  t.match(deletesFor(1021)[0], { status: 'Success', success: true });
  await auto.waitFor(() => auto.lastStatus()?.num_requests_working === 0 && auto.lastStatus()?.cur_load === 0);
});

t.test('a handled error line while the real model server stays healthy is not reported', async (t) => {
  const handled = w.handle.lifecycle.stats.handledErrorLines;
  appendLog(logFile, 'Error: a handled failure written by the test\n');
  await until(() => w.handle.lifecycle.stats.handledErrorLines === handled + 1, 10_000, 'the error line judged handled');
  await w.handle.lifecycle.idle();
  t.equal(w.handle.accounting.errorMsg, '');
});

t.test('an error line after which the model server is gone reaches error_msg', async (t) => {
  await server.kill('SIGKILL');
  appendLog(logFile, 'Error: the model server crashed (written by the test)\n');
  await auto.waitFor(() => auto.lastStatus()?.error_msg !== '', 10_000, 'the error report');
  t.equal(auto.lastStatus()!.error_msg, 'Error: (model log: Error: the model server crashed (written by the test))');
});
