// A client's `params` that the host cannot hold: the model server answers 400 "Invalid params" before building
// anything, stays healthy, and serves the next normal job (real server, real CPU engine).
import t from 'tap';
import { request } from 'undici';
import { generateBody, openEngine, postJson, startServer, stream } from './helpers.js';

// 4096 layers of dim 65536: the guard's estimate is terabytes, above any host.
const OVERSIZED = { dim: 65536, n_layers: 4096, n_heads: 64, n_kv_heads: 64, vocab_size: 8192, seq_len: 256 };

t.test('oversized params get 400 Invalid params, and the server stays healthy and serves a tiny job', async (t) => {
  const engine = await openEngine();
  const server = await startServer(engine, { MAX_JOB_DURATION: '1' });
  t.teardown(async () => {
    await server.close();
    await engine.close();
  });

  const refused = await postJson(`${server.url}/generate`, generateBody({ params: OVERSIZED }));
  t.equal(refused.status, 400);
  t.equal(refused.json.code, 'ERR_INVALID_PARAMS');
  t.match(refused.json.error, /^Invalid params: params too large for this machine: .* needs [\d.]+ GiB of host memory, [\d.]+ GiB available/);
  t.equal(engine.loaded, undefined, 'nothing was built');

  const health = await request(`${server.url}/health`);
  t.equal(health.statusCode, 200);
  t.same(await health.body.json(), { status: 'healthy', cuda_broken: false });

  // r_target 2: every distance between unit vectors is below it, so every batch is streamed.
  const job = await stream(`${server.url}/generate`, generateBody({ r_target: 2 }));
  t.equal(job.status, 200);
  const lines = await job.rest();
  t.ok(lines.length >= 1, `${lines.length} batch line(s)`);
  t.notOk(lines.some((l: { error?: string }) => l.error !== undefined), 'no error line');
  t.ok(lines.every((l: { nonces: number[] }) => l.nonces.length >= 1), 'each line carries nonces');
});
