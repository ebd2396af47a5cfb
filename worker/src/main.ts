// `llama-gpu-bench worker`: the PyWorker replacement's process. Reads the configuration, runs the worker until
// SIGTERM or SIGINT, then closes it. A worker that cannot start reports why to the autoscaler until stopped.

import { beaconTarget, ConfigError, loadConfig, type WorkerConfig } from './config.js';
import { runBeacon } from './beacon.js';
import { workerLogger } from './logger.js';
import { LaunchError, startWorker } from './worker.js';

const BEACON_INTERVAL_MS = 10_000;

export async function main(): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    let config: WorkerConfig;
    try {
      config = loadConfig();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const target = beaconTarget();
      process.exitCode = 1;
      await runBeacon(
        { ...target, url: '', errorMsg: err.message, intervalMs: BEACON_INTERVAL_MS, log: workerLogger('info') },
        stop.signal,
      );
      return;
    }
    const log = workerLogger(config.logLevel);
    let handle;
    try {
      handle = await startWorker(config, log);
    } catch (err) {
      if (!(err instanceof LaunchError)) throw err;
      process.exitCode = 1;
      await runBeacon(
        {
          id: config.containerId,
          mtoken: config.masterToken,
          url: config.publicUrl,
          reportAddrs: config.reportAddrs,
          errorMsg: err.message,
          intervalMs: config.timings.beaconMs,
          log,
        },
        stop.signal,
      );
      return;
    }
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    log.info('stopping the worker');
    await handle.close();
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
