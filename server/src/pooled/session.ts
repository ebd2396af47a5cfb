// A /pooled session: register with the orchestrator, wait for a block hash, build the model, report ready, then
// compute the assigned public key and nonce range on every device, sending a result for every batch, until the
// orchestrator says shutdown, the session time limit, a client disconnect or the server's own shutdown.
// Stream lines and timeouts: model-server.md "POST /pooled".
import { streamNonces, type ModelParams, type StreamBatch } from '../../../addon/lib/index.js';
import type { ServerContext } from '../context.js';
import { deviceLabel } from '../engine.js';
import { ModelLoadTimeout, OrchestratorUnreachable } from '../errors.js';
import type { NdjsonStream } from '../http/ndjson.js';
import { batchSize, selectValid } from '../jobs/batches.js';
import { loadModel, toModelParams } from '../jobs/stream-job.js';
import { sleep } from '../sleep.js';
import { readMessage, type OrchestratorMessage, type PooledConfig } from './messages.js';
import { OrchestratorClient } from './orchestrator.js';
import { ResultOutbox } from './outbox.js';
import { Epochs, type Epoch } from './work.js';

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

  /** `signal`: client disconnect or server shutdown. Failures after registration still flush and notify. */
  async run(signal: AbortSignal): Promise<void> {
    const { stream, client } = this;
    const devices = this.ctx.engine.devices;
    stream.write({ status: 'registering', worker_id: client.workerId, gpu_count: devices.length });
    const gpuInfo = devices.map((d) => ({ index: d.info.index, name: d.info.name, total_memory: d.info.totalMemory }));
    try {
      this.apply(readMessage(await client.connect(gpuInfo, signal)));
    } catch (err) {
      if (signal.aborted) return;
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
    await this.close(failure === undefined);
    if (failure) throw failure.err;
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

  private async load(blockHash: string, params: ModelParams): Promise<number> {
    const loading = loadModel(this.ctx, blockHash, params);
    this.loading = loading;
    let timer: NodeJS.Timeout | undefined;
    const limitMs = this.ctx.config.pooledModelLoadTimeoutMs;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ModelLoadTimeout(limitMs / 1000)), limitMs);
    });
    try {
      return await Promise.race([loading, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async compute(signal: AbortSignal): Promise<void> {
    const { ctx } = this;
    const devices = ctx.engine.devices;
    this.epochs = new Epochs(devices.length);
    this.computeStarted = Date.now();
    this.restart(false);
    const stop = new AbortController();
    const limit = setTimeout(() => stop.abort(new Error('session time limit')), ctx.config.pooledMaxDurationMs);
    const running = AbortSignal.any([signal, stop.signal]);
    const polling = this.pollCommands(running, () => stop.abort(new Error('shutdown command')));
    try {
      for (let epoch = await this.epochs.next(running); epoch; epoch = await this.epochs.next(running)) {
        const current = epoch;
        await streamNonces(devices, {
          publicKey: current.publicKey,
          startNonce: current.first,
          endNonce: current.last,
          batchSize: (device) => batchSize(device, ctx.config.maxBatchSize),
          signal: AbortSignal.any([running, current.replaced.signal]),
          onBatch: (batch) => this.onBatch(current, batch),
        });
        if (!running.aborted && !current.replaced.signal.aborted) {
          current.done = true;
          this.log.info({ publicKey: current.publicKey.slice(0, 16) }, 'pooled: range done, waiting for a new key or range');
        }
      }
    } finally {
      stop.abort();
      clearTimeout(limit);
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
        await this.outbox.flush();
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

  private async onBatch(epoch: Epoch, { worker, device, nonces, dist, nextNonce, seconds }: StreamBatch): Promise<void> {
    const valid = selectValid(nonces, dist, this.config.r_target ?? 0);
    const counters = epoch.counters[worker];
    counters.batches += 1;
    counters.computed += nonces.length;
    counters.valid += valid.nonces.length;
    this.ctx.metrics.batch(device, nonces.length, valid.nonces.length, seconds);
    const result = {
      worker_id: worker,
      public_key: epoch.publicKey,
      block_hash: this.config.block_hash,
      block_height: this.config.block_height ?? 0,
      nonces: valid.nonces,
      dist: valid.dist,
      node_id: worker,
      batch_number: counters.batches,
      batch_computed: nonces.length,
      batch_valid: valid.nonces.length,
      total_computed: counters.computed,
      total_valid: counters.valid,
      elapsed_seconds: Math.floor((Date.now() - epoch.started) / 1000),
      next_nonce: nextNonce,
    };
    this.outbox.push(result);
    this.resultsSent += 1;
    this.stream.write(result);
    this.log.debug({ device: deviceLabel(device), valid: valid.nonces.length }, 'pooled: batch');
    await this.stream.drained();
  }

  private heartbeat(): void {
    const { pending, lost } = this.outbox;
    if (pending > 0) this.log.info({ pending, lost }, 'pooled: results waiting for the orchestrator');
    this.client.heartbeat(pending, lost).catch((err: unknown) => this.log.debug({ err }, 'pooled: heartbeat failed'));
  }

  /** Flushes the results (with the retry schedule), then tells the orchestrator the session is over. */
  private async close(announce: boolean): Promise<void> {
    const flushed = await this.ctx.http
      .retry(async () => {
        if (!(await this.outbox.flush())) throw new Error('results pending');
      })
      .then(() => true, () => false);
    if (!flushed) this.outbox.abandon();
    const session_duration = Math.floor((Date.now() - (this.computeStarted ?? this.started)) / 1000);
    const stats = {
      total_batches_sent: this.resultsSent, session_duration,
      results_delivered: this.outbox.delivered, pending_results: this.outbox.pending, lost_results: this.outbox.lost,
    };
    try {
      // An orchestrator that would not take the results gets one try, not the whole retry schedule.
      await this.client.shutdown(stats, flushed ? undefined : AbortSignal.abort());
    } catch (err) {
      this.log.warn({ err }, 'pooled: shutdown notification failed');
    }
    this.log.info(stats, 'pooled: session ended');
    if (announce) this.stream.write({ status: 'shutdown', total_batches_sent: this.resultsSent, session_duration });
  }
}
