// `npm run demo -- --platform runpod`, run as a newcomer runs it (a child process, stderr not a terminal): the demo's
// job through the Runpod worker and the stand-in platform, one JSON summary on stdout, the results on disk, and no
// process left behind.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { CLI, tempDir } from './helpers/processes.js';

const DEMO = path.resolve(__dirname, '../../scripts/src/demo.js');

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const refused = (url: string): Promise<boolean> => new Promise((resolve) => {
  const { hostname, port } = new URL(url);
  const s = net.connect(Number(port), hostname);
  s.once('connect', () => (s.destroy(), resolve(false)));
  s.once('error', () => resolve(true));
});

t.test('the demo\'s job through the Runpod worker: one JSON summary, partials on disk equal to the job-done', async (t) => {
  const out = tempDir();
  const r = await runDemo(['--platform', 'runpod', '--seconds', '2', '--backend', 'cpu', '--out', out]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '', 'no progress output when stderr is not a terminal');
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'stdout is one line');
  const s = JSON.parse(lines[0]) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  t.match(s, { ok: true, platform: 'runpod', job_status: 'COMPLETED', job_done_matches_stream: true });
  t.ok(s.result_lines > 0 && s.job_done_partials === s.result_lines, `${s.result_lines} partials`);
  t.ok(s.nonces_computed > 0 && s.nonces_valid > 0);
  t.equal(s.valid_nonces_listed, s.nonces_valid, 'every valid nonce is in a partial');
  t.ok(s.pings_listing_the_job > 0, 'the pings listed the job while it ran');
  const results = fs.readFileSync(s.results as string, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { dist: number[] });
  t.equal(results.length, s.result_lines);
  t.ok(results.every((l) => l.dist.every((d) => d < s.r_target)));
  t.ok(await refused(s.server_url as string), 'the model server is stopped');
  t.ok(await refused(s.platform_url as string), 'the stand-in platform is closed');
  t.match(fs.readFileSync(s.logs.worker as string, 'utf8'), /"message":"job ended"/, 'the worker\'s JSON log');

  // The validators' view of what went through the Runpod path: the job beside its results, as the Vast demo writes it.
  const job = path.join(path.dirname(s.results as string), 'job.json');
  const verify = spawnSync(process.execPath, [CLI, 'verify', '--job', job, s.results as string, '--threads', '1'], { encoding: 'utf8' });
  t.equal(verify.status, 0, verify.stderr);
  t.match(JSON.parse(verify.stdout), { verdict: 'pass', invalid: 0 });
});

t.test('an unknown platform is a usage error', async (t) => {
  const r = await runDemo(['--platform', 'lambda']);
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /--platform must be vast or runpod/);
  t.match(r.stderr, /usage: npm run demo -- \[--platform vast\|runpod\]/);
});
