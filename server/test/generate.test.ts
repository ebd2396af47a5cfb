// POST /generate, line by line against docs/model-server.md, on the real server with the real CPU engine (tiny model).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { Engine } from '../../addon/lib/index.js';
import { BLOCK_HASH, generateBody, openEngine, PUBLIC_KEY, startServer, stream, TINY } from './helpers.js';

const LINE_FIELDS = [
  'worker_id', 'public_key', 'block_hash', 'block_height', 'nonces', 'dist', 'node_id', 'batch_number',
  'batch_computed', 'batch_valid', 'total_computed', 'total_valid', 'elapsed_seconds', 'next_nonce',
  'aggregated_batch_number', 'aggregated_total_computed', 'aggregated_total_valid', 'n_workers',
].sort();
const INTEGER_FIELDS = [
  'worker_id', 'block_height', 'node_id', 'batch_number', 'batch_computed', 'batch_valid', 'total_computed',
  'total_valid', 'elapsed_seconds', 'next_nonce', 'aggregated_batch_number', 'aggregated_total_computed',
  'aggregated_total_valid', 'n_workers',
];
// About a third of the tiny model's nonces fall under this (their distances spread around 1.41).
const R_TARGET = 1.41;

t.test('/generate', async (t) => {
  const engine = await openEngine();
  const server = await startServer(engine, { MAX_JOB_DURATION: '1' });
  t.teardown(async () => {
    await server.close();
    await engine.close();
  });

  t.test('streams one line per batch with a valid nonce, with the spec fields, types and counters', async (t) => {
    const startNonce = 1000;
    const started = Date.now();
    const s = await stream(`${server.url}/generate`, generateBody({ r_target: R_TARGET, start_nonce: startNonce }));
    t.equal(s.status, 200);
    t.equal(s.headers['content-type'], 'application/x-ndjson');
    const lines = await s.rest();
    const seconds = (Date.now() - started) / 1000;
    t.ok(seconds >= 1 && seconds < 4, `the stream ends after MAX_JOB_DURATION (1 s): ${seconds} s`);
    t.ok(lines.length >= 2, `several lines (${lines.length})`);

    const nWorkers = engine.devices.length;
    const problems: string[] = [];
    const check = (ok: boolean, what: string, line: { aggregated_batch_number: number }) => {
      if (!ok) problems.push(`batch ${line.aggregated_batch_number}: ${what}`);
    };
    const seen = new Set<number>();
    const perWorker = new Map<number, { valid: number; computed: number }>();
    let previous = { batch: 0, computed: 0, valid: 0 };
    for (const line of lines) {
      check(JSON.stringify(Object.keys(line).sort()) === JSON.stringify(LINE_FIELDS), 'exactly the spec fields', line);
      for (const f of INTEGER_FIELDS) check(Number.isSafeInteger(line[f]) && line[f] >= 0, `${f} is a non-negative integer`, line);
      check(line.public_key === PUBLIC_KEY && line.block_hash === BLOCK_HASH && line.block_height === 123, 'job echoed', line);
      check(line.n_workers === nWorkers && line.node_id === line.worker_id && line.worker_id < nWorkers, 'worker ids', line);
      check(line.batch_valid >= 1, 'only batches with a valid nonce are streamed', line);
      check(line.nonces.length === line.batch_valid && line.dist.length === line.batch_valid, 'batch_valid counts nonces', line);
      check(line.batch_valid <= line.batch_computed, 'batch_valid <= batch_computed', line);
      for (const [i, n] of line.nonces.entries()) {
        check(typeof line.dist[i] === 'number' && line.dist[i] < R_TARGET, `nonce ${n}: dist < r_target`, line);
        check(Number.isSafeInteger(n) && n >= startNonce && n < line.next_nonce, `nonce ${n} lies in what its device computed`, line);
        check((n - startNonce) % nWorkers === line.worker_id, `nonce ${n}: device w takes start + w + x*W`, line);
        check(!seen.has(n), `nonce ${n} reported once`, line);
        seen.add(n);
      }
      // Job-wide counters grow with every batch; batch_number is the job-wide batch count.
      check(line.batch_number === line.aggregated_batch_number, 'batch_number is the job-wide count', line);
      check(line.aggregated_batch_number > previous.batch, 'aggregated_batch_number grows', line);
      check(line.aggregated_total_computed >= previous.computed + line.batch_computed, 'aggregated_total_computed grows', line);
      check(line.aggregated_total_valid === previous.valid + line.batch_valid, 'every valid nonce is in a line', line);
      previous = { batch: line.aggregated_batch_number, computed: line.aggregated_total_computed, valid: line.aggregated_total_valid };
      // Per-device counters, and the next nonce that device would compute.
      const mine = perWorker.get(line.worker_id) ?? { valid: 0, computed: 0 };
      check(line.total_valid === mine.valid + line.batch_valid, 'total_valid counts the device\'s valid nonces', line);
      check(line.total_computed >= mine.computed + line.batch_computed, 'total_computed grows', line);
      check(line.next_nonce === startNonce + line.worker_id + line.total_computed * nWorkers, 'next_nonce', line);
      perWorker.set(line.worker_id, { valid: line.total_valid, computed: line.total_computed });
      check(line.elapsed_seconds <= seconds, 'elapsed_seconds', line);
    }
    t.same(problems, [], `${lines.length} lines as the spec says`);

    // Completeness: recompute every nonce the job computed; the valid ones are exactly the reported ones, with the
    // same distances (the same engine: bit for bit).
    await engine.load(BLOCK_HASH, TINY);
    const last = lines[lines.length - 1];
    const computed = Array.from({ length: last.next_nonce - startNonce }, (_, i) => startNonce + i);
    t.equal(nWorkers, 1, 'the CPU engine is one device, so the job computed a contiguous range');
    const direct = await engine.devices[0].run(PUBLIC_KEY, computed);
    const expected = new Map<number, number>();
    computed.forEach((n, i) => direct.dist[i] < R_TARGET && expected.set(n, direct.dist[i]));
    const reported = new Map<number, number>();
    for (const line of lines) line.nonces.forEach((n: number, i: number) => reported.set(n, line.dist[i]));
    t.same([...reported.keys()].sort((a, b) => a - b), [...expected.keys()].sort((a, b) => a - b), 'the valid set is complete');
    t.same([...reported].filter(([n, d]) => d !== expected.get(n)), [], 'each reported dist equals the engine\'s own');
  });

  t.test('dist equals what `llama-gpu-bench compute` gives for the same nonces', async (t) => {
    const cli = path.resolve(__dirname, '../../scripts/src/cli.js');
    if (!existsSync(cli)) return t.fail(`the CLI is not built at ${cli}`);
    const s = await stream(`${server.url}/generate`, generateBody({ r_target: 10, start_nonce: 5 }));
    const line = await s.next();
    s.abort();
    const nonces = line.nonces.slice(0, 4) as number[];
    const { stdout } = await promisify(execFile)(process.execPath, [
      cli, 'compute', '--block-hash', BLOCK_HASH, '--public-key', PUBLIC_KEY, '--params', JSON.stringify(TINY),
      '--nonces', nonces.join(','), '--backend', 'cpu', '--threads', '1',
    ]);
    const out = JSON.parse(stdout);
    t.same(out.nonces, nonces);
    t.same(out.dist, line.dist.slice(0, 4), 'bit-equal distances (same CPU engine, JSON round-trips float64)');
  });

  t.test('accepts the PyWorker and Runpod wrappers, and integral JSON numbers for float params', async (t) => {
    const reference = await stream(`${server.url}/generate`, generateBody({ r_target: 10 }));
    const plain = await reference.next();
    reference.abort();
    const goStyle = { ...TINY, rope_theta: 500000, ffn_dim_multiplier: 1.3 };
    for (const body of [
      { auth_data: { signature: 'x', cost: 1 }, payload: generateBody({ r_target: 10, params: goStyle }) },
      { input: generateBody({ r_target: 10 }) },
    ]) {
      const s = await stream(`${server.url}/generate`, body);
      t.equal(s.status, 200);
      const first = await s.next();
      s.abort();
      t.same(first.nonces, plain.nonces);
      t.same(first.dist, plain.dist);
    }
  });

  t.test('starts at a large safe start_nonce', async (t) => {
    const start = 2 ** 52;
    const s = await stream(`${server.url}/generate`, generateBody({ r_target: 10, start_nonce: start }));
    const line = await s.next();
    s.abort();
    t.equal(line.nonces[0], start);
    t.ok(line.nonces.every((n: number) => Number.isSafeInteger(n)));
  });
});

