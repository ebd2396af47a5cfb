// POST /validate: {block_hash, public_key, params, nonces, dist?, r_target?} → {"dist": [...]}, the nonces'
// distances recomputed in the order given (at most 10,000 nonces, the chain's batch cap), with the network's verdict
// when r_target is given (and the reported dist, one per nonce, counted as validators count them). Not a job
// (jobs/validation.ts): 503 busy + Retry-After while a job holds the devices, and it never stops one.
import type { FastifyInstance } from 'fastify';
import { logDeviceFailure } from '../../../common/src/log.js';
import { parseBody, validators } from '../body.js';
import type { ServerContext } from '../context.js';
import { CudaBroken, InvalidField, isFatalDeviceError, MissingFields } from '../errors.js';
import { clientGone } from '../http/ndjson.js';
import { toModelParams } from '../jobs/model.js';
import { runValidation } from '../jobs/validation.js';

export function validateRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/validate', async (request, reply) => {
    const body = validators.validate.validate(parseBody(request.body));
    if (body.dist !== undefined) {
      if (body.r_target === undefined) throw new MissingFields('["r_target"]');
      if (body.dist.length !== body.nonces.length) {
        throw new InvalidField('dist', `${body.dist.length} distances for ${body.nonces.length} nonces (one per nonce)`);
      }
    }
    const params = toModelParams(body.params);
    if (ctx.health.cudaBroken) throw new CudaBroken();
    try {
      return await runValidation(ctx, body, params, clientGone(reply.raw));
    } catch (err) {
      if (isFatalDeviceError(err)) {
        ctx.health.markBroken(err as Error);
        // The one log line that names a CUDA error, so that a PyWorker tailing the log takes the worker out of rotation.
        logDeviceFailure(ctx.log, { code: (err as { code: string }).code },
          `fatal device failure, cuda_broken is set: ${(err as Error).message}`);
        // Once the answer is out, the server may exit (EXIT_ON_FATAL), as after a failing stream.
        reply.raw.once('close', () => ctx.health.fatalReported());
      }
      throw err;
    }
  });
}
