// The frame every streaming route shares: take the devices (a takeover, or 503), stream the job's lines, turn a
// failure into the spec's error line, end the stream, free the devices, and report a fatal device failure.
// (The model a job needs is jobs/model.ts's.)
// "job started" and "job ended" are logged with the job's id: the soak suite checks time limits against them.
import type { FastifyReply } from 'fastify';
import { anySignal } from '../../../common/src/deadline.js';
import { logDeviceFailure } from '../../../common/src/log.js';
import type { ServerContext } from '../context.js';
import { CudaBroken, errorLine } from '../errors.js';
import { NdjsonStream } from '../http/ndjson.js';
import { stopReason, type JobKind, type Lease } from './slot.js';

/** How long a finished stream may wait for its client to take the last lines before it is cut off. */
export const STREAM_END_GRACE_MS = 1000;

/** Takes the devices for a job, or throws what the client gets instead (503 busy, 503 CUDA broken). `waiting`:
 *  the client's disconnect, which ends a wait for a superseded job. */
export async function acquireDevices(ctx: ServerContext, kind: JobKind, expectedMs: number, waiting: AbortSignal): Promise<Lease> {
  if (ctx.health.cudaBroken) throw new CudaBroken();
  const lease = await ctx.slot.acquire(kind, expectedMs, waiting);
  if (ctx.health.cudaBroken) {
    lease.release();
    throw new CudaBroken();
  }
  return lease;
}

/** Writes the error line for `err`; a fatal device failure also sets cuda_broken. Returns whether it was fatal. */
function reportError(ctx: ServerContext, lease: Lease, stream: NdjsonStream, err: unknown): boolean {
  const line = errorLine(err);
  if (line.fatal) {
    ctx.health.markBroken(err as Error);
    // The one log line that names a CUDA error, so that a PyWorker tailing the log takes the worker out of rotation.
    logDeviceFailure(ctx.log, { job: lease.id, code: line.code }, `fatal device failure, cuda_broken is set: ${line.error}`);
  } else {
    ctx.log.warn({ job: lease.id, err }, 'job failed');
  }
  stream.write(line);
  return line.fatal === true;
}

/** What a job reports at its end (counters for the log). */
export type JobSummary = Record<string, number> | void;

/** A job's body: `signal` aborts on client disconnect, takeover or shutdown; `lease.stop` on the last two. */
export type StreamBody = (stream: NdjsonStream, signal: AbortSignal, lease: Lease) => Promise<JobSummary>;

/** Streams `body` under `lease`. `gone` is the client's disconnect (clientGone). Never throws. */
export async function streamJob(
  ctx: ServerContext, reply: FastifyReply, lease: Lease, gone: AbortSignal, body: StreamBody,
): Promise<void> {
  const started = performance.now();
  const stream = NdjsonStream.open(reply, gone, lease.id);
  const stop = anySignal(lease.stop, gone);
  const onGone = () => ctx.log.info({ job: lease.id }, 'client disconnected: stopping after the batches in flight');
  gone.addEventListener('abort', onGone, { once: true });
  let fatal = false;
  let failed = false;
  let summary: JobSummary = undefined;
  ctx.log.info({ job: lease.id, kind: lease.kind }, 'job started');
  try {
    summary = await body(stream, stop.signal, lease);
  } catch (err) {
    failed = true;
    fatal = reportError(ctx, lease, stream, err);
  } finally {
    stop.dispose();
    gone.removeEventListener('abort', onGone);
    if (!failed && stopReason(lease.stop) === 'superseded') stream.write({ status: 'superseded' });
    await stream.end(STREAM_END_GRACE_MS);
    lease.release();
  }
  const outcome = failed ? 'failed' : stopReason(lease.stop) ?? (gone.aborted ? 'cancelled' : 'completed');
  ctx.metrics.jobEnded(lease.kind, outcome);
  const seconds = (performance.now() - started) / 1000;
  ctx.log.info({ job: lease.id, kind: lease.kind, outcome, seconds, disconnected: gone.aborted,
    readerWaits: stream.readerWaits, ...summary }, 'job ended');
  if (fatal) ctx.health.fatalReported();
}
