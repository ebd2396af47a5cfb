// `llama-gpu-bench verify` as a user runs it (a child process) on results files built here from the real CPU engine
// (tiny model, a fixed nonce range): an honest file passes, one with 5% forged nonces would be flagged (exit 3, with
// the tail probability), and every malformed file is exit 2 with the line named and nothing on stdout.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { binomialTail, Engine, PRESETS, runAcrossDevices, SAMPLE_JOB } from '../../addon/lib/index.js';

const CLI = path.resolve(__dirname, '../src/cli.js');
const { blockHash: BLOCK_HASH, publicKey: PUBLIC_KEY } = SAMPLE_JOB;
// About half of the tiny model's nonces fall under this.
const R_TARGET = 1.41;
const HONEST = 380;
const FORGED = 20; // 5% of the 400 reported
const BATCH = 64;
const SEED = 'verify-test';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Run { code: number; stdout: string; stderr: string }

async function cli(args: string[], stdin?: string): Promise<Run> {
  const child = promisify(execFile)(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as Run;
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** /generate lines of one device over nonces 0..end in batches of 64, listing `reported` (nonce → dist). */
function generateLines(end: number, reported: Map<number, number>): Json[] {
  const lines: Json[] = [];
  let computed = 0;
  let valid = 0;
  let batches = 0;
  for (let first = 0; first <= end; first += BATCH) {
    const last = Math.min(end, first + BATCH - 1);
    const nonces = [...reported.keys()].filter((n) => n >= first && n <= last).sort((a, b) => a - b);
    batches++;
    computed += last - first + 1;
    valid += nonces.length;
    if (nonces.length === 0) continue;
    lines.push({
      worker_id: 0, public_key: PUBLIC_KEY, block_hash: BLOCK_HASH, block_height: 7, nonces,
      dist: nonces.map((n) => reported.get(n)), node_id: 0, batch_number: batches, batch_computed: last - first + 1,
      batch_valid: nonces.length, total_computed: computed, total_valid: valid, elapsed_seconds: 0, next_nonce: last + 1,
      aggregated_batch_number: batches, aggregated_total_computed: computed, aggregated_total_valid: valid, n_workers: 1,
    });
  }
  return lines;
}

/** The first 380 valid nonces of the tiny model as an honest file; the same plus 20 invalid nonces of that range,
 *  reported below r_target, as a forged one. */
async function buildFiles(): Promise<{ honest: Json[]; forged: Json[]; forgedNonces: Set<number> }> {
  const engine = await Engine.open({ backend: 'cpu', threads: 1 });
  try {
    await engine.load(BLOCK_HASH, PRESETS.tiny);
    const range = Array.from({ length: 1200 }, (_, i) => i);
    const dist = await runAcrossDevices(engine.devices, PUBLIC_KEY, range);
    const valid = range.filter((n) => dist[n] < R_TARGET).slice(0, HONEST);
    const end = valid[valid.length - 1];
    const invalid = range.filter((n) => n <= end && dist[n] > R_TARGET);
    const forgedNonces = new Set(Array.from({ length: FORGED }, (_, i) => invalid[Math.floor((i * invalid.length) / FORGED)]));
    const honest = new Map(valid.map((n) => [n, dist[n]]));
    const forged = new Map([...honest, ...[...forgedNonces].map((n): [number, number] => [n, R_TARGET - 0.02])]);
    return { honest: generateLines(end, honest), forged: generateLines(end, forged), forgedNonces };
  } finally {
    await engine.close();
  }
}

const ndjson = (lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

t.test('verify', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgb-verify-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = await buildFiles();
  const job = path.join(dir, 'job.json');
  fs.writeFileSync(job, JSON.stringify({ block_hash: BLOCK_HASH, block_height: 7, public_key: PUBLIC_KEY, r_target: R_TARGET,
    batch_size: BATCH, start_nonce: 0, params: PRESETS.tiny }));
  const write = (name: string, lines: unknown[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, ndjson(lines));
    return file;
  };
  const honest = write('honest.ndjson', files.honest);
  const forged = write('forged.ndjson', files.forged);

  t.test('an honest file passes: every sampled nonce recomputes to its reported distance', async (t) => {
    const r = await cli(['verify', honest, '--job', job, '--seed', SEED, '--threads', '1']);
    t.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    t.equal(out.verdict, 'pass');
    t.equal(out.invalid, 0);
    t.equal(out.sampled, 200);
    t.equal(out.tail_probability, 1);
    t.equal(out.seed, SEED, 'the seed is printed');
    t.same(out.file, { lines: files.honest.length, result_lines: files.honest.length, reported: HONEST,
      computed: files.honest.at(-1).aggregated_total_computed });
    t.equal(out.samples.length, 200);
    t.equal(new Set(out.samples.map((s: Json) => s.nonce)).size, 200, 'distinct nonces');
    t.equal(out.abs_delta.max, 0, 'the same CPU engine: bit-equal distances');
    t.ok(out.samples.every((s: Json) => s.reported === s.recomputed && s.invalid === false));
  });

  t.test('a file with 5% forged nonces would be flagged: exit 3 with the tail probability', async (t) => {
    const r = await cli(['verify', forged, '--job', job, '--seed', SEED, '--threads', '1']);
    t.equal(r.code, 3, r.stderr);
    const out = JSON.parse(r.stdout);
    const sampledForged = out.samples.filter((s: Json) => files.forgedNonces.has(s.nonce));
    t.ok(sampledForged.length >= 5, `${sampledForged.length} forged nonces in the sample`);
    t.equal(out.invalid, sampledForged.length, 'the invalid nonces are exactly the forged ones sampled');
    t.ok(sampledForged.every((s: Json) => s.invalid && s.reported < R_TARGET && s.recomputed > R_TARGET));
    t.equal(out.tail_probability, binomialTail(200, out.invalid, 5e-4));
    t.ok(out.tail_probability < 1e-7, `tail ${out.tail_probability}`);
    t.equal(out.verdict, 'fraud');
    t.match(r.stderr, /the network would flag these results as fraud/);
  });

  t.test('the sample depends on the seed only, and the job may come from flags and stdin', async (t) => {
    const again = JSON.parse((await cli(['verify', honest, '--job', job, '--seed', SEED, '--samples', '20'])).stdout);
    // Lines without counters (which fix the order of /generate lines), in reverse: the same set of nonces.
    const bare = files.honest.map((l) => ({ block_hash: l.block_hash, public_key: l.public_key, nonces: l.nonces, dist: l.dist }));
    const same = JSON.parse((await cli(['verify', '-', '--params', 'tiny', '--r-target', String(R_TARGET), '--seed', SEED,
      '--samples', '20'], ndjson(bare.reverse()))).stdout);
    t.same(same.samples.map((s: Json) => s.nonce), again.samples.map((s: Json) => s.nonce), 'same seed, same sample');
    t.equal(same.results, '-');
    t.equal(same.job.block_hash, BLOCK_HASH, 'the block hash and key from the file');
    const wrapped = path.join(dir, 'wrapped.json');
    fs.writeFileSync(wrapped, JSON.stringify({ auth_data: { signature: '' }, payload: JSON.parse(fs.readFileSync(job, 'utf8')) }));
    const unwrapped = JSON.parse((await cli(['verify', honest, '--job', wrapped, '--seed', SEED, '--samples', '20'])).stdout);
    t.same(unwrapped.samples, again.samples, 'a job in the PyWorker wrapper');
    const other = JSON.parse((await cli(['verify', honest, '--job', job, '--samples', '20'])).stdout);
    t.equal(other.seed, BLOCK_HASH, 'the default seed is the block hash');
    t.not(other.samples.map((s: Json) => s.nonce).join(), again.samples.map((s: Json) => s.nonce).join());
  });

  t.test('a malformed file is exit 2, naming the line, with nothing on stdout', async (t) => {
    const lines = files.honest;
    const edit = (i: number, change: (l: Json) => Json) => lines.map((l, j) => (j === i ? change(structuredClone(l)) : l));
    const cases: [string, unknown[], RegExp, string[]?][] = [
      ['not JSON', edit(2, () => '{"nonces": [1,'), /line 3: not JSON/],
      ['an array', edit(2, () => '[1, 2]'), /line 3: not a JSON object/],
      ['a line of neither kind', edit(2, () => ({ hello: 1 })), /line 3: neither a result line/],
      ['a nonce twice', edit(3, (l) => ({ ...l, nonces: [lines[0].nonces[0], ...l.nonces.slice(1)] })),
        new RegExp(`line 4: nonce ${lines[0].nonces[0]} is reported twice \\(also on line 1\\)`)],
      ['a dist at r_target', edit(1, (l) => ({ ...l, dist: [R_TARGET, ...l.dist.slice(1)] })), /line 2: nonce \d+ is reported with dist 1.41, not below r_target 1.41/],
      ['a dist that is not a number', edit(1, (l) => ({ ...l, dist: ['x', ...l.dist.slice(1)] })), /line 2: dist\[0\] is not a finite number/],
      ['a negative nonce', edit(1, (l) => ({ ...l, nonces: [-1, ...l.nonces.slice(1)] })), /line 2: nonces\[0\] is not a non-negative safe integer/],
      ['lengths that differ', edit(1, (l) => ({ ...l, dist: l.dist.slice(1) })), /line 2: \d+ nonces but \d+ distances/],
      ['another block hash', edit(5, (l) => ({ ...l, block_hash: 'ff'.repeat(32) })), /line 6: block_hash "f+"\.\.\. differs from the job's/],
      ['another public key', edit(5, (l) => ({ ...l, public_key: '03' })), /line 6: public_key "03"\.\.\. differs/],
      ['batch_valid off', edit(4, (l) => ({ ...l, batch_valid: l.batch_valid + 1 })), /line 5: batch_valid is \d+ but the line lists \d+ nonces/],
      ['total_valid off', edit(4, (l) => ({ ...l, total_valid: l.total_valid + 1 })), /line 5: total_valid of device 0 is \d+, but its lines list \d+/],
      ['total_computed short', edit(4, (l) => ({ ...l, total_computed: 1 })), /line 5: total_computed of device 0 is 1, less than/],
      ['aggregated_total_valid off', edit(4, (l) => ({ ...l, aggregated_total_valid: 0 })), /line 5: aggregated_total_valid is 0/],
      ['a nonce past next_nonce', edit(4, (l) => ({ ...l, next_nonce: l.nonces[0] })), /line 5: nonce \d+ is not below the device's next_nonce/],
      ['a nonce of another device', edit(4, (l) => ({ ...l, n_workers: 2 })), /line 5: nonce \d+ is not device 0's: of 2 devices/],
      ['a nonce below start_nonce', lines, /line 1: nonce \d+ is below start_nonce 1000/, ['--start-nonce', '1000']],
      ['only a status line', [{ status: 'superseded' }], /no reported nonces \(1 lines, 0 result lines\)/],
      ['an empty file', [], /no reported nonces/],
    ];
    for (const [what, content, message, extra] of cases) {
      const file = write('bad.ndjson', content);
      const r = await cli(['verify', file, '--job', job, ...(extra ?? [])]);
      t.equal(r.code, 2, `${what}: exit 2`);
      t.match(r.stderr, message, `${what}: ${r.stderr.trim()}`);
      t.equal(r.stdout, '', `${what}: nothing on stdout`);
    }
  });

  t.test('a bad job or command line is exit 2 too', async (t) => {
    const noParams = path.join(dir, 'no-params.json');
    fs.writeFileSync(noParams, JSON.stringify({ r_target: R_TARGET }));
    const cases: [string[], RegExp][] = [
      [['verify', honest], /--params is required/],
      [['verify', honest, '--job', noParams], /--params \(or the job file's field\) is required/],
      [['verify', honest, '--params', 'tiny'], /--r-target is required/],
      [['verify', honest, '--params', 'tiny', '--r-target=-1'], /--r-target: must be a positive number/],
      [['verify', honest, '--params', 'tiny', '--r-target', 'x'], /--r-target: must be a positive number/],
      [['verify', honest, '--job', job, '--params', '{"dim": -1}'], /params: dim: must be positive/],
      [['verify', honest, '--job', path.join(dir, 'missing.json')], /--job .*missing\.json: ENOENT/],
      [['verify', path.join(dir, 'missing.ndjson'), '--job', job], /missing\.ndjson: ENOENT/],
      [['verify', '--job', job], /one RESULTS file is required/],
      [['verify', honest, honest, '--job', job], /one RESULTS file is required/],
      [['verify', honest, '--job', job, '--samples', '0'], /--samples: must be at least 1/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      t.equal(r.code, 2, args.join(' '));
      t.match(r.stderr, message);
      t.equal(r.stdout, '');
    }
  });
});
