// The worker's log cannot be poisoned by a client: values a client chose and model-log lines are bounded, and no
// line carries one of the PyWorker's error substrings (a watcher of this log would take them for a failure).

import t from 'tap';
import { PYWORKER_ERROR_PATTERNS } from '../../common/src/log.js';
import { MAX_CLIENT_FIELD } from '../src/client-field.js';
import { FakeAutoscaler } from './helpers/fake-autoscaler.js';
import { FakeModel } from './helpers/fake-model.js';
import { appendLog, LogCapture, post, startTestWorker, until, type TestWorker } from './helpers/harness.js';

const auto = new FakeAutoscaler();
const model = new FakeModel();
const log = new LogCapture();
let w: TestWorker;

t.before(async () => {
  await Promise.all([auto.start(), model.start()]);
  w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: model.url, WORKER_PERF: '100' }, undefined, log);
  appendLog(w.logFile, 'Application startup complete.\n');
  await until(() => w.handle.accounting.modelLoaded && w.handle.pubkey() !== undefined, 5000, 'loaded');
});
t.teardown(async () => {
  await w.close();
  await Promise.all([auto.close(), model.close()]);
});

const POISON = 'Traceback (most recent call last): RuntimeError: CUDA error OutOfMemoryError ValueError: ';
const poisoned = () => log.raw.filter((line) => PYWORKER_ERROR_PATTERNS.some((p) => line.includes(p)));

t.test('auth_data values of a rejected request reach the log bounded and defused', async (t) => {
  const auth = auto.authData(1, {
    url: `https://${POISON}${'u'.repeat(5000)}`,
    reqnum: `${POISON}${'r'.repeat(5000)}`,
    request_idx: { nested: [POISON] },
    signature: 'bad',
  });
  const res = await post(`${w.url}/generate`, { auth_data: auth, session_id: null, payload: {} });
  t.equal(res.status, 401);
  const line = await log.waitFor('signature rejected (401); UNSECURED=true disables the check');
  for (const field of ['url', 'reqnum']) {
    const text = line[field] as string;
    t.ok(text.length < MAX_CLIENT_FIELD + 40, `${field}: ${text.length} characters`);
    t.match(text, /… \(\d+ characters\)$/, `${field} says it was cut`);
  }
  t.equal(line.request_idx, `{"nested":["Traceback - RuntimeError - CUDA failure OutOfMemory ValueError - "]}`, 'an object is JSON text, defused');
  t.same(poisoned(), []);
});

t.test('a session on_close_route and model-log lines reach the log bounded and defused', async (t) => {
  const create = await post(`${w.url}/session/create`, {
    auth_data: auto.authData(2, { reqnum: POISON }),
    payload: { lifetime: 0.01, on_close_route: `${POISON}${'p'.repeat(3000)}` },
  });
  t.equal(create.status, 201);
  const skipped = await log.waitFor('on_close_route is not a model server path; skipped');
  t.ok((skipped.route as string).length < MAX_CLIENT_FIELD + 40);

  appendLog(w.logFile, `INFO - Starting ${'i'.repeat(3000)}\n${POISON}${'e'.repeat(3000)}\n`);
  const info = await log.waitFor('model log');
  t.ok((info.model_log as string).length < 600, 'an info line is cut');
  const error = await log.waitFor('error line in the model log; checking whether the model server survived it');
  t.match(error.model_log, /^Traceback - /);
  await until(() => w.handle.lifecycle.stats.handledErrorLines === 1, 5000, 'the error line judged handled');
  await w.handle.lifecycle.idle();
  t.same(poisoned(), [], 'no line of the whole run carries an error substring');
});
