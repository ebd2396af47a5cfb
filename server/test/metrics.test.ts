// GET /metrics: Prometheus text whose values move when a job runs, and that answers while a batch is in flight
// (held at the test addon's gate: a fact of event order) without waiting for it.
import t from 'tap';
import { gate } from '../../addon/test/test-addon.js';
import { generateBody, openEngine, startServer, stream } from './helpers.js';

/** The value of one sample (name with labels, as printed), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

t.test('/metrics counts nonces, batches and jobs, and shows the job state and device memory', async (t) => {
  const engine = await openEngine();
  const server = await startServer(engine, { MAX_JOB_DURATION: '1' });
  t.teardown(async () => {
    await server.close();
    await engine.close();
  });
  const scrape = async () => {
    const res = await fetch(`${server.url}/metrics`);
    t.match(res.headers.get('content-type'), /^text\/plain/);
    return res.text();
  };
  const device = `device="${engine.devices[0].label}"`;

  const before = await scrape();
  t.equal(sample(before, 'lgb_job_running{kind="generate"}'), 0);
  t.equal(sample(before, 'lgb_cuda_broken'), 0);
  t.ok((sample(before, `lgb_device_memory_total_bytes{${device}}`) ?? 0) > 0, 'device memory is reported');

  const s = await stream(`${server.url}/generate`, generateBody({ r_target: 1.41 }));
  await s.next();
  const during = await scrape();
  t.equal(sample(during, 'lgb_job_running{kind="generate"}'), 1, 'a job holds the devices');
  await s.rest();
  const ended = await server.events.jobEnded(s.jobId);
  const after = await scrape();
  t.equal(sample(after, 'lgb_job_running{kind="generate"}'), 0);
  t.equal(sample(after, 'lgb_jobs_total{kind="generate",outcome="completed"}'), 1);
  t.equal(sample(after, `lgb_nonces_computed_total{${device}}`), ended.computed, 'nonces computed = the job\'s total');
  t.equal(sample(after, `lgb_nonces_valid_total{${device}}`), ended.valid, 'nonces valid = the job\'s total');
  t.equal(sample(after, `lgb_batch_seconds_count{${device}}`), ended.batches, 'one latency sample per batch');
  t.ok((sample(after, `lgb_device_memory_used_bytes{${device}}`) ?? 0) > 0, 'the engine holds memory for the model');
});

t.test('/metrics answers with the device memory while a batch is in flight, without waiting for it', async (t) => {
  const engine = await openEngine();
  const server = await startServer(engine, { MAX_JOB_DURATION: '60' });
  t.teardown(async () => {
    await server.close();
    await engine.close();
  });
  const s = await stream(`${server.url}/generate`, generateBody({ r_target: 10 }));
  await s.next();
  const g = gate();
  const arrived = g.arrived();
  g.hold();
  t.teardown(() => g.release());
  await g.entered(arrived + 1); // the job's next batch is in the native device, held
  const res = await fetch(`${server.url}/metrics`);
  t.equal(res.status, 200);
  const text = await res.text();
  const device = `device="${engine.devices[0].label}"`;
  t.ok((sample(text, `lgb_device_memory_used_bytes{${device}}`) ?? 0) > 0, 'the figures of the device that is computing');
  t.equal(g.arrived(), arrived + 1, 'the batch was still held while /metrics answered');
  g.release();
  t.ok((await s.next()).nonces.length > 0, 'then the job goes on');
  s.abort();
  await server.events.jobEnded(s.jobId);
});
