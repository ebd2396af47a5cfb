// main(): the process as `llama-gpu-bench serve` runs it: configuration from the environment, the startup line
// printed once on stdout after the listener is up, and on SIGTERM a graceful stop that flushes the pooled results
// the orchestrator had refused, tells it the session ended, and exits 0.
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { BLOCK_HASH, eventually, PUBLIC_KEY, stream, StubService, TINY } from './helpers.js';

t.test('main: startup line once, then a graceful SIGTERM that flushes pooled results', async (t) => {
  let accept = false;
  const orchestrator = await new StubService((req) => {
    if (req.path.endsWith('/connect') || req.path.endsWith('/ready')) {
      return { body: { block_hash: BLOCK_HASH, block_height: 9, r_target: 1.41, params: TINY, public_key: PUBLIC_KEY, nonce_range_start: 0, nonce_range_end: 1e9 } };
    }
    if (req.path.endsWith('/results') || req.path.endsWith('/results/batch')) return accept ? { body: { status: 'ok' } } : { status: 503 };
    return { body: {} };
  }).listen();
  t.teardown(() => orchestrator.close());

  const serverJs = path.resolve(__dirname, '../src/server.js');
  const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(serverJs)}).main()`], {
    env: {
      ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ENGINE_BACKEND: 'cpu', ENGINE_THREADS: '1',
      MAX_BATCH_SIZE: '8', POOLED_POLL_INTERVAL: '0.05', HTTP_RETRY_BASE: '0.05',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  await eventually(() => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.test(stderr), 20_000);
  const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1];
  await eventually(() => stdout.length > 0);
  t.equal(stdout, 'Application startup complete.\n', 'the startup line, after the listener is up');
  t.same(await (await fetch(`${url}/health`)).json(), { status: 'healthy', cuda_broken: false });

  const s = await stream(`${url}/pooled`, { orchestrator_url: orchestrator.url });
  await s.until((l) => 'nonces' in l);
  await s.until((l) => 'nonces' in l);
  child.kill('SIGTERM');
  accept = true;
  const lines = await s.rest();
  t.equal(await exited, 0, 'exit status 0');
  t.equal(stdout, 'Application startup complete.\n', 'printed once, and nothing else on stdout');
  t.notMatch(stderr, /Error:|Traceback|CUDA error/, 'nothing in the log the PyWorker would take for a failure');

  const results = lines.filter((l) => 'nonces' in l);
  t.equal(lines.at(-1).status, 'shutdown');
  const delivered = orchestrator.requests.filter((r) => r.status === 200)
    .flatMap((r) => (r.path.endsWith('/results') ? [r.body] : r.path.endsWith('/results/batch') ? r.body.results : []));
  t.same(delivered.map((r) => JSON.stringify(r)).sort(), results.map((r) => JSON.stringify(r)).sort(), 'every result flushed before exit');
  const shutdown = orchestrator.requests.find((r) => r.path.endsWith('/shutdown'));
  t.match(shutdown?.body.stats, { total_batches_sent: results.length, pending_results: 0, lost_results: 0 });
});
