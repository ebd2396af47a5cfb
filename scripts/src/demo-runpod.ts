// npm run demo -- --platform runpod: the demo's job through the Runpod worker. The model server and
// `llama-gpu-bench runpod` run as child processes on loopback (as start_server.sh runs them with PLATFORM=runpod),
// against the loopback stand-in of Runpod's platform that the tests use (runpod/stand-in). The job is submitted as
// a client does (POST /v2/<endpoint>/run), its partials read back from /stream as they come, and its result from
// /status. Progress on stderr when it is a terminal; one JSON summary on stdout.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { sleep } from '../../common/src/deadline.js';
import { StandInPlatform } from '../../runpod/stand-in/platform.js';
import { BLOCK_HASH, computedPerDevice, DEMO_PARAMS, freePort, httpOk, PUBLIC_KEY, say, startChild, stopChild, tty, waitFor,
  type Options } from './demo.js';

/** The pod id the worker gets from the stand-in. */
const POD_ID = 'demo-pod';
/** How often the demo's client reads the job's stream. */
const READ_EVERY_MS = 200;
/** Seconds past --seconds after which the demo gives up on its job (the model server stops it at --seconds). */
const JOB_GUARD_SECONDS = 30;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<Json> {
  const res = await request(url, { method, headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${method} ${url} answered ${res.statusCode}: ${text}`);
  return JSON.parse(text) as Json;
}

interface Read {
  status: string;
  lines: number;
  computed: number;
  valid: number;
  nonces: number;
}

/** Reads the job's partials as a client does (GET /stream/<id>) until it ends, writing each to `out`. */
async function readStream(base: string, id: string, out: string, guardMs: number): Promise<Read> {
  const file = fs.createWriteStream(out);
  const r: Read = { status: 'IN_QUEUE', lines: 0, computed: 0, valid: 0, nonces: 0 };
  const started = Date.now();
  try {
    for (;;) {
      const answer = await call('GET', `${base}/stream/${id}`);
      r.status = answer.status as string;
      for (const { output } of answer.stream as { output: Json }[]) {
        file.write(`${JSON.stringify(output)}\n`);
        r.lines++;
        r.computed = Number(output.aggregated_total_computed ?? r.computed);
        r.valid = Number(output.aggregated_total_valid ?? r.valid);
        r.nonces += Array.isArray(output.nonces) ? output.nonces.length : 0;
      }
      if (tty) {
        const s = (Date.now() - started) / 1000;
        process.stderr.write(`\r\x1b[2K[demo] ${s.toFixed(1)} s  ${r.status}  partials ${r.lines}  computed ${r.computed}  valid ${r.valid}`);
      }
      if (!['IN_QUEUE', 'IN_PROGRESS'].includes(r.status)) break;
      if (Date.now() - started > guardMs) throw new Error(`the job did not end within ${guardMs / 1000} s`);
      await sleep(READ_EVERY_MS);
    }
  } finally {
    if (tty) process.stderr.write('\n');
    await new Promise((resolve) => file.end(resolve));
  }
  return r;
}

export async function runRunpodDemo(o: Options): Promise<Record<string, unknown>> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(o.outDir, `run-${stamp}`);
  fs.mkdirSync(dir, { recursive: true });
  const ignore = path.join(o.outDir, '.gitignore');
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '*\n');
  const logs = { server: path.join(dir, 'server.log'), worker: path.join(dir, 'runpod-worker.log') };
  const results = path.join(dir, 'results.ndjson');
  const platform = await new StandInPlatform({ endpoint: 'demo', holdMs: 1000 }).listen();
  const children = new Map<string, ChildProcess>();
  const serverPort = await freePort();
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const onSignal = (signal: NodeJS.Signals): void => {
    void Promise.all([...children.values()].map(stopChild)).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    say(`model server on 127.0.0.1:${serverPort} (log ${logs.server})`);
    children.set(logs.server, startChild(['serve'], { HOST: '127.0.0.1', PORT: String(serverPort), ENGINE_BACKEND: o.backend,
      MAX_JOB_DURATION: String(o.seconds), SHUTDOWN_TIMEOUT: '10', EXIT_ON_FATAL: 'false' }, logs.server));
    say(`runpod worker taking jobs from a stand-in Runpod platform at ${platform.url} (log ${logs.worker})`);
    children.set(logs.worker, startChild(['runpod'], { ...platform.env(POD_ID), MODEL_SERVER_URL: serverUrl,
      RUNPOD_LOG_LEVEL: 'INFO' }, logs.worker));
    await waitFor('model server', () => httpOk(`${serverUrl}/health`), children, 120_000);
    say('model server healthy; waiting for the worker to ask for a job');
    await waitFor('runpod worker', async () => platform.takes().length > 0, children, 120_000);
    const base = `${platform.url}/v2/${platform.endpoint}`;
    const input = { block_hash: BLOCK_HASH, block_height: 1, public_key: PUBLIC_KEY, r_target: o.rTarget,
      batch_size: o.batchSize, start_nonce: 0, params: DEMO_PARAMS };
    // The job beside its results: `llama-gpu-bench verify --job job.json results.ndjson` checks them.
    fs.writeFileSync(path.join(dir, 'job.json'), `${JSON.stringify(input, null, 2)}\n`);
    const { id } = await call('POST', `${base}/run`, { input });
    say(`job ${id} submitted (POST /run); its partials read from /stream for ${o.seconds} s`);
    const started = Date.now();
    const read = await readStream(base, id as string, results, (o.seconds + JOB_GUARD_SECONDS) * 1000);
    const seconds = (Date.now() - started) / 1000;
    const status = await call('GET', `${base}/status/${id}`);
    if (status.status !== 'COMPLETED') throw new Error(`the job ended ${status.status}: ${JSON.stringify(status.error ?? null)}`);
    const streamed = fs.readFileSync(results, 'utf8').split('\n').filter((l) => l !== '');
    const output = (status.output ?? []) as Json[];
    const perDevice = await computedPerDevice(serverUrl).catch(() => ({}));
    const computed = Math.max(read.computed, Object.values(perDevice).reduce((a: number, b) => a + (b as number), 0));
    const pings = platform.pings();
    return { ok: true, platform: 'runpod', job_id: id, job_status: status.status, devices: perDevice, params: DEMO_PARAMS,
      block_hash: BLOCK_HASH, public_key: PUBLIC_KEY, r_target: o.rTarget, batch_size: o.batchSize,
      seconds: Math.round(seconds * 10) / 10, nonces_computed: computed, nonces_valid: read.valid,
      valid_nonces_listed: read.nonces, nonces_per_second: Math.round(computed / seconds), result_lines: read.lines,
      job_done_partials: output.length, job_done_matches_stream: JSON.stringify(output.map((p) => JSON.stringify(p))) === JSON.stringify(streamed),
      pings: pings.length, pings_listing_the_job: pings.filter((p) => p.jobIds.includes(id as string)).length, results, logs,
      server_url: serverUrl, platform_url: platform.url };
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await Promise.all([...children.values()].map(stopChild));
    await platform.close();
  }
}
