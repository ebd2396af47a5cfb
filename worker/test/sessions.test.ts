// Sessions (docs/pyworker.md §7): create, use, get, health, end (both ports), limits, expiry with on_close.

import t from 'tap';
import { request } from 'undici';
import { FakeAutoscaler } from './helpers/fake-autoscaler.js';
import { FakeModel } from './helpers/fake-model.js';
import { appendLog, post, startTestWorker, until, type TestWorker } from './helpers/harness.js';

const auto = new FakeAutoscaler();
const model = new FakeModel();
let w: TestWorker;
t.before(async () => {
  await Promise.all([auto.start(), model.start()]);
  w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: model.url, WORKER_PERF: '100', WORKER_MAX_SESSIONS: '2' });
  appendLog(w.logFile, 'Application startup complete.\n');
  await until(() => w.handle.accounting.modelLoaded && w.handle.pubkey() !== undefined);
});
t.teardown(async () => {
  await w.close();
  await Promise.all([auto.close(), model.close()]);
});

const second = () => `http://127.0.0.1:${w.handle.httpPort}`;
async function create(reqnum: number, payload: Record<string, unknown> = {}) {
  const authData = auto.authData(reqnum, { cost: 500 });
  const res = await post(`${w.url}/session/create`, { auth_data: authData, payload });
  return { res, authData, body: res.status === 201 ? (JSON.parse(res.text) as { session_id: string; expiration: number }) : undefined };
}

t.test('a signed /session/create opens a session whose cost is load but not wait', async (t) => {
  const now = Date.now() / 1000;
  const { res, body, authData } = await create(1, { lifetime: 30 });
  t.equal(res.status, 201);
  t.match(body!.session_id, /^[A-Za-z0-9]{13}$/);
  t.ok(Math.abs(body!.expiration - (now + 30)) < 2);
  t.equal(w.handle.accounting.curLoad(), 500);
  t.equal(w.handle.accounting.waitTime(), 0 / 100, 'the placeholder is not in the wait time');
  t.same(w.handle.accounting.workingRequestIdxs(), [authData.request_idx]);
  const end = await post(`${second()}/session/end`, { session_id: body!.session_id, session_auth: authData });
  t.same([end.status, JSON.parse(end.text)], [200, { ended: true, removed_session: body!.session_id }]);
  t.equal(w.handle.accounting.curLoad(), 0);
  await auto.waitFor(() => auto.deletedRequests().some((d) => d.request_idx === authData.request_idx));
  t.match(auto.deletedRequests().find((d) => d.request_idx === authData.request_idx), { status: 'Success', success: true });
});

t.test('requests name their session: unknown is 410 before the signature check; known ones extend it', async (t) => {
  const unknown = await post(`${w.url}/generate`, { auth_data: auto.authData(2, { signature: 'bad' }), session_id: 'nope', payload: {} });
  t.same([unknown.status, JSON.parse(unknown.text)], [410, { error: 'invalid session' }]);
  const { body, authData } = await create(3, { lifetime: 40 });
  const id = body!.session_id;
  const ok = await post(`${w.url}/generate`, { auth_data: authData, session_id: id, payload: { batch_size: 5, lines: 1 } });
  t.equal(ok.status, 200);
  const got = await post(`${w.url}/session/get`, { session_id: id, session_auth: authData });
  t.equal(got.status, 200);
  const s = JSON.parse(got.text) as Record<string, unknown>;
  t.same(Object.keys(s), ['session_id', 'auth_data', 'lifetime', 'expiration', 'created_at', 'on_close_route', 'on_close_payload']);
  t.equal(s.expiration, body!.expiration + 40, 'extended by its lifetime');
  t.same(s.auth_data, authData);
  t.equal(w.handle.accounting.workingCount(), 1, 'the request inside the session left no entry of its own');
  await post(`${second()}/session/end`, { session_id: id, session_auth: authData });
});

t.test('get, health and end answer the PyWorker shapes for bad input, unknown ids and wrong auth', async (t) => {
  const { body, authData } = await create(4);
  const id = body!.session_id;
  for (const path of ['/session/get', '/session/health', '/session/end']) {
    const bad = await post(`${w.url}${path}`, 'not json');
    t.same([bad.status, JSON.parse(bad.text)], [422, { error: 'invalid JSON' }], path);
    const missing = await post(`${w.url}${path}`, { session_auth: authData });
    t.same([missing.status, JSON.parse(missing.text)], [422, { error: 'missing session_id' }], path);
    const wrong = await post(`${w.url}${path}`, { session_id: id, session_auth: { ...authData, reqnum: 99 } });
    t.same([wrong.status, JSON.parse(wrong.text)], [401, { error: 'session_auth is not valid' }], path);
  }
  t.same(JSON.parse((await post(`${w.url}/session/get`, { session_id: 'zzz', session_auth: authData })).text), { error: 'session does not exist' });
  const h0 = await post(`${w.url}/session/health`, { session_id: 'zzz' });
  t.same([h0.status, JSON.parse(h0.text)], [200, { ok: false }]);
  const h1 = await post(`${w.url}/session/health`, { session_id: id, session_auth: authData });
  t.same([h1.status, JSON.parse(h1.text)], [200, { ok: true }]);
  t.equal((await post(`${w.url}/session/end`, { session_id: id, session_auth: authData })).status, 200);
  const again = await post(`${w.url}/session/end`, { session_id: id, session_auth: authData });
  t.same([again.status, JSON.parse(again.text)], [400, { error: `session with id ${id} not found` }]);
});

t.test('session creation is refused: unsigned (401, our fix), over WORKER_MAX_SESSIONS (429), malformed (422)', async (t) => {
  const unsigned = await post(`${w.url}/session/create`, { auth_data: auto.authData(5, { signature: 'x' }), payload: {} });
  t.same([unsigned.status, unsigned.text], [401, '']);
  const a = await create(6);
  const b = await create(7);
  const c = await create(8);
  t.same([a.res.status, b.res.status, c.res.status], [201, 201, 429]);
  t.equal(c.res.text, '');
  for (const s of [a, b]) await post(`${w.url}/session/end`, { session_id: s.body!.session_id, session_auth: s.authData });
  const noAuth = await post(`${w.url}/session/create`, { payload: {} });
  t.same([noAuth.status, JSON.parse(noAuth.text)], [422, { auth_data: 'field missing' }]);
  const badLifetime = await post(`${w.url}/session/create`, { auth_data: auto.authData(9), payload: { lifetime: -1 } });
  t.equal(badLifetime.status, 422);
});

t.test('an expired session is closed: its in-flight request is dropped and on_close reaches the model server', async (t) => {
  const { body, authData } = await create(10, { lifetime: 0.3, on_close_route: '/session_closed', on_close_payload: { job: 'j1' } });
  const id = body!.session_id;
  const res = await request(`${w.url}/generate`, { method: 'POST', body: JSON.stringify({ auth_data: authData, session_id: id, payload: { batch_size: 1, hold: true } }) });
  t.equal(res.statusCode, 200);
  await t.rejects(res.body.text(), 'the stream is cut when the session closes');
  await until(() => model.received.some((r) => r.path === '/session_closed'), 3000, 'on_close');
  t.same(model.received.find((r) => r.path === '/session_closed')!.body, { job: 'j1', session_id: id });
  t.equal(w.handle.sessions.size, 0);
  await until(() => w.handle.accounting.workingCount() === 0);
});
