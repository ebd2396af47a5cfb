// A bounded load test on loopback: two rounds of 300 /health then 300 /health and 100 /generate at once, against the
// worker in front of the real model server (CPU engine, tiny preset, jobs of 0.1 s). Every request must get a
// status (none lost, none timed out), every one must reach /delete_requests/ exactly once, the worker must keep
// answering during the load, and its memory must not grow from one round to the next.

import t from 'tap';
import { Deadline } from '../../common/src/deadline.js';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { FakeAutoscaler } from './helpers/fake-autoscaler.js';
import { post, startTestWorker, testDir, until, type TestWorker } from './helpers/harness.js';
import { generatePayload, startModelServer, untilServing, type ModelServerProcess } from './helpers/model-server.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const HEALTH = 300;
const GENERATE = 100;
const REQUEST_TIMEOUT_MS = 45_000;

const auto = new FakeAutoscaler();
let server: ModelServerProcess;
let w: TestWorker;
const client = new Agent({ connections: 2 * (HEALTH + GENERATE) });

t.before(async () => {
  await auto.start();
  const dir = testDir();
  server = await startModelServer(join(dir, 'server.log'), { MAX_JOB_DURATION: '0.1', LOG_LEVEL: 'warn' });
  // max_perf 100 units/s: 300 concurrent /health (1 unit each) wait at most 3 s (limit 5 s): all admitted.
  // A /generate of batch 256 adds 2.56 s of wait: about 24 are admitted (limit 60 s) and run one after the
  // other, the rest get 429; beside them /health is admitted only while less than 5 s of work is queued
  // (docs/pyworker.md pitfall 5: the wait is global).
  w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: server.url, WORKER_PERF: '100', WORKER_REPORT_TIMEOUT_MS: '10000' }, dir);
  await untilServing(server, () => w.handle.accounting.modelLoaded, 30_000);
});
t.teardown(async () => {
  await w?.close();
  await server?.kill();
  await auto.close();
  await client.close();
});

interface Outcome {
  kind: 'health' | 'generate';
  status: number | string;
  text: string;
}

async function one(kind: Outcome['kind'], reqnum: number): Promise<Outcome> {
  const payload = kind === 'health' ? {} : generatePayload({ batch_size: 256 });
  const limit = new Deadline(REQUEST_TIMEOUT_MS, { what: 'request timeout' });
  try {
    const res = await request(`${w.url}/${kind}`, {
      method: 'POST',
      body: JSON.stringify({ auth_data: auto.authData(reqnum), session_id: null, payload }),
      dispatcher: client,
      signal: limit.signal,
    });
    return { kind, status: res.statusCode, text: await res.body.text() };
  } catch (err) {
    return { kind, status: `lost: ${(err as Error).message}`, text: '' };
  } finally {
    limit.dispose();
  }
}

async function healthBurst(first: number): Promise<Outcome[]> {
  return Promise.all(Array.from({ length: HEALTH }, (_, i) => one('health', first + i)));
}

async function round(first: number): Promise<{ outcomes: Outcome[]; answeredDuringLoad: number }> {
  const all: Promise<Outcome>[] = [];
  for (let i = 0; i < HEALTH + GENERATE; i++) {
    // interleaved: one /generate after every three /health
    all.push(one(i % 4 === 3 ? 'generate' : 'health', first + i));
  }
  // While the load runs, the worker still answers what it decides alone (a 422 needs no model server).
  const during = await post(`${w.url}/generate`, '{', { dispatcher: client });
  const outcomes = await Promise.all(all);
  return { outcomes, answeredDuringLoad: during.status };
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

t.test('hundreds of concurrent requests all get a status, every one is reported, memory stays flat', async (t) => {
  const heaps: number[] = [];
  for (const r of [0, 1]) {
    const base = 1 + r * (2 * HEALTH + GENERATE);
    const burst = await healthBurst(base);
    t.same(burst.filter((o) => o.status !== 200), [], `round ${r}: ${HEALTH} concurrent /health alone are all served`);
    const first = base + HEALTH;
    const started = Date.now();
    const { outcomes, answeredDuringLoad } = await round(first);
    t.equal(answeredDuringLoad, 422, `round ${r}: the worker answered during the load`);
    const lost = outcomes.filter((o) => typeof o.status === 'string');
    t.same(lost, [], `round ${r}: no request lost without a status`);
    const byStatus = (kind: string) =>
      outcomes.filter((o) => o.kind === kind).reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.status]: (acc[o.status] ?? 0) + 1 }), {});
    t.comment(`round ${r}: ${Date.now() - started} ms, /health ${JSON.stringify(byStatus('health'))}, /generate ${JSON.stringify(byStatus('generate'))}`);
    t.ok(outcomes.every((o) => o.status === 200 || o.status === 429), `round ${r}: only 200 and 429`);
    const served = outcomes.filter((o) => o.kind === 'generate' && o.status === 200);
    t.ok(served.length > 0, `round ${r}: some /generate served`);
    t.ok(
      served.every((o) => o.text.endsWith('\n') && o.text.trim().split('\n').every((l) => typeof JSON.parse(l) === 'object')),
      `round ${r}: every served /generate is complete NDJSON`,
    );
    t.ok(served.length + outcomes.filter((o) => o.kind === 'generate' && o.status === 429).length === GENERATE);

    // Every request reaches /delete_requests/ exactly once; the worker holds nothing afterwards.
    const idxs = new Set(Array.from({ length: 2 * HEALTH + GENERATE }, (_, i) => 1000 + base + i));
    // At least once: a POST whose answer came after the client's timeout is sent again, so a request can appear
    // twice, always with the same outcome.
    const deletedNow = () => new Map(auto.deletedRequests().filter((d) => idxs.has(d.request_idx as number)).map((d) => [d.request_idx, d]));
    await auto.waitFor(() => deletedNow().size === idxs.size, 15_000, 'all deletions');
    const deleted = [...deletedNow().values()];
    t.equal(deleted.length, idxs.size, `round ${r}: every request reached /delete_requests/`);
    const dups = auto.deletedRequests().filter((d) => idxs.has(d.request_idx as number));
    t.ok(dups.every((d) => deletedNow().get(d.request_idx)?.status === d.status), 'a repeated deletion repeats the same outcome');
    t.equal(deleted.filter((d) => d.status === 'Rejected').length, outcomes.filter((o) => o.status === 429).length);
    t.equal(deleted.filter((d) => d.status === 'Success').length, burst.length + outcomes.filter((o) => o.status === 200).length);
    t.equal(w.handle.accounting.workingCount(), 0);
    t.equal(w.handle.fifo.waiting, 0);
    t.notOk(w.handle.fifo.running);
    await until(() => w.handle.accounting.pendingDeleteSnapshot().length === 0, 5000, 'the deletion list drained');
    heaps.push(heapAfterGc());
  }
  const growth = heaps[1] - heaps[0];
  t.comment(`heap after round 0: ${(heaps[0] / 2 ** 20).toFixed(1)} MiB, after round 1: ${(heaps[1] / 2 ** 20).toFixed(1)} MiB`);
  // The fake autoscaler keeps every report it received (a few hundred kB per round); the worker itself holds
  // nothing per finished request. 16 MiB is far above that and far below a per-request leak of the bodies.
  t.ok(growth < 16 * 2 ** 20, `heap growth between rounds: ${(growth / 2 ** 20).toFixed(1)} MiB`);
  t.equal(w.handle.accounting.errorMsg, '');
});
