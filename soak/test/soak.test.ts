// The soak-and-fault suite: the model server and the worker as real processes on loopback, under full garbage
// collections at every collection (--gc-global), with clients and peers that misbehave as they do in the field.
// Time limits are checked against the server's own "job started" / "job ended" events with 2 s of slack; results
// are counted (computed = delivered + pending + lost); the logs are read as a supervisor reads them.
//
// `npm test` runs the short variant (each scenario once, under 2 minutes). `npm run soak` (SOAK_MINUTES=N) repeats
// the job scenarios for N minutes and bounds the processes' resident memory.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { PRESETS, SAMPLE_JOB } from '../../addon/lib/index.js';
import { PYWORKER_ERROR_PATTERNS } from '../../common/src/log.js';
import { FakeAutoscaler } from '../../worker/test/helpers/fake-autoscaler.js';
import { StreamClient, type Line } from '../src/clients.js';
import type { LogRecord } from '../src/log-file.js';
import { Peer } from '../src/peer.js';
import { freePort, startModelServer, startService, type Service } from '../src/processes.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? '0');
const GC = ['--gc-global'];
const SLACK_S = 2;
const LIMIT_S = 3;
const TAKEOVER_S = 5;
const SHUTDOWN_S = 8;
/** Every nonce valid: every batch is a line, so the output is as large as it gets. */
const ALL_VALID = 100;
const POISON = PYWORKER_ERROR_PATTERNS.join(' | ');

const dir = mkdtempSync(path.join(tmpdir(), 'lgb-soak-'));
const auto = new FakeAutoscaler();
let serverPort = 0;
let server: Service & { url: string };
let worker: Service;
let workerUrl = '';
const allLogs: string[] = [];

const job = (overrides: Record<string, unknown> = {}) => ({
  block_hash: SAMPLE_JOB.blockHash, block_height: 1, public_key: SAMPLE_JOB.publicKey, r_target: ALL_VALID,
  batch_size: 64, start_nonce: 0, params: PRESETS.tiny, ...overrides,
});

const SERVER_ENV = {
  MAX_JOB_DURATION: String(LIMIT_S), TAKEOVER_TIMEOUT: String(TAKEOVER_S), SHUTDOWN_TIMEOUT: String(SHUTDOWN_S),
  WARMUP_POLL_INTERVAL: '0.2', WARMUP_MAX_DURATION: '30', HTTP_TIMEOUT: '1', HTTP_RETRY_BASE: '0.1',
  POOLED_POLL_INTERVAL: '0.1', POOLED_HEARTBEAT_INTERVAL: '0.5',
};

async function startServerA(): Promise<void> {
  const logPath = path.join(dir, 'server-a.log');
  allLogs.push(logPath);
  server = await startModelServer(logPath, SERVER_ENV, GC, serverPort);
}

/** A signed envelope whose url (the signed field) and payload carry the PyWorker's error substrings. */
function envelope(reqnum: number, payload: Record<string, unknown>) {
  const url = `https://203.0.113.7:41000/?q=${encodeURIComponent('Error:')}&r=Error:CUDA error`;
  return { auth_data: { ...auto.authData(reqnum), url, signature: auto.signUrl(url) }, session_id: null, payload };
}

const endedAfter = (mark: number, ms?: number) =>
  server.log.waitFor((r) => r.msg === 'job ended' && server.log.records.indexOf(r) >= mark, ms);
const startedAfter = (mark: number) => server.log.waitFor((r) => r.msg === 'job started' && server.log.records.indexOf(r) >= mark);
const seconds = (a: LogRecord, b: LogRecord) => (b.time - a.time) / 1000;

t.before(async () => {
  await auto.start();
  serverPort = await freePort();
  await startServerA();
  const workerPort = await freePort();
  const workerLog = path.join(dir, 'worker.log');
  allLogs.push(workerLog);
  worker = startService('worker', 'worker', workerLog, {
    WORKER_HOST: '127.0.0.1', WORKER_PORT: String(workerPort), WORKER_HTTP_PORT: String(await freePort()),
    CONTAINER_ID: '7', PUBLIC_IPADDR: '127.0.0.1', [`VAST_TCP_PORT_${workerPort}`]: String(workerPort),
    REPORT_ADDR: auto.url, USE_SSL: 'false', UNSECURED: 'false', MODEL_SERVER_URL: server.url,
    MODEL_LOG: server.log.path, WORKER_PERF: '1000000', WORKER_BENCHMARK_FILE: path.join(dir, '.has_benchmark'),
    WORKER_FORCE_UPDATE_FILE: path.join(dir, '.force_update'), WORKER_REPORT_TICK_MS: '100',
    WORKER_REPORT_MAX_SILENCE_MS: '500', WORKER_HEALTH_INTERVAL_MS: '300', WORKER_HEALTH_FAILURES: '3',
    WORKER_DISK_PATH: dir, WORKER_LOG_LEVEL: 'info',
  }, GC);
  workerUrl = `http://127.0.0.1:${workerPort}`;
  await auto.waitFor(() => Number(auto.lastStatus()?.loadtime) > 0, 60_000, 'the worker reports itself loaded');
});

