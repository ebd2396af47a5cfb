// The frame every streaming route shares: take the devices (or answer 503), stream the job's lines, turn a
// failure into the spec's error line, end the stream, free the devices, and report a fatal device failure.
import type { FastifyReply } from 'fastify';
import { EngineError, ErrorCodes, parseParams, ParamsError, type ModelParams } from '../../../addon/lib/index.js';
import type { ServerContext } from '../context.js';
import { Busy, CudaBroken, errorLine, InvalidParams } from '../errors.js';
import { NdjsonStream } from '../http/ndjson.js';
import type { JobKind, Lease } from './slot.js';

/** Takes the devices for a job, or throws what the client gets instead (503 busy, 503 CUDA broken). */
export function acquireDevices(ctx: ServerContext, kind: JobKind, expectedMs: number): Lease {
  if (ctx.health.cudaBroken) throw new CudaBroken();
  const lease = ctx.slot.tryAcquire(kind, expectedMs);
  if (!lease) throw new Busy();
  return lease;
}

/** A job's params, validated by the engine's rules; "Invalid params: <field>: <reason>" otherwise. */
export function toModelParams(value: unknown): ModelParams {
  try {
    return parseParams(value);
  } catch (err) {
    if (err instanceof ParamsError) throw new InvalidParams(err.message);
    throw err;
  }
}

/** Whether a load failure is the job's fault (a shape the devices cannot hold): a 400 before a stream starts. */
export function isParamsFailure(err: unknown): err is EngineError {
  return err instanceof EngineError && (err.code === ErrorCodes.invalidParams || err.code === ErrorCodes.outOfMemory);
}

export async function loadModel(ctx: ServerContext, blockHash: string, params: ModelParams): Promise<number> {
  const { reused, seconds } = await ctx.engine.load(blockHash, params);
  ctx.log.info({ blockHash: blockHash.slice(0, 16), reused, seconds, devices: ctx.engine.devices.length }, 'model ready');
  return seconds;
}

/** Writes the error line for `err`; a fatal device failure also sets cuda_broken. Returns whether it was fatal. */
function reportError(ctx: ServerContext, stream: NdjsonStream, err: unknown): boolean {
  const line = errorLine(err);
  if (line.fatal) {
    ctx.health.markBroken(err as Error);
    ctx.log.fatal({ err }, 'fatal device failure: cuda_broken is set');
  } else {
    ctx.log.warn({ err }, 'job failed');
  }
  stream.write(line);
  return line.fatal === true;
}

/** A job's body: `signal` aborts on client disconnect or shutdown; `lease.signal` on shutdown only. */
export type StreamBody = (stream: NdjsonStream, signal: AbortSignal, lease: Lease) => Promise<void>;

/** Streams `body` under `lease`: its signal aborts on client disconnect or server shutdown. Never throws. */
export async function streamJob(ctx: ServerContext, reply: FastifyReply, lease: Lease, body: StreamBody): Promise<void> {
  const stream = NdjsonStream.open(reply);
  const signal = AbortSignal.any([lease.signal, stream.disconnected]);
  let fatal = false;
  let failed = false;
  try {
    await body(stream, signal, lease);
  } catch (err) {
    failed = true;
    fatal = reportError(ctx, stream, err);
  } finally {
    await stream.end();
    lease.release();
  }
  const outcome = failed ? 'failed' : signal.aborted ? 'cancelled' : 'completed';
  ctx.metrics.jobEnded(lease.kind, outcome);
  ctx.log.info({ job: lease.kind, outcome, disconnected: stream.disconnected.aborted }, 'job ended');
  if (fatal) ctx.health.fatalReported();
}
