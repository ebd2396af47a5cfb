// GET /metrics: Prometheus text format.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export function metricsRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