t.test('two devices (ENGINE_CPU_DEVICES=2): interleaved nonces, each computed once, the same distances as one device', async (t) => {
  const engine = await Engine.open({ backend: 'cpu', threads: 2, cpuDevices: 2 });
  const server = await startServer(engine, { MAX_JOB_DURATION: '1' });
  t.teardown(async () => {
    await server.close();
    await engine.close();
  });
  t.same(engine.devices.map((d) => d.label), ['cpu:0#0', 'cpu:0#1'], 'two logical devices, labelled apart');
  t.same(engine.devices.map((d) => d.info.threads), [1, 1], 'the threads split evenly');
  const s = await stream(`${server.url}/generate`, generateBody({ r_target: 10, start_nonce: 100 }));
  const lines = await s.rest();
  await server.events.jobEnded(s.jobId);
  t.same([...new Set(lines.map((l) => l.worker_id))].sort(), [0, 1], 'both devices computed');
  t.ok(lines.every((l) => l.n_workers === 2 && l.nonces.every((n: number) => (n - 100) % 2 === l.worker_id)),
    'device w of 2 takes 100 + w + 2x');
  const last = [0, 1].map((w) => Math.max(...lines.filter((l) => l.worker_id === w).map((l) => l.next_nonce)));
  const below = Math.min(...last);
  const reported = lines.flatMap((l) => l.nonces as number[]);
  t.equal(new Set(reported).size, reported.length, 'no nonce twice');
  const dense = reported.filter((n) => n < below).sort((a, b) => a - b);
  t.same(dense, Array.from({ length: below - 100 }, (_, i) => 100 + i), `every nonce below ${below} exactly once`);

  const one = await openEngine();
  t.teardown(() => one.close());
  await one.load(BLOCK_HASH, TINY);
  const sample = dense.slice(0, 64);
  const direct = await one.devices[0].run(PUBLIC_KEY, sample);
  const dist = new Map(lines.flatMap((l) => l.nonces.map((n: number, i: number) => [n, l.dist[i]] as const)));
  t.same(sample.map((n) => dist.get(n)), Array.from(direct.dist), 'bit-equal to one device (the CPU forward is batch-independent)');

  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  for (const label of ['cpu:0#0', 'cpu:0#1']) {
    const m = new RegExp(`^lgb_nonces_computed_total\\{device="${label}"\\} (\\d+)$`, 'm').exec(metrics);
    t.ok(m !== null && Number(m[1]) > 0, `${label}'s counter moved`);
  }
});
