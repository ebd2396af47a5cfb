// POST /generate: validate, take the devices, build (or reuse) the model, then stream result lines.
// Everything that can be the request's fault (fields, params, a model too large) is a plain 400 before the
// stream starts; only a fatal device failure during the build is reported as a stream line (jobs/model.ts).
import type { FastifyInstance } from 'fastify';
import { parseBody, validators } from '../body.js';
import type { ServerContext } from '../context.js';
import { clientGone } from '../http/ndjson.js';
import { Generation } from '../jobs/generation.js';
import { loadBeforeStream, toModelParams } from '../jobs/model.js';
import { acquireDevices, streamJob } from '../jobs/stream-job.js';

export function generateRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/generate', async (request, reply) => {
    const body = validators.generate.validate(parseBody(request.body));
    const params = toModelParams(body.params);
    const gone = clientGone(reply.raw);
    const lease = await acquireDevices(ctx, 'generate', ctx.config.maxJobDurationMs, gone);
    let loadFailure: Error | undefined;
    try {
      loadFailure = await loadBeforeStream(ctx, body.block_hash, params);
    } catch (err) {
      lease.release();
      throw err;
    }
    request.log.info({ job: lease.id, blockHeight: body.block_height, publicKey: body.public_key.slice(0, 16) }, 'generate');
    await streamJob(ctx, reply, lease, gone, async (stream, signal) => {
      if (loadFailure) throw loadFailure;
      const generation = new Generation(ctx, body);
      await generation.run(stream, signal);
      return generation.summary();
    });
  });
}
