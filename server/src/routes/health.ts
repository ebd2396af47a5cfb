// GET|POST /health: 200 {"status": "healthy", "cuda_broken": false}, or 503 {"status": "unhealthy",
// "cuda_broken": true} for good after a fatal device failure. The body of a POST (the PyWorker's benchmark
// sends {}) is ignored.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export function healthRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/health',
    handler: async (_request, reply) => {
      if (ctx.health.cudaBroken) return reply.code(503).send({ status: 'unhealthy', cuda_broken: true });
      return { status: 'healthy', cuda_broken: false };
    },
  });
}
