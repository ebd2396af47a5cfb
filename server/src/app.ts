// The model server as a Fastify app (docs/model-server.md). buildApp() wires it without listening, so tests inject
// or listen on a loopback port; server.ts owns the process. Bodies stay raw text until a route parses them, so
// the wrappers are removed before validation and every error keeps the spec's {"error": "..."} shape.
import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import underPressure from '@fastify/under-pressure';
import { answerClientError } from '../../common/src/client-error.js';
import type { Logger } from '../../common/src/log.js';
import { SHUTDOWN_RESERVE_MS, type ServerConfig } from './config.js';
import type { ServerContext } from './context.js';
import { Health } from './health.js';
import type { ServerEngine } from './engine.js';
import { BadUrl, Busy, CudaBroken, errorBody, NotFound, UnderPressure } from './errors.js';
import { Outbound } from './http/outbound.js';
import { JobSlot } from './jobs/slot.js';
import { ServerMetrics } from './metrics.js';
import { generateRoute } from './routes/generate.js';
import { healthRoute } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { pooledRoute } from './routes/pooled.js';
import { validateRoute } from './routes/validate.js';
import { warmupRoute } from './routes/warmup.js';

export interface AppOptions {
  engine: ServerEngine;
  config: ServerConfig;
  logger: Logger;
  /** After a fatal device failure has been reported on its stream (server.ts then shuts down, when configured). */
  onFatal?: (err: Error) => void;
}

/** The routes and their shared state, as a plugin. */
export const modelServer: FastifyPluginAsync<AppOptions> = async (app, opts) => {
  const { engine, config } = opts;
  const health = new Health((err) => opts.onFatal?.(err));
  const metrics = new ServerMetrics(engine, () => health.cudaBroken);
  const ctx: ServerContext = {
    engine,
    config,
    log: opts.logger,
    slot: new JobSlot({
      takeover: config.jobTakeover,
      takeoverTimeoutMs: config.takeoverTimeoutMs,
      shutdownCleanupMs: Math.max(0, config.shutdownTimeoutMs - SHUTDOWN_RESERVE_MS),
      onChange: (kind, running) => metrics.jobState(kind, running),
      onTakeover: (old, kind) => opts.logger.info({ job: old.id, kind: old.kind, by: kind }, 'a new job takes over: stopping this one'),
    }),
    metrics,
    http: new Outbound({
      timeoutMs: config.httpTimeoutMs,
      retryAttempts: config.httpRetryAttempts,
      retryBaseMs: config.httpRetryBaseMs,
      maxAnswerBytes: config.httpMaxAnswerBytes,
    }),
    health,
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    const refusal = err instanceof Busy || err instanceof CudaBroken || err instanceof UnderPressure;
    if (status >= 500 && !refusal) request.log.error({ err }, 'request failed');
    else request.log.info({ err }, 'request refused');
    if (err instanceof Busy) void reply.header('retry-after', String(ctx.slot.retryAfterSeconds()));
    return reply.code(status).send(errorBody(err));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody(new NotFound(request.method, request.url)));
  });
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    pressureHandler: (_request, reply, type) => {
      void reply.code(503).header('retry-after', '1').send(errorBody(new UnderPressure(type)));
    },
  });

  healthRoute(app, ctx);
  generateRoute(app, ctx);
  warmupRoute(app, ctx);
  pooledRoute(app, ctx);
  validateRoute(app, ctx);
  metricsRoute(app, ctx);

  // Before the listener closes: stop the running job and let it flush (pooled results, the last lines).
  app.addHook('preClose', async () => {
    await ctx.slot.close();
  });
  app.addHook('onClose', async () => {
    await ctx.http.close();
  });
};

// Not encapsulated (what fastify-plugin does): the parser, error and not-found handlers apply to the instance
// the plugin is registered on, so the spec's error shape covers every route and 404.
Object.assign(modelServer, { [Symbol.for('skip-override')]: true });

/** forceCloseConnections: close() first runs preClose (the running job stops and flushes its stream), then drops
 *  whatever connections remain, idle keep-alive ones included, instead of waiting out keepAliveTimeout.
 *  Requests that never reach a route (unparseable, headers too large, a malformed URL) get the same error shape. */
export function buildApp(opts: AppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: 1 << 20,
    forceCloseConnections: true,
    // close() waits for the running job's batch in flight (its preClose hook), which for a large model on the CPU
    // takes longer than avvio's 10 s default: SHUTDOWN_TIMEOUT bounds a stop instead.
    pluginTimeout: 0,
    clientErrorHandler: answerClientError,
    frameworkErrors: (err, _request, reply) => {
      void (reply as FastifyReply).code(400).send(errorBody(err.code === 'FST_ERR_BAD_URL' ? new BadUrl() : err));
    },
  });
  void app.register(modelServer, opts);
  return app;
}
