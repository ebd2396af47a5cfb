// The heartbeat (docs/runpod.md §8, §13 req. 5): its own thread, so pings keep their rhythm while the main thread is
// busy; each lists the jobs the main thread last wrote; a failed ping is tried again. The pings go to a recorder
// in another process, which notes their arrival by its own clock: one on this (blocked) thread could not.
import { spawn } from 'node:child_process';
import t from 'tap';
import { loadConfig } from '../src/config.js';
import { Heartbeat } from '../src/heartbeat.js';
import { PlatformUrls } from '../src/urls.js';
import { LogLines } from './helpers/harness.js';
import { runpodLogger } from '../src/logger.js';

const SLACK_MS = 2000;

interface Arrival {
  t: number;
  url: string;
  auth: string;
}

/** A ping recorder in a child process: the first `failFirst` requests get 503, the rest 200. */
async function recorder(t: { teardown(fn: () => unknown): void }, failFirst = 0): Promise<{ url: string; arrivals: Arrival[] }> {
  const script = `
    let n = 0;
    const srv = require('node:http').createServer((req, res) => {
      n += 1;
      process.stdout.write(JSON.stringify({ t: Date.now(), url: req.url, auth: req.headers.authorization }) + '\\n');
      res.writeHead(n <= ${failFirst} ? 503 : 200, { 'content-type': 'application/json' }).end('{"status":"pong"}');
    });
    srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill());
  const arrivals: Arrival[] = [];
  let rest = '';
  const port = await new Promise<number>((resolve) => {
    child.stdout.on('data', (c: Buffer) => {
      rest += c.toString();
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (/^\d+$/.test(line)) resolve(Number(line));
        else arrivals.push(JSON.parse(line) as Arrival);
      }
    });
  });
  return { url: `http://127.0.0.1:${port}`, arrivals };
}

function heartbeat(url: string, env: Record<string, string> = {}) {
  const config = loadConfig({ RUNPOD_WEBHOOK_GET_JOB: `${url}/v2/ep/job-take/$ID`, RUNPOD_WEBHOOK_PING: `${url}/v2/ep/ping/$RUNPOD_POD_ID?gpu=SIM`,
    RUNPOD_AI_API_KEY: 'key-1', RUNPOD_POD_ID: 'pod-7', RUNPOD_PING_INTERVAL: '1000', ...env });
  const logs = new LogLines();
  const log = runpodLogger({ level: 'trace', json: true, write: logs.write });
  return { hb: Heartbeat.start(config, new PlatformUrls(config.templates, config.workerId).ping, log), logs };
}

/** Waits until `ok()` holds, looking every 10 ms (the recorder is another process). */
async function until(ok: () => boolean, ms = 15_000): Promise<void> {
  const limit = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > limit) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function arrivals(list: Arrival[], n: number): Promise<Arrival[]> {
  await until(() => list.length >= n);
  return list;
}

const jobIds = (a: Arrival): string | null => new URL(a.url, 'http://x').searchParams.get('job_id');

t.test('pings keep their rhythm while the main thread is blocked for 3 s, listing the job written before', async (t) => {
  const rec = await recorder(t);
  const { hb } = heartbeat(rec.url);
  t.ok(hb);
  t.teardown(() => hb!.stop());
  await hb!.firstPingWithin(5000, new AbortController().signal);
  const first = (await arrivals(rec.arrivals, 1))[0];
  t.equal(first.url, '/v2/ep/ping/pod-7?gpu=SIM&runpod_version=1.12.0', 'no job_id when no job is held');
  t.equal(first.auth, 'key-1');
  hb!.setJobs(['job-a']);
  const blockedFrom = Date.now();
  while (Date.now() - blockedFrom < 3000) {
    // A handler holding the main thread (a synchronous step of 3 s).
  }
  const blockedTo = Date.now();
  hb!.setJobs([]);
  // The recorder's lines are read on this thread: those of the blocked time are in once a later one is.
  await until(() => rec.arrivals.filter((a) => a.t > blockedTo).length >= 2);
  const during = rec.arrivals.filter((a) => a.t >= blockedFrom && a.t <= blockedTo);
  t.ok(during.length >= 2, `${during.length} pings while the main thread was blocked`);
  t.ok(during.every((a) => jobIds(a) === 'job-a'), 'each listing the job in progress');
  const all = rec.arrivals;
  const gaps = all.slice(1).map((a, i) => a.t - all[i].t);
  t.ok(gaps.every((g) => g >= 1000 && g <= 1000 + SLACK_MS), `one interval apart: ${gaps}`);
  t.equal(jobIds(all[all.length - 1]), null, 'and none once the list is empty again');
});

t.test('a ping answered 503 is tried again at once, then the rhythm goes on', async (t) => {
  const rec = await recorder(t, 1);
  const { hb, logs } = heartbeat(rec.url, { RUNPOD_WORKER_PING_RETRY_DELAYS_MS: '0,200,400' });
  t.teardown(() => hb!.stop());
  const [a, b, c] = await arrivals(rec.arrivals, 3);
  t.ok(b.t - a.t < 1000, 'the retry came before the next interval');
  t.ok(c.t - b.t >= 1000, 'then the next ping an interval later');
  t.notOk(logs.lines.some((l) => l.message === 'ping failed'), 'a ping that succeeded on retry is no failure');
});

t.test('no heartbeat without the API key, the pod id or the ping URL (as the SDK)', async (t) => {
  const cases: Record<string, string>[] = [{ RUNPOD_AI_API_KEY: '' }, { RUNPOD_POD_ID: '' }, { RUNPOD_WEBHOOK_PING: 'PING_NOT_SET' }];
  for (const env of cases) {
    const { hb, logs } = heartbeat('http://127.0.0.1:9', env);
    t.equal(hb, undefined);
    t.match(logs.lines[0], { level: 'ERROR', message: 'no heartbeat: the platform did not set what a ping needs' });
  }
});
