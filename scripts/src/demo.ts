// npm run demo: the whole path on one machine. The model server and the worker run as child processes on
// loopback (as start_server.sh runs them), a stand-in Vast autoscaler answers the worker's reports, and one
// /generate request goes through the worker. Progress on stderr when it is a terminal; one JSON summary on stdout.
// `--platform runpod` runs the same job through the Runpod worker and a stand-in Runpod platform (demo-runpod.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { SAMPLE_JOB } from '../../addon/lib/params.js';
import { Deadline, sleep, withDeadline } from '../../common/src/deadline.js';
import { parseBackend, parseFlags, parseNumber, UsageError } from './args.js';

// The realistic test vector of docs/poc-compute.md §8b: a chain-shaped block hash and public key.
export const { blockHash: BLOCK_HASH, publicKey: PUBLIC_KEY } = SAMPLE_JOB;
// A small LLaMA shape: a few hundred nonces/s on two CPU cores, so the counters visibly move.
export const DEMO_PARAMS = { dim: 128, n_layers: 2, n_heads: 4, n_kv_heads: 2, vocab_size: 512, ffn_dim_multiplier: 1.3,
  multiple_of: 64, seq_len: 8 };
// About 7% of the nonces of that shape fall under this distance (the network aims at ~2% on its shape).
const DEMO_R_TARGET = 1.37;
const CLI = path.join(__dirname, 'cli.js');
/** Seconds past --seconds after which the demo gives up on its job (the server stops it at --seconds). */
const JOB_GUARD_SECONDS = 20;

export interface Options {
  platform: 'vast' | 'runpod';
  seconds: number;
  batchSize: number;
  rTarget: number;
  backend: 'cpu' | 'cuda' | 'auto';
  outDir: string;
}

interface Totals {
  lines: number;
  computed: number;
  valid: number;
  nonces: number;
}

export const tty = process.stderr.isTTY === true;
export const say = (msg: string): void => {
  if (tty) process.stderr.write(`\r\x1b[2K[demo] ${msg}\n`);
};

