// Input that must never become a 500 or Node's bare answer: bodies nested too deep (422), requests Node's parser
// refuses (431, 400 with our JSON shape, on every listener), /pyworker/update without a token, and an autoscaler
// whose public key answer is far too large.

import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBKEY_FAILURE } from '../src/pubkey.js';
import { FakeAutoscaler } from './helpers/fake-autoscaler.js';
import { loadedWorkerForFile } from './helpers/loaded-worker.js';
import { INSTANCE_CERT, LogCapture, parseRawAnswer, post, rawExchange, startTestWorker, until, TLS_ENV } from './helpers/harness.js';

const loaded = loadedWorkerForFile(t);
const { auto, model } = loaded;

/** JSON text of `depth` nested arrays. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const TOO_DEEP = { error: 'body nested deeper than 64 levels' };

t.test('a body nested deeper than 64 levels is a 422 on the handler routes, and 64 levels still pass', async (t) => {
  const auth = JSON.stringify(auto.authData(1));
  // body (1) > payload (2) > x: arrays from level 3
  const body = (xDepth: number) => `{"auth_data": ${auth}, "session_id": null, "payload": {"batch_size": 1, "lines": 1, "x": ${nested(xDepth)}}}`;
  const ok = await post(`${loaded.w.url}/generate`, body(62));
  t.equal(ok.status, 200, '64 levels in all');
  const jobs = model.jobs().length;
  for (const depth of [63, 100_000]) {
    const res = await post(`${loaded.w.url}/generate`, body(depth));
    t.same([res.status, JSON.parse(res.text)], [422, TOO_DEEP], `${depth + 2} levels`);
  }
  const bare = await post(`${loaded.w.url}/health`, nested(100_000));
  t.same([bare.status, JSON.parse(bare.text)], [422, TOO_DEEP], 'a bare array');
  t.equal(model.jobs().length, jobs, 'nothing was forwarded');
});

t.test('a body nested deeper than 64 levels is a 422 on the session routes, on both ports', async (t) => {
  const deep = `{"auth_data": ${nested(100_000)}, "payload": {}}`;
  for (const url of [`${loaded.w.url}/session/create`, `${loaded.w.url}/session/get`, `${loaded.w.url}/session/health`, `${loaded.w.url}/session/end`, `http://127.0.0.1:${loaded.w.handle.httpPort}/session/end`]) {
    const res = await post(url, url.endsWith('create') ? deep : `{"session_id": "x", "session_auth": ${nested(100_000)}}`);
    t.same([res.status, JSON.parse(res.text)], [422, TOO_DEEP], url);
  }
  t.equal(loaded.w.handle.sessions.size, 0);
});

const ports = () => [['main', loaded.w.handle.port], ['second', loaded.w.handle.httpPort]] as const;

t.test("requests Node's parser refuses get a JSON answer on both listeners: headers too large (431), malformed (400)", async (t) => {
  for (const [name, port] of ports()) {
    const big = parseRawAnswer(await rawExchange(port, `POST /generate HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    t.same(big, { status: 431, contentType: 'application/json', body: { error: 'Request header fields too large', code: 'ERR_HEADER_OVERFLOW' } }, `${name}: 431`);
    const bad = parseRawAnswer(await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n'));
    t.same(bad, { status: 400, contentType: 'application/json', body: { error: 'Bad request: the HTTP request could not be parsed', code: 'ERR_BAD_REQUEST' } }, `${name}: 400`);
  }
});

t.test('the HTTPS listener (USE_SSL=true) answers parser errors with JSON too', async (t) => {
  const tls = await startTestWorker({
    REPORT_ADDR: auto.url,
    MODEL_SERVER_URL: model.url,
    UNSECURED: 'true',
    ...TLS_ENV,
  });
  t.teardown(() => tls.close());
  const ca = readFileSync(INSTANCE_CERT);
  const bad = parseRawAnswer(await rawExchange(tls.handle.port, 'NOT HTTP AT ALL\r\n\r\n', ca));
  t.same(bad, { status: 400, contentType: 'application/json', body: { error: 'Bad request: the HTTP request could not be parsed', code: 'ERR_BAD_REQUEST' } });
});

t.test('with an empty MASTER_TOKEN /pyworker/update does not exist: 404 like any unknown path, and no flag', async (t) => {
  const open = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: model.url, UNSECURED: 'true', MASTER_TOKEN: '' });
  t.teardown(() => open.close());
  for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: '' }] as Record<string, string>[]) {
    const res = await post(`${open.url}/pyworker/update`, {}, { headers });
    t.same([res.status, res.text], [404, '404: Not Found']);
  }
  const unknown = await post(`${open.url}/no/such/route`, {});
  t.same([unknown.status, unknown.text], [404, '404: Not Found'], 'the same answer as an unknown path');
  t.notOk(existsSync(join(open.dir, '.force_update')));
});

t.test('a public key answer over 64 KiB is not read: the fetch fails and the worker reports the PyWorker error', async (t) => {
  const big = new FakeAutoscaler();
  big.pubkeyAnswer = `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(200_000)}\n-----END PUBLIC KEY-----\n`;
  await big.start();
  t.teardown(() => big.close());
  const log = new LogCapture();
  const w2 = await startTestWorker({ REPORT_ADDR: big.url, MODEL_SERVER_URL: model.url, WORKER_PUBKEY_ATTEMPTS: '2' }, undefined, log);
  t.teardown(() => w2.close());
  await until(() => w2.handle.accounting.errorMsg !== '', 5000, 'the pubkey error');
  t.equal(w2.handle.accounting.errorMsg, PUBKEY_FAILURE);
  t.equal(big.pubkeyRequests, 2);
  const failures = log.lines.filter((l) => l.msg === 'public key fetch failed');
  t.equal(failures.length, 2);
  t.match(failures[0].err, { code: 'ERR_HTTP', message: /the answer is larger than 65536 bytes/ });
});
