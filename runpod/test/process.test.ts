// `llama-gpu-bench runpod` as a process: SIGTERM in the middle of a job, a fatal error line (from a stand-in model
// server that answers with one), local mode (--test_input, ./test_input.json, a model server started for the job,
// no test input at all), and a configuration refused at start.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { StubService } from '../../server/test/helpers.js';
import { StandInPlatform } from '../stand-in/platform.js';
import { CLI, freePort, generateInput, MODEL_SERVER_ENV, startModelServer, startRunpodWorker, tempDir } from './helpers/processes.js';

const SLACK_MS = 2000;
const dir = tempDir();
let server: Awaited<ReturnType<typeof startModelServer>>;

t.before(async () => {
  server = await startModelServer();
});
t.teardown(() => server?.stop());

async function platform(t: { teardown(fn: () => unknown): void }): Promise<StandInPlatform> {
  const p = await new StandInPlatform({ holdMs: 200 }).listen();
  t.teardown(() => p.close());
  return p;
}

/** Runs the command to its end: status, stdout, stderr. */
function runCli(args: string[], env: Record<string, string>, cwd = dir): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'runpod', ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const refused = (port: number): Promise<boolean> => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.once('connect', () => (s.destroy(), resolve(false)));
  s.once('error', () => resolve(true));
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Line = Record<string, any>;

t.test('SIGTERM mid-job: the job is cancelled, its job-done carries what was aggregated, within the grace; exit 0', async (t) => {
  const p = await platform(t);
  const mark = server.log.mark();
  const w = startRunpodWorker(p, server.url, { RUNPOD_WORKER_SHUTDOWN_GRACE_MS: '3000' });
  t.teardown(() => w.stop('SIGKILL'));
  const id = p.submit(generateInput({ r_target: 10 }));
  await p.waitFor(() => p.job(id).chunks.length >= 2, 30_000, 'partials');
  w.child.kill('SIGTERM');
  t.equal(await w.exited, 0);
  const job = p.job(id);
  const output = job.final?.output as Line[];
  t.equal(job.status, 'COMPLETED');
  t.ok(output.length >= job.chunks.length, `${output.length} partials aggregated, ${job.chunks.length} streamed`);
  t.same(output.slice(0, job.chunks.length), job.chunks.map((c) => c.output), 'the job-done holds the streamed partials, in order');
  const signal = await w.log.waitFor((r) => r.message === 'signal received');
  const stopped = await w.log.waitFor((r) => r.message === 'runpod worker stopped');
  t.ok(stopped.time - signal.time <= 3000 + SLACK_MS, `stopped ${stopped.time - signal.time} ms after the signal (grace 3 s)`);
  t.ok(job.final!.t <= stopped.time, 'the job-done before the exit');
  await server.log.waitFor((r) => r.msg === 'job ended' && r.outcome === 'cancelled' && server.log.since(mark).includes(r));
  t.equal(p.takes().length, 1, 'no take after the signal');
});

t.test('a fatal error line: the job ends with {"error": msg}, then the worker exits 1 so that it is replaced', async (t) => {
  const p = await platform(t);
  const fatal = { error: 'fatal device failure: an illegal memory access', error_type: 'NotEnoughGPUResources', code: 'ERR_DEVICE', fatal: true };
  const model = await new StubService((req) => {
    if (req.path === '/health') return { body: { status: 'healthy' } };
    if (req.path === '/metrics') return { raw: 'lgb_job_running{kind="generate"} 0\n' };
    return { raw: `${JSON.stringify({ nonces: [3], dist: [1.2] })}\n${JSON.stringify(fatal)}\n` };
  }).listen();
  t.teardown(() => model.close());
  const w = startRunpodWorker(p, model.url);
  t.teardown(() => w.stop('SIGKILL'));
  const id = p.submit(generateInput());
  p.submit(generateInput());
  t.equal(await w.exited, 1);
  t.same(p.job(id).chunks.map((c) => c.output), [{ nonces: [3], dist: [1.2] }]);
  t.same([p.job(id).status, p.job(id).final?.error], ['FAILED', fatal.error]);
  t.equal(p.takes().length, 1, 'no job after it');
  const line = await w.log.waitFor((r) => r.message === 'the job ends with an error');
  t.match(line, { requestId: id, error_type: 'NotEnoughGPUResources', code: 'ERR_DEVICE', fatal: true });
});

t.test('local mode: each partial then the final body on stdout, exit 0, and not one request to the platform', async (t) => {
  const p = await platform(t);
  const input = generateInput();
  const r = await runCli(['--test_input', JSON.stringify({ input })], { ...p.env(), MODEL_SERVER_URL: server.url });
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
  const final = lines.pop();
  t.ok(lines.length > 0 && lines.every((l) => l.public_key === input.public_key && l.dist.every((d: number) => d < 1.4)));
  t.same(final, { output: lines });
  t.match(r.stderr, /local_test/, 'the SDK\'s job id');
  t.same(p.events, [], 'no platform request, no ping');
});

t.test('local mode from ./test_input.json with no model server: one is started for the job; an input error exits 1', async (t) => {
  const cwd = tempDir();
  const { batch_size: _omit, ...bad } = generateInput();
  writeFileSync(path.join(cwd, 'test_input.json'), JSON.stringify({ id: 'my-test', input: bad }));
  const port = await freePort();
  const r = await runCli([], { ...MODEL_SERVER_ENV, ENGINE_BACKEND: 'cpu', ENGINE_THREADS: '1', MODEL_SERVER_URL: `http://127.0.0.1:${port}` }, cwd);
  t.equal(r.code, 1, r.stderr);
  t.same(JSON.parse(r.stdout), { error: 'Missing required fields: ["batch_size"]' });
  t.match(r.stderr, /no model server answers: starting one/);
  t.match(r.stderr, /Application startup complete\./, 'the model server\'s output on stderr');
  t.match(r.stderr, /my-test/, 'the input\'s own id');
  t.ok(await refused(port), 'the model server it started is stopped');
});

t.test('local mode without any test input: the SDK\'s message, exit 1', async (t) => {
  const r = await runCli([], {}, tempDir());
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, /test_input\.json not found, exiting\./);
});

t.test('a concurrency other than 1 is refused at start with the reason; --help prints the usage', async (t) => {
  const p = await platform(t);
  const r = await runCli([], { ...p.env(), RUNPOD_WORKER_CONCURRENCY: '4' });
  t.equal(r.code, 1);
  t.match(r.stderr, /RUNPOD_WORKER_CONCURRENCY must be 1, got 4: the model server runs one job at a time/);
  t.same(p.events, [], 'nothing was asked of the platform');
  const help = await runCli(['--help'], {});
  t.equal(help.code, 0);
  t.match(help.stderr, /^usage: llama-gpu-bench runpod \[--test_input JSON\]/, 'the CLI\'s usage, as for every command');
  const bad = await runCli(['--rp_serve_api'], {});
  t.equal(bad.code, 2, 'an unknown flag is bad usage');
  t.match(bad.stderr, /unknown flag "--rp_serve_api"/);
});
