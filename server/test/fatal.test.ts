// A fatal device failure (EngineError ERR_DEVICE): the stream's last line is {"error", "error_type":
// "NotEnoughGPUResources", "fatal": true}, cuda_broken becomes true and stays true, /health answers 503, new jobs
// are refused, the log has exactly one line that says "CUDA error", and the app reports it (server.ts then exits
// non-zero). The failure is injected by a wrapper that makes the real CPU device fail on purpose: the CPU backend
// has no GPU to break.
import t from 'tap';
import { EngineError } from '../../addon/lib/index.js';
import { PYWORKER_ERROR_PATTERNS } from '../../common/src/log.js';
import { generateBody, postJson, startWatchedServer, stream } from './helpers.js';

const gpuFailure = () => new EngineError('ERR_DEVICE', 'CUDA error: an illegal memory access was encountered');

t.test('a device failing mid-job ends the stream with a fatal line and sets cuda_broken for good', async (t) => {
  const { watched, server } = await startWatchedServer(t, { MAX_JOB_DURATION: '30' });
  watched.failWith = (call) => (call > 3 ? gpuFailure() : undefined);
  const lines = await (await stream(`${server.url}/generate`, generateBody({ r_target: 10 }))).rest();
  t.equal(lines.length, 4, 'three batches, then the error line, then the end of the stream');
  t.same(lines.at(-1), {
    error: 'CUDA error: an illegal memory access was encountered', error_type: 'NotEnoughGPUResources',
    code: 'ERR_DEVICE', fatal: true,
  });
  t.equal(server.fatalReports, 1, 'reported once, after the stream was flushed');
  const flagged = server.events.lines.filter((l) => PYWORKER_ERROR_PATTERNS.some((p) => l.includes(p)));
  t.equal(flagged.length, 1, 'exactly one log line a PyWorker reads as a failure');
  t.match(JSON.parse(flagged[0]).msg, /^CUDA error: fatal device failure, cuda_broken is set: CUDA failure: an illegal memory access/,
    'the deliberate one, so that any PyWorker takes the broken worker out of rotation');

  for (const method of ['GET', 'POST']) {
    const res = await fetch(`${server.url}/health`, { method });
    t.equal(res.status, 503);
    t.same(await res.json(), { status: 'unhealthy', cuda_broken: true });
  }
  const refused = await postJson(`${server.url}/generate`, generateBody());
  t.equal(refused.status, 503);
  t.same(refused.json, { error: 'Worker CUDA is broken', code: 'ERR_CUDA_BROKEN' });
});

t.test('a device failing while the model is built is a fatal line too', async (t) => {
  const { watched, server } = await startWatchedServer(t);
  watched.loadFailure = gpuFailure();
  const s = await stream(`${server.url}/generate`, generateBody());
  t.equal(s.status, 200, 'the spec reports GPU init failures on the stream');
  t.same(await s.rest(), [{
    error: 'CUDA error: an illegal memory access was encountered', error_type: 'NotEnoughGPUResources',
    code: 'ERR_DEVICE', fatal: true,
  }]);
  t.equal(watched.runs, 0);
  const health = await fetch(`${server.url}/health`);
  t.equal(health.status, 503);
});

t.test('a failure that is not fatal is an error line and leaves the server healthy', async (t) => {
  const { watched, server } = await startWatchedServer(t);
  watched.failWith = (call) => (call === 2 ? new EngineError('ERR_INTERNAL', 'something odd') : undefined);
  const lines = await (await stream(`${server.url}/generate`, generateBody({ r_target: 10 }))).rest();
  t.same(lines.at(-1), { error: 'something odd', error_type: 'EngineError', code: 'ERR_INTERNAL' });
  t.equal(server.fatalReports, 0);
  t.same((await postJson(`${server.url}/health`, {})).json, { status: 'healthy', cuda_broken: false });
});
