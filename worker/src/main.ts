// `llama-gpu-bench worker`: the PyWorker replacement's process. Reads the configuration, runs the worker until a
// signal, then closes it. A worker that cannot start reports why to the autoscaler until stopped.
//
// SIGTERM, SIGINT: a clean stop, status 0, nothing reported. SIGUSR2: the model server's process is gone
// (start_server.sh sends it when its model server exits first). Without a word the autoscaler would only see the
// reports stop and keep routing to this instance for a while; so error_msg becomes "Model server exited" (sticky),
// one worker_status carries it at once, then the worker closes and exits with status 1. (Not SIGUSR1: Node starts
// its inspector on it.) A SIGTERM or SIGINT during that report cuts it short.

import { aborted } from '../../common/src/deadline.js';
import { beaconTarget, ConfigError, loadConfig, type WorkerConfig } from './config.js';
import { runBeacon } from './beacon.js';
import { workerLogger } from './logger.js';
import { LaunchError } from './errors.js';
import { startWorker } from './worker.js';

const BEACON_INTERVAL_MS = 10_000;

export const MODEL_EXITED = 'Model server exited';
/** The reason `stop` carries after SIGUSR2. */
const MODEL_EXIT_SIGNAL = 'SIGUSR2';

export async function main(): Promise<void> {
  const stop = new AbortController();
  const cut = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    stop.abort(signal);
    cut.abort(signal);
  };
  const onModelExit = (): void => stop.abort(MODEL_EXIT_SIGNAL);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  process.on('SIGUSR2', onModelExit);
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
    await aborted(stop.signal);
    if (stop.signal.reason === MODEL_EXIT_SIGNAL) {
      process.exitCode = 1;
      log.error('SIGUSR2: the model server exited; reporting it, then stopping');
      if (!(await handle.reportFatal(MODEL_EXITED, cut.signal))) log.warn('the final worker_status could not be delivered');
    } else {
      log.info('stopping the worker');
    }
    await handle.close();
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGUSR2', onModelExit);
  }
}
