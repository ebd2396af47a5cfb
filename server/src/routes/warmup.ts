// POST /warmup: {"callback_url", "job_id"} → a stream that waits for the controller's params, then generates.
import type { FastifyInstance } from 'fastify';
import { parseBody, requireUrl, validators } from '../body.js';
import type { ServerContext } from '../context.js';
import { clientGone } from '../http/ndjson.js';
import { acquireDevices, streamJob } from '../jobs/stream-job.js';
import { runWarmup } from '../jobs/warmup.js';

export function warmupRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/warmup', async (request, reply) => {
    const raw = parseBody(request.body);
    const callbackUrl = requireUrl(raw, 'callback_url');
    const body = validators.warmup.validate(raw);
    const jobId = body.job_id ?? 'unknown';
    const { warmupMaxDurationMs, maxJobDurationMs } = ctx.config;
    const gone = clientGone(reply.raw);
    const lease = await acquireDevices(ctx, 'warmup', warmupMaxDurationMs + maxJobDurationMs, gone);
    request.log.info({ job: lease.id, jobId, callbackUrl }, 'warmup');
    await streamJob(ctx, reply, lease, gone, (stream, signal) => runWarmup(ctx, stream, signal, lease, { callbackUrl, jobId }));
  });
}