t.teardown(async () => {
  await Promise.all([server?.stop('SIGKILL'), worker?.stop('SIGKILL')]);
  await auto.close();
  if (!process.env.SOAK_KEEP) rmSync(dir, { recursive: true, force: true });
});

/** One /generate through the worker, signed, with poisoned strings; its deadline and its counters. */
async function generateThroughWorker(t: Test, reqnum: number): Promise<void> {
  const mark = server.log.mark();
  const c = await StreamClient.open(`${workerUrl}/generate`, envelope(reqnum, job({
    public_key: `02${POISON}`, block_hash: `${SAMPLE_JOB.blockHash}${POISON}`,
  })));
  t.equal(c.status, 200);
  const lines = await c.all();
  const started = await startedAfter(mark);
  const ended = await endedAfter(mark);
  const took = seconds(started, ended);
  t.ok(took <= LIMIT_S + ended.longestBatchSeconds + SLACK_S,
    `a ${LIMIT_S} s job ended after ${took} s (longest batch ${ended.longestBatchSeconds} s)`);
  t.equal(ended.outcome, 'completed');
  t.ok(lines.length > 0 && lines.every((l) => Array.isArray(l.nonces)), `${lines.length} result lines`);
  const sum = (f: string) => lines.reduce((s, l) => s + (l[f] as number), 0);
  t.equal(sum('batch_computed'), ended.computed, 'the job\'s computed count is the sum over its batches');
  t.equal(sum('batch_valid'), ended.valid);
  t.equal(lines.at(-1)!.aggregated_total_computed, ended.computed, 'and the last line says so');
}

t.test('jobs through the worker under full GCs end at their limit, with signed poisoned strings', async (t) => {
  await generateThroughWorker(t, 1);
  // /warmup: its job_id and the controller's params carry the substrings too.
  let polls = 0;
  const controller = await new Peer((req) => {
    if (req.path.endsWith('/warmup/params')) {
      polls += 1;
      return polls < 3 ? { json: { status: 'waiting' } } : { json: { status: 'ready', params: job({ public_key: POISON }) } };
    }
    return { json: { ok: true } };
  }).listen();
  t.teardown(() => controller.close());
  const mark = server.log.mark();
  const c = await StreamClient.open(`${workerUrl}/warmup`, envelope(2, { callback_url: `${controller.url}/cb`, job_id: POISON }));
  const lines = await c.all();
  t.same(lines.slice(0, 1), [{ status: 'warmup_ready', job_id: POISON }]);
  t.ok(lines.some((l) => l.status === 'warmup_params_received'));
  const ended = await endedAfter(mark);
  t.equal(ended.outcome, 'completed');
  const complete = await controller.waitFor((r) => r.path === '/cb/warmup/complete');
  t.equal(complete.body.total_computed, ended.computed, 'warmup/complete carries the job\'s totals');
});

t.test('a client that stops reading: the job still ends at its limit, and the devices are free', async (t) => {
  const mark = server.log.mark();
  // seq_len 1: the cheapest nonces, so the output outgrows what the sockets' buffers hold within the limit.
  const c = await StreamClient.open(`${server.url}/generate`, job({ public_key: 'stalled-reader', params: { ...PRESETS.tiny, seq_len: 1 } }));
  await c.waitLines(1);
  c.pause();
  const started = await startedAfter(mark);
  const ended = await endedAfter(mark);
  t.ok(ended.readerWaits > 0, `the reader really held the stream back (${ended.readerWaits} waits)`);
  const took = seconds(started, ended);
  t.ok(took <= LIMIT_S + ended.longestBatchSeconds + SLACK_S, `ended after ${took} s with a ${LIMIT_S} s limit`);
  const next = await StreamClient.open(`${server.url}/generate`, job({ public_key: 'after-the-stall' }));
  t.equal(next.status, 200, 'the next job gets the devices');
  next.vanish();
  await endedAfter(server.log.records.indexOf(ended) + 1);
  c.vanish();
});

t.test('a client that vanishes: computation stops within one batch', async (t) => {
  const mark = server.log.mark();
  const c = await StreamClient.open(`${server.url}/generate`, job({ public_key: 'vanishing' }));
  await c.waitLines(2);
  c.vanish();
  const noticed = await server.log.waitFor((r) => r.msg.startsWith('client disconnected') && server.log.records.indexOf(r) >= mark);
  const ended = await endedAfter(mark);
  t.equal(ended.outcome, 'cancelled');
  t.ok(seconds(noticed, ended) <= ended.longestBatchSeconds + SLACK_S, `stopped ${seconds(noticed, ended)} s after the disconnect`);
});

