// A /pooled session: register with the orchestrator, wait for a block hash, build the model, report ready, then
// compute the assigned public key and nonce range on every device, sending a result for every batch, until the
// orchestrator says shutdown, the session time limit, a client disconnect, a newer job taking over or the server's
// own shutdown. Then the results are flushed and the orchestrator told, within the cleanup bound of the lease.
// Stream lines and timeouts: docs/model-server.md "POST /pooled".
import { streamNonces, type ModelParams, type StreamBatch } from '../../../addon/lib/index.js';
import { anySignal, Deadline, sleep, untilAborted } from '../../../common/src/deadline.js';
import type { ServerContext } from '../context.js';
import { ModelLoadTimeout, OrchestratorUnreachable } from '../errors.js';
import type { NdjsonStream } from '../http/ndjson.js';
import { batchSize } from '../jobs/batches.js';
import { resultLine } from '../jobs/result-line.js';
import { stopReason, type Lease } from '../jobs/slot.js';
import { loadModel, toModelParams } from '../jobs/model.js';
import type { JobSummary } from '../jobs/stream-job.js';
import { readMessage, type OrchestratorMessage, type PooledConfig } from './messages.js';
import { OrchestratorClient } from './orchestrator.js';
import { ResultOutbox } from './outbox.js';
import { Epochs, type Epoch } from './epochs.js';

/** After the cleanup's time ran out, the shutdown notice still gets one try this short (a shutdown's last
 *  seconds are reserved for it and for closing the stream). */
const LAST_NOTICE_MS = 1000;

