// POST /pooled: {"orchestrator_url"} → a stream of the session with the orchestrator (pooled/session.ts).
import type { FastifyInstance } from 'fastify';
import { parseBody, requireUrl, validators } from '../body.js';
import type { ServerContext } from '../context.js';
import { clientGone } from '../http/ndjson.js';
import { acquireDevices, streamJob } from '../jobs/stream-job.js';
import { PooledSession } from '../pooled/session.js';

export function pooledRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/pooled', async (request, reply) => {
    const raw = parseBody(request.body);
    const orchestratorUrl = requireUrl(raw, 'orchestrator_url');
    validators.pooled.validate(raw);
    const { pooledMaxDurationMs, pooledModelLoadTimeoutMs } = ctx.config;
    const gone = clientGone(reply.raw);
    const lease = await acquireDevices(ctx, 'pooled', 2 * pooledMaxDurationMs + pooledModelLoadTimeoutMs, gone);
    request.log.info({ job: lease.id, orchestratorUrl }, 'pooled');
    await streamJob(ctx, reply, lease, gone, (stream, signal) => new PooledSession(ctx, stream, lease, orchestratorUrl).run(signal));
  });
}