t.test('a front that keeps its upstream open after its client left: the next job takes over', async (t) => {
  const mark = server.log.mark();
  const front = await StreamClient.open(`${server.url}/generate`, job({ public_key: 'abandoned', r_target: 1.41 }));
  await front.waitLines(1);
  front.pause(); // its client is gone; it neither reads nor closes
  const next = await StreamClient.open(`${server.url}/generate`, job({ public_key: 'the-next-job', r_target: 1.41 }));
  t.equal(next.status, 200, 'the next /generate gets 200');
  const takeover = await server.log.waitFor((r) => r.msg.startsWith('a new job takes over') && server.log.records.indexOf(r) >= mark);
  const old = await server.log.jobEnded(front.jobId);
  const started = await server.log.jobStarted(next.jobId);
  t.equal(old.outcome, 'superseded');
  t.ok(seconds(takeover, started) <= old.longestBatchSeconds + TAKEOVER_S + SLACK_S,
    `it started ${seconds(takeover, started)} s after taking over`);
  const lines = await front.all();
  t.same(lines.at(-1), { status: 'superseded' }, 'the abandoned stream\'s last line');
  next.vanish();
  await server.log.jobEnded(next.jobId);
});

t.test('/warmup with a controller that answers huge bodies, then hangs: bounded memory, then it runs', async (t) => {
  let polls = 0;
  const controller = await new Peer((req) => {
    if (!req.path.endsWith('/warmup/params')) return { json: {} };
    polls += 1;
    if (polls <= 2) return { hugeBytes: 50 * 1024 * 1024 };
    if (polls === 3) return { hang: true };
    return { json: { status: 'ready', params: job({ public_key: 'after-the-huge-answers' }) } };
  }).listen();
  t.teardown(() => controller.close());
  const rssBefore = server.rss();
  const mark = server.log.mark();
  const c = await StreamClient.open(`${server.url}/warmup`, { callback_url: controller.url, job_id: 'huge' });
  const lines = await c.all();
  const errors = lines.filter((l) => l.status === 'warmup_waiting').map((l) => String(l.last_error));
  t.match(errors[0], /larger than 1048576 bytes/, 'a huge answer is a failed poll');
  t.match(errors[2], /no answer within 1 s/, 'a hanging controller is a failed poll');
  t.ok(lines.some((l) => Array.isArray(l.nonces)), 'then the job ran');
  await endedAfter(mark);
  const grew = server.rss() - rssBefore;
  t.ok(grew < 64 * 2 ** 20, `the server's memory grew ${(grew / 2 ** 20).toFixed(1)} MiB over 100 MiB of answers`);
});

t.test('the model server killed with SIGKILL: the worker reports error_msg, and recovers on a fresh start', async (t) => {
  const before = auto.statuses.length;
  const killedAt = Date.now();
  await server.stop('SIGKILL');
  try {
    await auto.waitFor(() => auto.statuses.slice(before).some((s) => s.body.error_msg !== ''), 30_000, 'an error report');
    const report = auto.statuses.slice(before).find((s) => s.body.error_msg !== '')!;
    const bound = 0.3 * 3 + 0.5 + SLACK_S; // probe interval × failures + one report interval
    t.ok((report.at - killedAt) / 1000 <= bound, `reported after ${(report.at - killedAt) / 1000} s (bound ${bound} s)`);
    t.match(report.body.error_msg, /Model server unhealthy/);
  } finally {
    await startServerA(); // the same port and log file, as a supervisor restarting it would
  }
  const mark = auto.statuses.length;
  const logMark = worker.log.mark();
  await auto.waitFor(() => auto.statuses.slice(mark).some((s) => s.body.error_msg === ''), 30_000, 'recovery');
  const cleared = auto.statuses.slice(mark).find((s) => s.body.error_msg === '')!;
  // Only a fresh load sequence clears the probes' error: the worker loads the restarted server's model first.
  const loaded = await worker.log.waitFor((r) => r.msg === 'model loaded' && worker.log.records.indexOf(r) >= logMark);
  t.ok(loaded.time <= cleared.at, 'the error was cleared by the load of the restarted model');
});

t.test('SIGTERM during /generate: the server exits within SHUTDOWN_TIMEOUT and the stream ends', async (t) => {
  const c = await StreamClient.open(`${server.url}/generate`, job({ public_key: 'terminated' }));
  await c.waitLines(1);
  const exited = server.stop('SIGTERM');
  const stopping = await server.log.waitFor((r) => r.msg === 'shutting down');
  t.equal(await exited, 0, 'exit status 0');
  const stopped = await server.log.waitFor((r) => r.msg === 'stopped');
  // The server's cleanup bound is SHUTDOWN_TIMEOUT − 2 s: the 2 s of slack are inside the contract asserted here.
  t.ok(seconds(stopping, stopped) <= SHUTDOWN_S, `stopped ${seconds(stopping, stopped)} s after the signal`);
  t.ok((await c.ended).complete, 'the client\'s stream ended cleanly');
  await startServerA();
});

