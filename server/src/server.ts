// The model server process: configuration from the environment, the engine, the app, the listener, and a
// graceful shutdown on SIGINT/SIGTERM (stop the job, flush pooled results, close the engine) or after a fatal
// device failure (exit status 1, unless EXIT_ON_FATAL=false). `llama-gpu-bench serve` calls main().
import { Engine } from '../../addon/lib/index.js';
import { createLogger } from '../../common/src/log.js';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

/** The line the PyWorker waits for in the model log (docs/pyworker.md §5): printed once, after the port accepts. */
export const STARTUP_LINE = 'Application startup complete.';

/** Runs the server until SIGINT/SIGTERM (resolves after the graceful shutdown) or, with EXIT_ON_FATAL, a fatal
 *  device failure (rejects with it after the shutdown, so the caller exits non-zero). */
export async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger({ service: 'model-server', level: config.logLevel });
  const engine = await Engine.open({ backend: config.backend, devices: config.devices, threads: config.threads,
    cpuDevices: config.cpuDevices, memoryLimitGb: config.memoryLimitGb });
  log.info(
    { backend: engine.backend, devices: engine.devices.map((d) => `${d.label} ${d.info.name}`), cuda: engine.cudaUnavailableReason },
    'engine open',
  );

  let stopping: Promise<void> | undefined;
  let fatal: Error | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const stop = (exitCode: number, reason: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'shutting down');
      process.exitCode = exitCode;
      const force = setTimeout(() => {
        log.error({ timeoutMs: config.shutdownTimeoutMs }, 'graceful shutdown took too long: exiting now');
        process.exit(exitCode || 1);
      }, config.shutdownTimeoutMs);
      force.unref();
      try {
        await app.close();
        await engine.close();
      } catch (err) {
        log.error({ err }, 'shutdown failed');
        process.exitCode = exitCode || 1;
      }
      log.info('stopped');
      stopped();
    })();
    return stopping;
  };

  const app = buildApp({
    engine,
    config,
    logger: log,
    onFatal: (err) => {
      if (!config.exitOnFatal) return;
      fatal = err;
      void stop(1, 'fatal device failure');
    },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(process.exitCode || 1);
      }
      void stop(0, signal);
    });
  }

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await engine.close();
    throw err;
  }
  process.stdout.write(`${STARTUP_LINE}\n`);
  await done;
  if (fatal) throw fatal;
}
