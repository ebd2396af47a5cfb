// The demo's results, checked as a user would check theirs: `npm run demo` writes job.json beside results.ndjson, and
// `llama-gpu-bench verify --job job.json results.ndjson` passes them (every nonce went through the server and the
// worker; verify recomputes a sample on the CPU).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const DEMO = path.resolve(__dirname, '../src/demo.js');
const CLI = path.resolve(__dirname, '../src/cli.js');

t.test('verify passes the demo\'s output with the job.json written beside it', async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-verify-demo-'));
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }));
  const demo = await run(process.execPath, [DEMO, '--seconds', '2', '--backend', 'cpu', '--out', out], { timeout: 180_000 });
  const summary = JSON.parse(demo.stdout);
  t.equal(summary.ok, true);
  const job = path.join(path.dirname(summary.results), 'job.json');
  const body = JSON.parse(fs.readFileSync(job, 'utf8'));
  t.same(body.params, summary.params, 'job.json is the /generate body the demo sent');
  t.equal(body.r_target, summary.r_target);

  const verify = await run(process.execPath, [CLI, 'verify', '--job', job, summary.results, '--threads', '1'],
    { maxBuffer: 16 << 20 });
  const result = JSON.parse(verify.stdout);
  t.equal(result.verdict, 'pass');
  t.equal(result.invalid, 0);
  t.equal(result.sampled, Math.min(200, summary.nonces_valid));
  t.equal(result.file.reported, summary.nonces_valid, 'every reported nonce was read');
  t.equal(result.abs_delta.max, 0, 'the demo ran on the same CPU engine: bit-equal distances');
  t.match(verify.stderr, /verify: 0 of \d+ invalid, tail probability 1\.00: pass/);
});