function parseOptions(argv: string[]): Options {
  const f = parseFlags(argv, {
    platform: { type: 'string' },
    seconds: { type: 'string' },
    'batch-size': { type: 'string' },
    'r-target': { type: 'string' },
    backend: { type: 'string' },
    out: { type: 'string' },
  });
  const platform = f.platform ?? 'vast';
  if (platform !== 'vast' && platform !== 'runpod') throw new UsageError(`--platform must be vast or runpod, not "${platform}"`);
  return {
    platform,
    seconds: parseNumber(f.seconds, '--seconds', 20, { min: 1 }),
    batchSize: parseNumber(f['batch-size'], '--batch-size', 64, { min: 1, integer: true }),
    rTarget: parseNumber(f['r-target'], '--r-target', DEMO_R_TARGET, { min: 0 }),
    backend: parseBackend(f.backend, 'auto'),
    outDir: path.resolve(f.out ?? 'demo-output'),
  };
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** The Vast autoscaler, as far as the worker needs one: its public key, and 200 to every report. */
async function startAutoscaler(): Promise<{ url: string; reports: Record<string, unknown>[]; close: () => Promise<void> }> {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' });
  const reports: Record<string, unknown>[] = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/pubkey/') return void res.end(pem);
      if (req.method === 'POST' && req.url === '/worker_status/') reports.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      srv.closeAllConnections();
      srv.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}`, reports, close };
}

export function startChild(args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  return child;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Polls `ready` until it holds; fails early when a child has exited, naming its log. */
export async function waitFor(what: string, ready: () => Promise<boolean>, children: Map<string, ChildProcess>, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const [log, child] of children) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${what}: a child exited (${child.exitCode ?? child.signalCode}); see ${log}`);
      }
    }
    if (await ready().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what}: not ready after ${ms / 1000} s`);
}

/** The model server's counters (GET /metrics): every computed nonce, also of batches without a result line. */
export async function computedPerDevice(serverUrl: string): Promise<Record<string, number>> {
  const text = await withDeadline(5000, {}, async (limit) => {
    const res = await request(`${serverUrl}/metrics`, { signal: limit.signal });
    return res.body.text();
  });
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^lgb_nonces_computed_total\{device="([^"]+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

export async function httpOk(url: string): Promise<boolean> {
  return withDeadline(2000, {}, async (limit) => {
    const res = await request(url, { signal: limit.signal });
    await res.body.dump();
    return res.statusCode === 200;
  });
}

/** Sends one /generate through the worker (the PyWorker envelope) and writes each result line to `out`. */
async function generate(workerUrl: string, o: Options, out: string): Promise<Totals> {
  const payload = { block_hash: BLOCK_HASH, block_height: 1, public_key: PUBLIC_KEY, r_target: o.rTarget,
    batch_size: o.batchSize, start_nonce: 0, params: DEMO_PARAMS };
  // The job beside its results: `llama-gpu-bench verify --job job.json results.ndjson` checks them.
  fs.writeFileSync(path.join(path.dirname(out), 'job.json'), `${JSON.stringify(payload, null, 2)}\n`);
  const auth = { cost: String(o.batchSize), endpoint: 'demo', reqnum: 1, request_idx: 1, signature: '', url: workerUrl };
  // The server ends the job after MAX_JOB_DURATION (--seconds); this only guards against a job that never ends.
  const limit = new Deadline((o.seconds + JOB_GUARD_SECONDS) * 1000, { what: 'the demo job limit' });
  try {
    return await readResults(workerUrl, auth, payload, limit.signal, out);
  } finally {
    limit.dispose();
  }
}

async function readResults(workerUrl: string, auth: object, payload: object, signal: AbortSignal, out: string): Promise<Totals> {
  const res = await request(`${workerUrl}/generate`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth_data: auth, payload }), bodyTimeout: 0, headersTimeout: 0, signal,
  });
  if (res.statusCode !== 200) throw new Error(`/generate answered ${res.statusCode}: ${await res.body.text()}`);
  const file = fs.createWriteStream(out);
  const totals: Totals = { lines: 0, computed: 0, valid: 0, nonces: 0 };
  const started = Date.now();
  let drawn = 0;
  let rest = '';
  for await (const chunk of res.body) {
    rest += (chunk as Buffer).toString('utf8');
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim() !== '')) {
      file.write(`${line}\n`);
      const r = JSON.parse(line) as Record<string, unknown>;
      if (typeof r.error === 'string') throw new Error(`the job failed: ${r.error} (${String(r.error_type)})`);
      totals.lines++;
      totals.computed = Number(r.aggregated_total_computed ?? r.total_computed ?? totals.computed);
      totals.valid = Number(r.aggregated_total_valid ?? r.total_valid ?? totals.valid);
      totals.nonces += Array.isArray(r.nonces) ? r.nonces.length : 0;
      if (tty && Date.now() - drawn >= 100) {
        drawn = Date.now();
        const s = (drawn - started) / 1000;
        process.stderr.write(`\r\x1b[2K[demo] ${s.toFixed(1)} s  computed ${totals.computed}  valid ${totals.valid}  ` +
          `${Math.round(totals.computed / Math.max(s, 1e-3))} nonces/s`);
      }
    }
  }
  if (tty) process.stderr.write('\n');
  await new Promise((resolve) => file.end(resolve));
  return totals;
}

export async function runDemo(o: Options): Promise<Record<string, unknown>> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(o.outDir, `run-${stamp}`);
  fs.mkdirSync(dir, { recursive: true });
  // Keep the runs out of `git status` when the output folder is inside a clone (the default ./demo-output).
  const ignore = path.join(o.outDir, '.gitignore');
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '*\n');
  const logs = { server: path.join(dir, 'server.log'), worker: path.join(dir, 'worker.log') };
  const results = path.join(dir, 'results.ndjson');
  const autoscaler = await startAutoscaler();
  const children = new Map<string, ChildProcess>();
  const [serverPort, workerPort, workerHttpPort] = [await freePort(), await freePort(), await freePort()];
  // Interrupted (Ctrl-C, a supervisor's TERM): stop the children before leaving, so no server outlives the demo.
  const onSignal = (signal: NodeJS.Signals): void => {
    void Promise.all([...children.values()].map(stopChild)).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    say(`model server on 127.0.0.1:${serverPort} (log ${logs.server})`);
    children.set(logs.server, startChild(['serve'], { HOST: '127.0.0.1', PORT: String(serverPort),
      ENGINE_BACKEND: o.backend, MAX_JOB_DURATION: String(o.seconds), SHUTDOWN_TIMEOUT: '10', EXIT_ON_FATAL: 'false' },
    logs.server));
    say(`worker on 127.0.0.1:${workerPort}, reporting to a stand-in autoscaler at ${autoscaler.url}`);
    children.set(logs.worker, startChild(['worker'], { WORKER_HOST: '127.0.0.1', WORKER_PORT: String(workerPort),
      WORKER_HTTP_PORT: String(workerHttpPort), CONTAINER_ID: '1', PUBLIC_IPADDR: '127.0.0.1',
      [`VAST_TCP_PORT_${workerPort}`]: String(workerPort), REPORT_ADDR: autoscaler.url, USE_SSL: 'false',
      UNSECURED: 'true', MODEL_SERVER_URL: `http://127.0.0.1:${serverPort}`, MODEL_LOG: logs.server,
      WORKER_PERF: '1000000', WORKER_BENCHMARK_FILE: path.join(dir, '.has_benchmark'),
      WORKER_FORCE_UPDATE_FILE: path.join(dir, '.force_update'), WORKER_REPORT_TICK_MS: '200',
      WORKER_REPORT_MAX_SILENCE_MS: '500', WORKER_DISK_PATH: dir }, logs.worker));
    await waitFor('model server', () => httpOk(`http://127.0.0.1:${serverPort}/health`), children, 120_000);
    say('model server healthy; waiting for the worker to report itself loaded');
    await waitFor('worker', async () => autoscaler.reports.some((r) => Number(r.loadtime) > 0), children, 120_000);
    say(`one /generate through the worker for ${o.seconds} s (batch ${o.batchSize}, r_target ${o.rTarget})`);
    const started = Date.now();
    const totals = await generate(`http://127.0.0.1:${workerPort}`, o, results);
    const seconds = (Date.now() - started) / 1000;
    const perDevice = await computedPerDevice(`http://127.0.0.1:${serverPort}`).catch(() => ({}));
    const computed = Math.max(totals.computed, Object.values(perDevice).reduce((a, b) => a + b, 0));
    return { ok: true, devices: perDevice, params: DEMO_PARAMS, block_hash: BLOCK_HASH, public_key: PUBLIC_KEY,
      r_target: o.rTarget, batch_size: o.batchSize, seconds: Math.round(seconds * 10) / 10,
      nonces_computed: computed, nonces_valid: totals.valid, valid_nonces_listed: totals.nonces,
      nonces_per_second: Math.round(computed / seconds), result_lines: totals.lines, results,
      logs, server_url: `http://127.0.0.1:${serverPort}`, worker_url: `http://127.0.0.1:${workerPort}`,
      autoscaler_reports: autoscaler.reports.length };
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await Promise.all([...children.values()].map(stopChild));
    await autoscaler.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`demo: ${err.message}\nusage: npm run demo -- [--platform vast|runpod] [--seconds N] [--batch-size N] ` +
      '[--r-target R] [--backend auto|cpu|cuda] [--out DIR]\n');
    return 2;
  }
  try {
    const summary = o.platform === 'runpod' ? await (await import('./demo-runpod.js')).runRunpodDemo(o) : await runDemo(o);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).message })}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
