// A validation (POST /validate): the distances of given nonces recomputed on the devices, in the order given, and the
// network's verdict on them (docs/poc-compute.md §8). It holds the devices as a job does (the model cache too: a
// different model replaces the loaded one) but is no job: it claims them only when they are free, and a job that
// arrives takes over from it; it then stops after its batches in flight and answers 503 busy.
import { deltaStats, judge, runAcrossDevices, type DeltaStats, type ModelParams, type Verdict } from '../../../addon/lib/index.js';
import { anySignal } from '../../../common/src/deadline.js';
import type { ServerContext } from '../context.js';
import { Busy, ClientClosed } from '../errors.js';
import type { JobOutcome } from '../metrics.js';
import type { ValidateBody } from '../schemas.js';
import { batchSize } from './batches.js';
import { loadModel } from './model.js';
import { stopReason } from './slot.js';

/** The answer: the distances, then (with r_target) the verdict, and (with the reported dist) |Δ|. */
export type ValidateAnswer = { dist: number[] } & Partial<Verdict> & { abs_delta?: DeltaStats };

/** Retry-After of a validation refused while another holds the devices: its length is unknown, so soon. */
const VALIDATION_EXPECTED_MS = 1000;

/** Runs the validation; throws Busy when the devices are held (or a job takes them over meanwhile), ClientClosed
 *  when the client left, a fatal device failure as it came (the caller reports it), InvalidParams for a model the
 *  devices refuse. */
export async function runValidation(ctx: ServerContext, body: ValidateBody, params: ModelParams,
  gone: AbortSignal): Promise<ValidateAnswer> {
  const lease = ctx.slot.claim('validate', VALIDATION_EXPECTED_MS);
  const started = performance.now();
  const stop = anySignal(lease.stop, gone);
  let outcome: JobOutcome = 'completed';
  const onGone = () => ctx.log.info({ job: lease.id }, 'client disconnected: stopping after the batches in flight');
  gone.addEventListener('abort', onGone, { once: true });
  ctx.log.info({ job: lease.id, kind: 'validate', nonces: body.nonces.length }, 'validation started');
  try {
    await loadModel(ctx, body.block_hash, params);
    const dist = await runAcrossDevices(ctx.engine.devices, body.public_key, body.nonces, {
      batchSize: (device) => batchSize(device, ctx.config.maxBatchSize), signal: stop.signal,
    });
    return answer(body, dist);
  } catch (err) {
    const stopped = stopReason(lease.stop);
    outcome = stopped ?? (gone.aborted ? 'cancelled' : 'failed');
    if (stopped) throw new Busy();
    if (gone.aborted) throw new ClientClosed();
    throw err;
  } finally {
    stop.dispose();
    gone.removeEventListener('abort', onGone);
    lease.release();
    ctx.metrics.jobEnded('validate', outcome);
    ctx.log.info({ job: lease.id, kind: 'validate', outcome, seconds: (performance.now() - started) / 1000 },
      'validation ended');
  }
}

function answer(body: ValidateBody, dist: Float64Array): ValidateAnswer {
  const out: ValidateAnswer = { dist: Array.from(dist) };
  if (body.r_target === undefined) return out;
  Object.assign(out, judge(dist, body.r_target, body.dist));
  if (body.dist !== undefined) out.abs_delta = deltaStats(body.dist, dist);
  return out;
}
