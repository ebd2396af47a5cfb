// The image's entry point with PLATFORM=runpod: start_server.sh runs the model server and the Runpod worker, none of
// the Vast steps, the worker's JSON log lines as the container's stdout (docs/runpod.md §13 req. 18) and the model
// server's output on stderr; a job goes through; TERM stops both.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { StandInPlatform } from '../stand-in/platform.js';
import { FAST } from './helpers/harness.js';
import { freePort, generateInput, MODEL_SERVER_ENV, OutputLines, tempDir } from './helpers/processes.js';

const ROOT = path.resolve(__dirname, '../../..');

t.test('PLATFORM=runpod: the model server and the Runpod worker, a job through them, TERM stops both', async (t) => {
  const platform = await new StandInPlatform({ holdMs: 200 }).listen();
  t.teardown(() => platform.close());
  const dir = tempDir();
  const port = await freePort();
  const modelLog = path.join(dir, 'model', 'server.log');
  const child = spawn('bash', [path.join(ROOT, 'start_server.sh')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LLAMA_GPU_BENCH_ADDON: process.env.LLAMA_GPU_BENCH_ADDON,
      PLATFORM: 'runpod', MODEL_LOG: modelLog, USE_SSL: 'true', PORT: String(port), MODEL_SERVER_URL: `http://127.0.0.1:${port}`,
      ...MODEL_SERVER_ENV, ...platform.env(), ...FAST, RUNPOD_WORKER_READY_TIMEOUT_MS: '60000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => child.kill('SIGKILL'));
  const stdout = new OutputLines([child.stdout]);
  const stderr = new OutputLines([child.stderr]);
  await stdout.waitFor((r) => r.message === 'the model server is ready', 60_000, exited);

  const id = platform.submit(generateInput());
  await platform.waitFor(() => platform.job(id).final, 60_000, 'the job-done');
  t.equal(platform.job(id).status, 'COMPLETED');
  t.ok(platform.job(id).chunks.length > 0);

  child.kill('SIGTERM');
  t.equal(await exited, 143, 'exits 128+TERM');
  t.ok(stdout.lines.length > 0 && stdout.lines.every((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    return 'requestId' in r && typeof r.message === 'string' && ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(r.level as string);
  }), 'stdout: the worker\'s JSON lines only, in the SDK\'s shape');
  t.ok(stdout.records.some((r) => r.message === 'job ended' && r.requestId === id));
  t.ok(stderr.records.some((r) => r.service === 'model-server' && r.msg === 'job ended'), 'the model server\'s log on stderr');
  t.ok(stderr.lines.includes('Application startup complete.'));
  t.notOk(existsSync(modelLog), 'no model log for a PyWorker');
  t.notOk(existsSync(path.join(dir, 'model')), 'nothing of the Vast steps');
  t.notMatch(stderr.lines.join('\n'), /certificate/, 'no certificate step, USE_SSL notwithstanding');
  await t.rejects(fetch(`http://127.0.0.1:${port}/health`), 'the model server is gone');
});

t.test('an unknown PLATFORM is refused before anything starts', async (t) => {
  const child = spawn('bash', [path.join(ROOT, 'start_server.sh')], { env: { PATH: process.env.PATH, PLATFORM: 'lambda' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const err = new OutputLines([child.stderr]);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.equal(code, 2);
  t.match(err.lines.join('\n'), /PLATFORM must be vast or runpod \(got 'lambda'\)/);
});