export class PooledSession {
  private readonly client: OrchestratorClient;
  private readonly outbox: ResultOutbox;
  private readonly config: PooledConfig = {};
  private readonly log;
  private epochs: Epochs | undefined;
  private readonly started = Date.now();
  private computeStarted: number | undefined;
  private resultsSent = 0;
  private loading: Promise<unknown> | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly stream: NdjsonStream,
    private readonly lease: Lease,
    orchestratorUrl: string,
  ) {
    this.client = new OrchestratorClient(ctx.http, orchestratorUrl);
    this.log = ctx.log.child({ pooledWorker: this.client.workerId });
    this.outbox = new ResultOutbox(this.client, {
      limit: ctx.config.pooledResultBuffer,
      retryDelayMs: ctx.config.httpRetryBaseMs,
      log: this.log,
      onChange: (pending, lost) => {
        ctx.metrics.pooledPending(pending);
        if (lost > 0) ctx.metrics.pooledLost(lost);
      },
    });
  }

  /** `signal`: client disconnect, takeover or server shutdown. Failures after registration still flush and notify. */
  async run(signal: AbortSignal): Promise<JobSummary> {
    const { stream, client } = this;
    const devices = this.ctx.engine.devices;
    stream.write({ status: 'registering', worker_id: client.workerId, gpu_count: devices.length });
    const gpuInfo = devices.map((d) => ({ index: d.info.index, name: d.info.name, total_memory: d.info.totalMemory }));
    try {
      this.apply(readMessage(await client.connect(gpuInfo, signal)));
    } catch (err) {
      if (signal.aborted) return undefined;
      this.log.warn({ err }, 'pooled: registration failed');
      throw new OrchestratorUnreachable('Failed to register with orchestrator');
    }
    stream.write({ status: 'registered', worker_id: client.workerId });
    const heartbeat = setInterval(() => this.heartbeat(), this.ctx.config.pooledHeartbeatIntervalMs).unref();
    let failure: { err: unknown } | undefined;
    try {
      await this.serve(signal);
    } catch (err) {
      failure = { err };
    }
    clearInterval(heartbeat);
    await this.loading?.catch(() => undefined); // the devices are ours until a build in progress ends
    const stats = await this.close(failure === undefined && stopReason(this.lease.stop) !== 'superseded');
    if (failure) throw failure.err;
    return stats;
  }

  private async serve(signal: AbortSignal): Promise<void> {
    const { stream, ctx } = this;
    stream.write({ status: 'waiting_block_hash' });
    if (!(await this.waitForBlockHash(signal))) return;
    const blockHash = this.config.block_hash as string;
    stream.write({ status: 'received_block_hash', block_hash: blockHash.slice(0, 16) });
    stream.write({ status: 'loading_model' });
    const seconds = await this.load(blockHash, toModelParams(this.config.params));
    stream.write({ status: 'model_loaded', load_time: Math.floor(seconds) });
    try {
      this.apply(readMessage(await this.client.ready(ctx.engine.devices.length, signal)));
    } catch (err) {
      if (signal.aborted) return;
      this.log.warn({ err }, 'pooled: ready notification failed');
      throw new OrchestratorUnreachable('Failed to notify ready');
    }
    stream.write({ status: 'ready', public_key: this.config.public_key?.slice(0, 16) ?? null });
    stream.write({ status: 'computing' });
    await this.compute(signal);
  }

  /** Polls until a config brings a block hash; false on timeout, a shutdown command or a stop. */
  private async waitForBlockHash(signal: AbortSignal): Promise<boolean> {
    const { pooledMaxDurationMs, pooledPollIntervalMs } = this.ctx.config;
    const deadline = this.started + pooledMaxDurationMs;
    while (this.config.block_hash === undefined) {
      if (signal.aborted) return false;
      if (Date.now() >= deadline) {
        this.log.warn('pooled: no block_hash before the time limit');
        this.stream.write({ status: 'timeout', message: 'No block_hash received' });
        return false;
      }
      const message = await this.poll(signal);
      if (message?.type === 'shutdown') return false;
      if (message) this.apply(message);
      if (this.config.block_hash === undefined) {
        await sleep(Math.min(pooledPollIntervalMs, Math.max(0, deadline - Date.now())), signal);
      }
    }
    return true;
  }

  /** Builds the model within POOLED_MODEL_LOAD_TIMEOUT. A build cannot be cut short: past the limit the session
   *  fails, and keeps the devices until the build has ended. */
  private async load(blockHash: string, params: ModelParams): Promise<number> {
    const loading = loadModel(this.ctx, blockHash, params);
    this.loading = loading;
    const limitMs = this.ctx.config.pooledModelLoadTimeoutMs;
    const limit = new Deadline(limitMs, { what: 'model build limit' });
    try {
      return await untilAborted(loading, limit.signal);
    } catch (err) {
      if (!limit.expired) throw err;
      this.log.warn({ limitMs }, 'pooled: the model build ran past its limit; the session ends when it is over');
      throw new ModelLoadTimeout(limitMs / 1000);
    } finally {
      limit.dispose();
    }
  }

  private async compute(signal: AbortSignal): Promise<void> {
    const { ctx } = this;
    const devices = ctx.engine.devices;
    this.epochs = new Epochs(devices.length);
    this.computeStarted = Date.now();
    this.restart(false);
    const command = new AbortController();
    const session = new Deadline(ctx.config.pooledMaxDurationMs, { parents: [signal, command.signal], what: 'session time limit' });
    const running = session.signal;
    const polling = this.pollCommands(running, () => command.abort(new Error('shutdown command')));
    try {
      for (let epoch = await this.epochs.next(running); epoch; epoch = await this.epochs.next(running)) {
        const current = epoch;
        const stop = anySignal(running, current.replaced.signal);
        try {
          await streamNonces(devices, {
            publicKey: current.publicKey,
            startNonce: current.first,
            endNonce: current.last,
            batchSize: (device) => batchSize(device, ctx.config.maxBatchSize),
            signal: stop.signal,
            onBatch: (batch) => this.onBatch(current, batch, stop.signal),
          });
        } finally {
          stop.dispose();
        }
        if (!running.aborted && !current.replaced.signal.aborted) {
          current.done = true;
          this.log.info({ publicKey: current.publicKey.slice(0, 16) }, 'pooled: range done, waiting for a new key or range');
        }
      }
    } finally {
      command.abort();
      session.dispose();
      await polling;
    }
  }

  private async pollCommands(signal: AbortSignal, shutdown: () => void): Promise<void> {
    while (await sleep(this.ctx.config.pooledPollIntervalMs, signal)) {
      const message = await this.poll(signal);
      if (!message) continue;
      if (message.type === 'shutdown') {
        this.log.info('pooled: shutdown command');
        shutdown();
        return;
      }
      if (message.type === 'switch_job' && message.config.public_key !== undefined) {
        await this.outbox.flush(signal);
        this.apply(message);
        if (this.restart(true)) this.stream.write({ status: 'switched_public_key', public_key: message.config.public_key.slice(0, 16) });
      } else {
        this.apply(message);
        this.restart(false);
      }
    }
  }

  /** GET config, once; undefined when the orchestrator has nothing or cannot be reached (polling goes on). */
  private async poll(signal: AbortSignal): Promise<OrchestratorMessage | undefined> {
    try {
      return readMessage(await this.client.pollConfig(signal));
    } catch (err) {
      if (!signal.aborted) this.log.debug({ err }, 'pooled: config poll failed');
      return undefined;
    }
  }

  /** Takes a message's config fields. Once the model is being built, another block hash or params is ignored:
   *  the reference cannot switch models mid-session either; the orchestrator starts a new session for that. */
  private apply(message: OrchestratorMessage): void {
    if (message.ignored.length > 0) this.log.warn({ fields: message.ignored }, 'pooled: unusable config fields ignored');
    const update = { ...message.config };
    if (this.loading !== undefined) {
      const { block_hash, params } = update;
      if ((block_hash !== undefined && block_hash !== this.config.block_hash)
        || (params !== undefined && JSON.stringify(params) !== JSON.stringify(this.config.params))) {
        this.log.warn('pooled: a new block_hash or params during a session is ignored');
      }
      delete update.block_hash;
      delete update.params;
    }
    Object.assign(this.config, update);
  }

  /** Starts a new epoch when the key or range changed (or always, `force`); true when one started. */
  private restart(force: boolean): boolean {
    const { public_key: key, nonce_range_start: first, nonce_range_end: last, r_target } = this.config;
    if (!this.epochs || key === undefined || first === undefined || last === undefined || r_target === undefined) return false;
    if (!force && this.epochs.isCurrent(key, first, last)) return false;
    this.epochs.start(key, first, last);
    this.log.info({ publicKey: key.slice(0, 16), first, last }, 'pooled: computing a key and range');
    return true;
  }

  private async onBatch(epoch: Epoch, batch: StreamBatch, stop: AbortSignal): Promise<void> {
    const id = { publicKey: epoch.publicKey, blockHash: this.config.block_hash ?? '', blockHeight: this.config.block_height ?? 0,
      rTarget: this.config.r_target ?? 0, started: epoch.started };
    // An orchestrator that receives a result twice (a timed-out send that did arrive, then sent again) can tell.
    const result = { result_id: `${this.client.workerId}:${this.resultsSent + 1}`, ...resultLine(id, batch, epoch.counters[batch.worker]) };
    this.ctx.metrics.batch(batch.device, result.batch_computed, result.batch_valid, batch.seconds);
    this.outbox.push(result);
    this.resultsSent += 1;
    this.stream.write(result);
    this.log.debug({ device: batch.device.label, valid: result.batch_valid }, 'pooled: batch');
    await this.stream.drained(stop);
  }

  private heartbeat(): void {
    const { pending, lost } = this.outbox;
    if (pending > 0) this.log.info({ pending, lost }, 'pooled: results waiting for the orchestrator');
    this.client.heartbeat(pending, lost).catch((err: unknown) => this.log.debug({ err }, 'pooled: heartbeat failed'));
  }

  /**
   * Flushes the results (the retry schedule), then tells the orchestrator the session is over, all within the
   * lease's cleanup bound (a takeover or a shutdown cuts it short). What could not be delivered by then is counted
   * lost, logged, and reported in the stats of the shutdown call and of the last line.
   */
  private async close(announce: boolean): Promise<Record<string, number>> {
    const cleanup = this.lease.cleanup();
    let notice: Deadline | undefined;
    try {
      const flushed = await this.ctx.http
        .retry(async () => {
          if (!(await this.outbox.flush(cleanup.signal))) throw new Error('results pending');
        }, cleanup.signal)
        .then(() => true, () => false);
      this.outbox.close(cleanup.signal.aborted ? 'the session cleanup ran out of time' : 'the orchestrator did not take them');
      const session_duration = Math.floor((Date.now() - (this.computeStarted ?? this.started)) / 1000);
      const stats = {
        total_batches_sent: this.resultsSent, session_duration,
        results_delivered: this.outbox.delivered, pending_results: this.outbox.pending, lost_results: this.outbox.lost,
      };
      // An orchestrator that would not take the results gets one try, not the whole retry schedule; one whose
      // time ran out gets one short try.
      notice = cleanup.signal.aborted ? new Deadline(Math.min(this.ctx.config.httpTimeoutMs, LAST_NOTICE_MS)) : undefined;
      try {
        await this.client.shutdown(stats, (notice ?? cleanup).signal, flushed && notice === undefined);
      } catch (err) {
        this.log.warn({ err }, 'pooled: shutdown notification failed');
      }
      this.log.info(stats, 'pooled: session ended');
      if (announce) this.stream.write({ status: 'shutdown', ...stats });
      return stats;
    } finally {
      cleanup.dispose();
      notice?.dispose();
    }
  }
}
