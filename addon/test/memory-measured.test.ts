// The guard's estimate (addon/lib/memory.ts) against a measured peak: `npm run measure:memory` as a user runs it,
// the mid shape in a child process, one JSON line on stdout whose VmHWM delta (a real build and first batch) the
// estimate matches within 25%, the table on stderr; and the script's --help and a bad flag.
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';

const SCRIPT = path.resolve(__dirname, '../../scripts/src/measure-memory.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('the mid shape\'s measured peak is within 25% of the estimate', async (t) => {
  const { code, stdout, stderr } = await run(['--shapes', 'mid', '--threads', '1']);
  t.equal(code, 0, code === 0 ? 'exits 0' : stderr);
  const lines = stdout.trim().split('\n');
  t.equal(lines.length, 1, 'one JSON line per shape');
  const r = JSON.parse(lines[0]);
  t.equal(r.shape, 'mid');
  t.equal(r.threads, 1);
  t.equal(r.batch, 8, 'the server\'s first batch: min(preferred batch 512/64, 256)');
  t.ok(r.measured > 100 * 2 ** 20, `a real build was measured: ${(r.measured / 2 ** 20).toFixed(1)} MiB`);
  t.ok(r.ratio > 0.75 && r.ratio < 1.25, `measured / estimate = ${r.ratio.toFixed(3)}`);
  t.match(stderr, /shape\s+parameters\s+threads\s+batch\s+estimate\s+measured\s+ratio/);
});

t.test('--help prints the usage; an unknown shape is a usage error', async (t) => {
  const help = await run(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: npm run measure:memory/);
  const bad = await run(['--shapes', 'v9']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--shapes: unknown shape "v9"/);
});