t.test('SIGTERM during /pooled with an orchestrator that errors, answers huge, then hangs: nothing lost silently', async (t) => {
  const logPath = path.join(dir, 'server-b.log');
  allLogs.push(logPath);
  const b = await startModelServer(logPath, { ...SERVER_ENV, HTTP_TIMEOUT: '10', SHUTDOWN_TIMEOUT: '4' }, GC);
  t.teardown(() => b.stop('SIGKILL'));
  let results = 0;
  const acknowledged = new Set<string>();
  const orchestrator = await new Peer((req) => {
    if (req.path.endsWith('/connect') || req.path.endsWith('/ready')) {
      return { json: { block_hash: SAMPLE_JOB.blockHash, r_target: 1.41, params: PRESETS.tiny, public_key: 'pooled-key',
        nonce_range_start: 0, nonce_range_end: 1e9 } };
    }
    if (!req.path.includes('/results')) return req.path.endsWith('/shutdown') ? { hang: true } : { json: {} };
    results += 1;
    if (results <= 3) {
      for (const r of req.path.endsWith('/batch') ? req.body.results : [req.body]) acknowledged.add(r.result_id);
      return { json: { status: 'ok' } };
    }
    if (results <= 5) return { status: 500, json: { error: 'overloaded' } };
    if (results <= 7) return { hugeBytes: 8 * 1024 * 1024 };
    return { hang: true };
  }).listen();
  t.teardown(() => orchestrator.close());
  const c = await StreamClient.open(`${b.url}/pooled`, { orchestrator_url: orchestrator.url });
  await orchestrator.waitFor(() => results >= 8); // the orchestrator now hangs
  await c.waitLines(c.lines.length + 3);
  const exited = b.stop('SIGTERM');
  const stopping = await b.log.waitFor((r) => r.msg === 'shutting down');
  t.equal(await exited, 0, 'exit status 0');
  const stopped = await b.log.waitFor((r) => r.msg === 'stopped');
  // As above, the cleanup bound is 2 s inside SHUTDOWN_TIMEOUT.
  t.ok(seconds(stopping, stopped) <= 4, `stopped ${seconds(stopping, stopped)} s after the signal (SHUTDOWN_TIMEOUT 4 s)`);
  const lines = await c.all();
  const streamed = lines.filter((l) => Array.isArray(l.nonces));
  const last = lines.at(-1) as Line;
  t.equal(last.status, 'shutdown', 'the stream ends with the shutdown line');
  t.equal(last.total_batches_sent, streamed.length);
  t.equal(last.results_delivered, acknowledged.size, 'delivered: what the orchestrator acknowledged');
  t.equal(last.pending_results, 0);
  t.equal(last.results_delivered + last.lost_results, streamed.length, 'computed = delivered + lost: none counted twice');
  t.ok(last.lost_results > 0, `${last.lost_results} results lost, and said so`);
  const logged = b.log.records.filter((r) => / results lost: /.test(r.msg)).reduce((s, r) => s + (r.lost as number), 0);
  t.equal(logged, last.lost_results, 'the log counts the same losses');
});

t.test('no log line carries a PyWorker error substring', async (t) => {
  for (const file of allLogs) {
    const text = readFileSync(file, 'utf8');
    const hits = PYWORKER_ERROR_PATTERNS.filter((p) => text.includes(p));
    t.same(hits, [], `${path.basename(file)}: ${text.split('\n').length} lines, none with ${PYWORKER_ERROR_PATTERNS.length} substrings`);
  }
  t.ok(readFileSync(allLogs[0], 'utf8').includes('Error -'), 'the poisoned strings reached the log, defused');
});

if (MINUTES > 0) {
  t.test(`soak: the job scenarios again and again for ${MINUTES} min, resident memory bounded`, async (t) => {
    const until = Date.now() + MINUTES * 60_000;
    const samples: { server: number; worker: number }[] = [];
    for (let round = 0; Date.now() < until; round++) {
      await t.test(`round ${round + 1}`, async (t) => generateThroughWorker(t, 1000 + round));
      samples.push({ server: server.rss(), worker: worker.rss() });
    }
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    for (const who of ['server', 'worker'] as const) {
      const first = samples[0][who];
      const max = Math.max(...samples.map((s) => s[who]));
      t.ok(max <= first + 100 * 2 ** 20, `${who}: RSS ${mib(first)} MiB after the first round, at most ${mib(max)} MiB over ${samples.length} rounds`);
    }
  });
}
