// `npm run demo`, run as a newcomer runs it (a child process, stderr not a terminal) with a short job: one JSON
// summary on stdout, the results on disk agreeing with it, nothing on stderr, and no server left behind.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';

const DEMO = path.resolve(__dirname, '../src/demo.js');

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

interface Summary {
  ok: boolean;
  devices: Record<string, number>;
  nonces_computed: number;
  nonces_valid: number;
  valid_nonces_listed: number;
  nonces_per_second: number;
  result_lines: number;
  r_target: number;
  public_key: string;
  results: string;
  logs: { server: string; worker: string };
  server_url: string;
  worker_url: string;
  autoscaler_reports: number;
}

t.test('the demo computes nonces through the worker, prints one JSON summary and leaves no process', async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-demo-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const r = await runDemo(['--seconds', '3', '--out', out]);
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr})`);
  t.equal(r.stderr, '', 'no progress output when stderr is not a terminal');
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'stdout is one line');
  const s = JSON.parse(lines[0]) as Summary;
  t.equal(s.ok, true);
  t.ok(s.nonces_computed > 0, `nonces computed: ${s.nonces_computed}`);
  t.ok(s.nonces_valid > 0 && s.nonces_valid <= s.nonces_computed, `nonces valid: ${s.nonces_valid}`);
  t.equal(s.valid_nonces_listed, s.nonces_valid, 'the lines list every valid nonce once');
  t.ok(s.nonces_per_second > 0);
  t.ok(s.autoscaler_reports > 0, 'the worker reported to the stand-in autoscaler');

  t.ok(s.results.startsWith(out), 'results are written under --out');
  const results = fs.readFileSync(s.results, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(results.length, s.result_lines);
  const nonces = results.flatMap((l) => l.nonces as number[]);
  const dist = results.flatMap((l) => l.dist as number[]);
  t.ok(results.every((l) => l.public_key === s.public_key), 'every line carries the job public key');
  t.equal(dist.length, nonces.length, 'one distance per nonce');
  t.ok(dist.every((d) => d < s.r_target), 'every reported distance is under r_target');
  t.equal(new Set(nonces).size, s.nonces_valid, 'no nonce is reported twice');
  const lastLine = Number(results[results.length - 1].aggregated_total_computed);
  t.ok(s.nonces_computed >= lastLine, 'the total counts every batch, also those after the last result line');
  const devices = Object.entries(s.devices);
  t.ok(devices.length > 0, `the devices used: ${devices.map(([d]) => d).join(', ')}`);
  t.equal(devices.reduce((sum, [, n]) => sum + n, 0), s.nonces_computed, 'the total is the sum over devices (/metrics)');

  const serverLog = fs.readFileSync(s.logs.server, 'utf8');
  t.equal(serverLog.split('Application startup complete.').length - 1, 1, 'the startup line is logged once');
  t.ok(await refused(s.server_url), 'the model server is stopped');
  t.ok(await refused(s.worker_url), 'the worker is stopped');
});

t.test('a bad flag exits 2 with the usage on stderr and nothing on stdout', async (t) => {
  const r = await runDemo(['--seconds', 'soon']);
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /usage: npm run demo/);
});

// util-linux `script` gives the demo a pseudo-terminal, as an interactive shell would.
const hasScript = spawnSync('script', ['--version']).status === 0;
const noScript = hasScript ? false : 'the `script` command (util-linux) is not installed here';
t.test('on a terminal the demo draws live progress', { skip: noScript }, async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-demo-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const cmd = [process.execPath, DEMO, '--seconds', '2', '--out', out].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 180_000 });
  t.equal(r.status, 0, r.stdout);
  t.match(r.stdout, /\[demo\] model server on 127\.0\.0\.1:\d+/, 'the phases are announced');
  t.ok(r.stdout.includes('\r\x1b[2K[demo] '), 'drawn over the previous line (carriage return, erase line)');
  t.match(r.stdout, /\[demo\] [\d.]+ s {2}computed \d+ {2}valid \d+ {2}\d+ nonces\/s/, 'with the counters');
  t.match(r.stdout, /\{"ok":true,/, 'then the summary');
});
