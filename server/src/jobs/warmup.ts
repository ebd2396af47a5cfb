// /warmup: announce readiness, poll the controller for the job's parameters, then generate and report
// completion to the controller (docs/model-server.md "POST /warmup"). Lines go out as they happen.
import { unwrap, validators } from '../body.js';
import type { ServerContext } from '../context.js';
import { Deadline, sleep } from '../../../common/src/deadline.js';
import type { NdjsonStream } from '../http/ndjson.js';
import { Generation } from './generation.js';
import type { Lease } from './slot.js';
import { loadModel, toModelParams } from './model.js';
import type { JobSummary } from './stream-job.js';

export interface WarmupRequest {
  callbackUrl: string;
  jobId: string;
}

/** params once the controller has them; error when the poll itself failed. */
interface PollAnswer {
  params?: object;
  error?: string;
}

/** One poll of GET {callback}/warmup/params: the params once the controller has them; anything else is "not yet". */
async function pollParams(ctx: ServerContext, req: WarmupRequest, signal: AbortSignal): Promise<PollAnswer> {
  const url = `${req.callbackUrl}/warmup/params?job_id=${encodeURIComponent(req.jobId)}`;
  try {
    const answer = (await ctx.http.json('GET', url, undefined, signal)) as { status?: unknown; params?: unknown } | null;
    if (answer?.status !== 'ready') return {};
    if (typeof answer.params !== 'object' || answer.params === null) return { error: 'status "ready" without params' };
    return { params: answer.params };
  } catch (err) {
    if (signal.aborted) return {};
    return { error: (err as Error).message };
  }
}

export async function runWarmup(
  ctx: ServerContext, stream: NdjsonStream, signal: AbortSignal, lease: Lease, req: WarmupRequest,
): Promise<JobSummary> {
  const { warmupMaxDurationMs } = ctx.config;
  const started = Date.now();
  const elapsed = () => Math.floor((Date.now() - started) / 1000);
  stream.write({ status: 'warmup_ready', job_id: req.jobId });
  const waiting = new Deadline(warmupMaxDurationMs, { parents: [signal], what: 'warmup wait' });
  let params: object | undefined;
  try {
    params = await waitForParams(ctx, stream, req, waiting, elapsed);
  } finally {
    waiting.dispose();
  }
  if (params === undefined) {
    if (waiting.expired) {
      ctx.log.info({ job: lease.id, elapsed: elapsed() }, 'warmup: no params before the time limit');
      stream.write({ status: 'warmup_timeout', elapsed: elapsed() });
    }
    return undefined;
  }
  stream.write({ status: 'warmup_params_received', elapsed: elapsed() });
  const job = validators.generate.validate(unwrap(params));
  await loadModel(ctx, job.block_hash, toModelParams(job.params));
  const generation = new Generation(ctx, job);
  try {
    await generation.run(stream, signal);
  } finally {
    await notifyComplete(ctx, req, generation, lease);
  }
  return generation.summary();
}

/** Polls the controller every WARMUP_POLL_INTERVAL until it has the params; undefined when `deadline` ends first. */
async function waitForParams(
  ctx: ServerContext, stream: NdjsonStream, req: WarmupRequest, deadline: Deadline, elapsed: () => number,
): Promise<object | undefined> {
  for (let pollCount = 1; !deadline.signal.aborted; pollCount++) {
    const answer = await pollParams(ctx, req, deadline.signal);
    if (deadline.signal.aborted) return undefined;
    if (answer.params !== undefined) return answer.params;
    const waiting = { status: 'warmup_waiting', poll_count: pollCount, elapsed: elapsed() };
    stream.write(answer.error === undefined ? waiting : { ...waiting, last_error: answer.error });
    await sleep(Math.min(ctx.config.warmupPollIntervalMs, deadline.remaining()), deadline.signal);
  }
  return undefined;
}

/** POST {callback}/warmup/complete with the job's totals, retried within the job's cleanup bound (a takeover or a
 *  shutdown cuts it short). */
async function notifyComplete(ctx: ServerContext, req: WarmupRequest, generation: Generation, lease: Lease) {
  const { batches, computed, valid } = generation.totals;
  const body = { job_id: req.jobId, total_batches: batches, total_computed: computed, total_valid: valid };
  const cleanup = lease.cleanup();
  try {
    await ctx.http.retry(() => ctx.http.json('POST', `${req.callbackUrl}/warmup/complete`, body, cleanup.signal), cleanup.signal);
    ctx.log.info({ job: lease.id, ...body }, 'warmup: completion reported');
  } catch (err) {
    ctx.log.warn({ job: lease.id, err, ...body }, 'warmup: could not report completion');
  } finally {
    cleanup.dispose();
  }
}
