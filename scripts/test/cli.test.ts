// The llama-gpu-bench command line as a user runs it (a child process): results on stdout as JSON, golden-exact
// details, distances within the golden tolerance, and exit code 2 with a field-named message for bad input.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../src/cli.js');
const ROOT = path.resolve(__dirname, '../../..');
const golden = JSON.parse(readFileSync(path.join(ROOT, 'addon/test/golden/poc_public.json'), 'utf8'));
const tiny = golden.cases.find((c: { name: string }) => c.name === 'tiny-gqa');

async function cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

t.test('compute prints one JSON object: golden details, golden distances, validity', async (t) => {
  const nonces = tiny.nonces.slice(0, 5) as number[];
  const r = await cli(['compute', '--block-hash', tiny.block_hash, '--public-key', tiny.public_key,
    '--params', JSON.stringify(tiny.params), '--nonces', `${nonces.join(',')},${nonces[0]}`, '--r-target', '1.44',
    '--details', '--backend', 'cpu']);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'exactly one line on stdout');
  const out = JSON.parse(lines[0]);
  t.same(out.nonces, [...nonces, nonces[0]], 'order as given, duplicates kept');
  t.equal(out.target_sha256, tiny.target.sha256_f64_le);
  out.details.forEach((d: { nonce: number; input_sha256: string; permutation_sha256: string }, i: number) => {
    const n = out.nonces[i];
    t.equal(d.input_sha256, tiny.inputs.find((x: { nonce: number }) => x.nonce === n).sha256_fp16_le, `input ${n}`);
    t.equal(d.permutation_sha256, tiny.permutations.find((x: { nonce: number }) => x.nonce === n).sha256_int64_le,
      `permutation ${n}`);
  });
  // Tolerance 2e-5: the CPU forward emulates the fp16 rounding points; only fp32 summation order differs.
  out.dist.forEach((d: number, i: number) => {
    const ref = tiny.dist_fp16_emulated[tiny.nonces.indexOf(out.nonces[i])];
    t.ok(Math.abs(d - ref) <= 2e-5, `nonce ${out.nonces[i]}: |${d} - ${ref}| <= 2e-5`);
    t.equal(out.valid[i], d < 1.44);
  });
  t.equal(out.dist[5], out.dist[0], 'a duplicate has the same distance');
});

t.test('weights prints one line per parameter in named_parameters() order with golden digests', async (t) => {
  const r = await cli(['weights', '--block-hash', tiny.block_hash, '--params', JSON.stringify(tiny.params)]);
  t.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.same(rows.map((x) => x.name), tiny.weights.map((w: { name: string }) => w.name));
  t.same(rows.map((x) => x.sha256), tiny.weights.map((w: { sha256_fp16_le: string }) => w.sha256_fp16_le));
  t.same(rows[0].shape, tiny.weights[0].shape);
});

t.test('bad input exits 2 with a one-line message naming the field, and nothing on stdout', async (t) => {
  const base = ['compute', '--block-hash', 'h', '--public-key', 'k', '--nonces', '1'];
  const cases: [string[], RegExp][] = [
    [[...base, '--params', '{"dim": -64}'], /dim: must be positive/],
    [[...base, '--params', '{"dim": 100, "n_heads": 3, "n_kv_heads": 3}'], /dim: must be divisible by n_heads/],
    [[...base, '--params', '{"n_heads": 16, "n_kv_heads": 5}'], /n_heads: must be divisible by n_kv_heads/],
    [[...base, '--params', '{"dim": "big"}'], /dim: must be a number/],
    [[...base, '--params', '{"colour": 1}'], /colour: unknown parameter/],
    [['compute', '--block-hash', 'h', '--public-key', 'k', '--params', 'tiny', '--nonces', '-3'], /--nonces/],
    [['compute', '--public-key', 'k', '--params', 'tiny', '--nonces', '1'], /--block-hash is required/],
    [['compute', '--block-hash', 'h', '--public-key', 'k', '--params', 'tiny', '--nonces', '1', '--r-target', 'NaN'],
      /--r-target/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, message);
    t.equal(r.stdout, '');
  }
});

t.test('bench --json on the tiny preset reports a throughput and the stated peak', async (t) => {
  const r = await cli(['bench', '--params', 'tiny', '--backend', 'cpu', '--seconds', '0.3', '--runs', '2', '--json']);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim());
  t.equal(out.preset, 'tiny');
  t.equal(out.backend, 'cpu');
  t.ok(out.nonces_per_s > 0);
  t.equal(out.devices.length, 1);
  t.match(out.devices[0].peak_kind, /nominal AVX2 fp32 peak/);
  t.ok(out.cold_start_s > 0);
  t.ok(out.computed > 0);
});

t.test('--help on every command prints its usage on stderr and exits 0, without running it', async (t) => {
  for (const command of ['weights', 'compute', 'bench', 'verify', 'serve', 'worker']) {
    for (const args of [[command, '--help'], [command, '-h'], [command, '--params', 'v2', '--help']]) {
      const r = await cli(args);
      t.equal(r.code, 0, args.join(' '));
      t.match(r.stderr, new RegExp(`^usage: llama-gpu-bench ${command}\\b`), `${args.join(' ')}: its usage`);
      t.equal(r.stdout, '', 'nothing on stdout');
    }
  }
  for (const command of ['serve', 'worker']) {
    const r = await cli([command, '--help']);
    t.match(r.stderr, /configuration is the environment/);
    t.match(r.stderr, new RegExp(`README\\.md, "${command === 'serve' ? 'Model server' : 'Worker'}" → "Environment"`),
      'where the environment is documented');
  }
  const top = await cli(['--help']);
  t.equal(top.code, 0);
  t.match(top.stderr, /verify {3}RESULTS/);
});
