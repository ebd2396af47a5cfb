// Assembles a running worker from a configuration (docs/pyworker.md §1.3, §1.4): both listeners, then concurrently the
// public key fetch, the model log follower, the reporter loops, the session sweep and the health watcher.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { sleep } from '../../common/src/deadline.js';
import { Accounting } from './accounting.js';
import { AutoscalerClient } from './autoscaler-client.js';
import type { WorkerConfig } from './config.js';
import { clientField } from './client-field.js';
import { DiskUsage } from './disk.js';
import { LaunchError } from './errors.js';
import { FifoQueue } from './fifo.js';
import { HealthWatcher } from './health-watch.js';
import { ModelLifecycle } from './lifecycle.js';
import { followLog } from './log-tail.js';
import { Probe } from './model-probe.js';
import { fetchPubkey, PUBKEY_FAILURE } from './pubkey.js';
import { modelServerAgent } from './relay.js';
import { Reporter } from './reporter.js';
import type { RouteContext } from './handle-request.js';
import { closeServer, listen, mainServer, plainServer } from './listeners.js';
import { mainListener, secondListener } from './router.js';
import { SessionStore } from './sessions.js';

export interface WorkerHandle {
  /** The bound ports (useful with port 0). */
  readonly port: number;
  readonly httpPort: number;
  readonly accounting: Accounting;
  readonly lifecycle: ModelLifecycle;
  readonly reporter: Reporter;
  readonly sessions: SessionStore;
  readonly fifo: FifoQueue;
  readonly health: HealthWatcher;
  /** The autoscaler's public key once fetched. */
  pubkey(): KeyObject | undefined;
  /**
   * A fatal error the worker learnt from outside (the model server's process exited): set it (sticky) and send one
   * worker_status at once, bounded by the reporter's attempts and timeouts (and `signal`); true when delivered.
   */
  reportFatal(msg: string, signal: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}


export async function startWorker(config: WorkerConfig, log: Logger): Promise<WorkerHandle> {
  const startedAt = Date.now();
  const stop = new AbortController();
  const signal = stop.signal;
  const accounting = new Accounting();
  const dispatcher = modelServerAgent();
  const fifo = new FifoQueue();
  const sessions = new SessionStore({
    accounting,
    maxSessions: config.maxSessions,
    modelServerUrl: config.modelServerUrl,
    closeTimeoutMs: config.timings.sessionCloseTimeoutMs,
    log,
  });
  let pubkey: KeyObject | undefined;
  const ctx: RouteContext = { config, log, accounting, fifo, dispatcher, sessions, pubkey: () => pubkey };

  const servers: Server[] = [];
  try {
    servers.push(await mainServer(config, mainListener(ctx)), plainServer(secondListener(ctx)));
    await listen(servers[0], config.workerPort, config.host);
    await listen(servers[1], config.workerHttpPort, config.host);
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    await dispatcher.close();
    throw new LaunchError((err as Error).message);
  }
  const [port, httpPort] = servers.map((s) => (s.address() as AddressInfo).port);
  log.info({ port, httpPort, ssl: config.useSsl, model_server: config.modelServerUrl }, 'worker listening');

  const t = config.timings;
  const client = new AutoscalerClient({
    attempts: t.reportAttempts,
    timeoutMs: t.reportTimeoutMs,
    retryGapMs: t.reportRetryGapMs,
    log,
  });
  const disk = new DiskUsage(config.diskPath);
  await disk.delta();
  const reporter = new Reporter({
    id: config.containerId,
    mtoken: config.masterToken,
    url: config.publicUrl,
    reportAddrs: config.reportAddrs,
    tickMs: t.reportTickMs,
    maxSilenceMs: t.reportMaxSilenceMs,
    deleteTickMs: t.deleteTickMs,
    accounting,
    client,
    disk,
    log,
  });

  const pubkeyPromise: Promise<KeyObject | undefined> = config.unsecured
    ? Promise.resolve(undefined)
    : fetchPubkey({
        reportAddr: config.reportAddrs[0],
        attempts: t.pubkeyAttempts,
        backoffMs: t.pubkeyBackoffMs,
        timeoutMs: t.pubkeyTimeoutMs,
        log,
        signal,
      }).then((key) => {
        pubkey = key;
        if (key === undefined && !signal.aborted) accounting.setError(PUBKEY_FAILURE);
        return key;
      });
  const probe = new Probe(`${config.modelServerUrl}${config.modelHealthPath}`, t.probeTimeoutMs);
  const health = new HealthWatcher({
    probe,
    intervalMs: t.healthIntervalMs,
    failures: t.healthFailures,
    accounting,
    isLoaded: () => lifecycle.hasLoaded,
    log,
  });
  const lifecycle = new ModelLifecycle({
    config,
    accounting,
    dispatcher,
    probe,
    log,
    startedAt,
    pubkeyReady: () => pubkeyPromise,
    onLoaded: () => health.reset(),
    signal,
  });

  const loops = [
    pubkeyPromise,
    reporter.run(signal),
    followLog(
      {
        path: config.modelLog,
        pollMs: t.logPollMs,
        waitMs: t.logWaitMs,
        partialFlushMs: t.logPartialFlushMs,
        onLine: (line) => lifecycle.onLine(line),
        log,
      },
      signal,
    ),
    sessionSweep(sessions, t.sessionGcMs, signal),
    health.run(signal),
  ].map((p) => p.catch((err: unknown) => log.error({ err }, 'worker loop failed')));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stop.abort();
      await Promise.all(servers.map(closeServer));
      await Promise.all(loops);
      await lifecycle.idle();
      await Promise.all([client.close(), dispatcher.close(), probe.close(), sessions.dispose()]);
    })());

  const reportFatal = async (msg: string, cut: AbortSignal): Promise<boolean> => {
    accounting.setError(msg);
    log.error({ error_msg: clientField(accounting.errorMsg, 500) }, 'reporting a fatal error to the autoscaler');
    return reporter.sendStatus(cut);
  };

  return { port, httpPort, accounting, lifecycle, reporter, sessions, fifo, health, pubkey: () => pubkey, reportFatal, close };
}

async function sessionSweep(sessions: SessionStore, everyMs: number, signal: AbortSignal): Promise<void> {
  while (await sleep(everyMs, signal)) await sessions.sweep();
}
