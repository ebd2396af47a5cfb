// The Engine API: devices of one backend, the model they all run, and batches of nonces. Every long call is a
// Promise over a native AsyncWorker; the event loop never waits on compute. Scheduling and cancellation (stop
// asking for batches) belong to the caller.
import type { NativeBinding, NativeDevice, NativeModel } from './native-types.js';
import { EngineError, ErrorCodes } from './errors.js';
import { checkHostMemory } from './host-limit.js';
import { estimateHostMemory } from './memory.js';
import { loadNative } from './native.js';
import type { Backend, BatchResult, DeviceInfo, ModelParams, NonceDetails, WeightDigest } from './types.js';

export interface EngineOptions {
  /** 'auto': every CUDA device when there is one, else the CPU. */
  backend: Backend | 'auto';
  /** CUDA ordinals to use (default: all). An ordinal named twice is two logical devices on one GPU, each with its
   *  own context, stream, weights and queue (and memoryLimitGb each). */
  devices?: number[];
  /** CPU backend: this many devices, the threads split evenly between them (default 1). */
  cpuDevices?: number;
  /** CPU compute threads (0 or absent: every core). */
  threads?: number;
  /** CUDA: plan each device's memory as if it had only this many GiB (e.g. 24 to run as on a 24 GB card). */
  memoryLimitGb?: number;
}

/** Validates nonces at the boundary: non-negative safe integers, at least one. */
export function toNonceArray(nonces: readonly number[]): Float64Array {
  if (nonces.length === 0) throw new EngineError(ErrorCodes.invalidArgument, 'nonces: at least one nonce is required');
  for (const n of nonces) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new EngineError(ErrorCodes.invalidArgument, `nonces: ${n} is not a non-negative safe integer`);
    }
  }
  return Float64Array.from(nonces);
}

/** A model built on the host for one (block hash, params): the pool, target and tables every device loads. */
export class HostModel {
  constructor(
    readonly blockHash: string,
    readonly params: ModelParams,
    /** @internal */ readonly native: NativeModel,
  ) {}

  static async build(blockHash: string, params: ModelParams, threads = 0): Promise<HostModel> {
    const native = loadNative();
    const resolved = threads > 0 ? threads : native.hardwareThreads();
    checkHostMemory(estimateHostMemory(params, { backend: 'host', threads: resolved }).total, 'the model');
    return new HostModel(blockHash, params, await native.buildModel(blockHash, params, threads));
  }

  get info() {
    return this.native.info();
  }

  async weightDigests(threads = 0): Promise<WeightDigest[]> {
    return this.native.weightDigests(threads);
  }

  async nonceDetails(publicKey: string, nonces: readonly number[], threads = 0): Promise<NonceDetails[]> {
    const list = await this.native.nonceDetails(publicKey, toNonceArray(nonces), threads);
    return list.map((d, i) => ({ nonce: nonces[i], ...d }));
  }

  targetSha256(): string {
    return this.native.targetSha256();
  }

  /** Frees the model's host memory once no device or call in flight holds it; later calls fail with ERR_CLOSED. */
  release(): void {
    this.native.release();
  }
}

/** One device of the engine: a thin handle on its native owner, which puts loads and batches in order and
 *  decides how many batches may be in flight (pipelineDepth). Its figures (memory, preferred batch) are read at
 *  once, never behind a batch. */
export class EngineDevice {
  constructor(
    readonly info: DeviceInfo,
    private readonly native: NativeDevice,
    /** "cpu:0", "cuda:1"; "cuda:0#1" for the second logical device on one GPU. */
    readonly label: string,
  ) {}

  /** Batch size this device runs best with for the loaded model (0 before a model is loaded). */
  get preferredBatch(): number {
    return this.native.preferredBatch();
  }

  /** Batches a caller keeps in flight on this device (2 on CUDA: the next batch's inputs are made while one
   *  computes; 1 on the CPU, whose batch needs every core). */
  get pipelineDepth(): number {
    return this.native.pipelineDepth();
  }

  run(publicKey: string, nonces: readonly number[], opts: { logits?: boolean } = {}): Promise<BatchResult> {
    let array: Float64Array;
    try {
      array = toNonceArray(nonces);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.native.run(publicKey, array, opts.logits === true);
  }

  /** Bytes the device holds for the engine now, and the peak so far; read at once, also while a batch runs. */
  memory(): { inUse: number; peak: number } {
    return this.native.memory();
  }

  /** @internal */
  load(model: HostModel): Promise<{ weightBytes: number; scratchBytes: number; seconds: number }> {
    return this.native.load(model.native);
  }

  /** @internal Drops the device's model and its scratch (preferredBatch becomes 0). */
  unload(): Promise<void> {
    return this.native.unload();
  }

  /** @internal */
  close(): Promise<void> {
    return this.native.close();
  }
}

export interface SkippedDevice {
  info: DeviceInfo;
  reason: string;
}

export class Engine {
  private model: HostModel | undefined;
  private loading: Promise<{ reused: boolean; seconds: number }> | undefined;
  private closed = false;
  private active: EngineDevice[];
  /** Devices that could not take the current model (e.g. too little memory), with the reason. */
  skipped: SkippedDevice[] = [];

  private constructor(
    readonly backend: Backend,
    private readonly all: EngineDevice[],
    readonly cudaUnavailableReason: string | undefined,
    private readonly threads: number,
  ) {
    this.active = all;
  }

  static async open(opts: EngineOptions): Promise<Engine> {
    const native: NativeBinding = loadNative();
    const threads = opts.threads ?? 0;
    let backend: Backend = opts.backend === 'auto' ? 'cuda' : opts.backend;
    let reason: string | undefined;
    let infos: DeviceInfo[] = [];
    let deviceThreads = threads;
    if (backend === 'cuda') {
      const listed = native.listDevices('cuda');
      infos = opts.devices ? opts.devices.flatMap((i) => listed.devices.filter((d) => d.index === i)) : listed.devices;
      if (infos.length === 0) {
        reason = listed.reason ?? (opts.devices ? `no CUDA device among ${opts.devices.join(',')}` : 'no CUDA device');
        if (opts.backend === 'cuda') throw new EngineError(ErrorCodes.noBackend, `CUDA backend unavailable: ${reason}`);
        backend = 'cpu';
      }
    }
    if (backend === 'cpu') {
      const count = Math.max(1, opts.cpuDevices ?? 1);
      if (count > 1) deviceThreads = Math.max(1, Math.floor((threads > 0 ? threads : native.hardwareThreads()) / count));
      infos = Array.from({ length: count }, () => native.listDevices('cpu', deviceThreads).devices[0]);
    }
    const limit = opts.memoryLimitGb ? Math.round(opts.memoryLimitGb * 2 ** 30) : 0;
    const devices = await Promise.all(infos.map((d) => native.openDevice(backend, d.index, deviceThreads, limit)));
    const labels = deviceLabels(infos);
    return new Engine(backend, devices.map((d, i) => new EngineDevice(infos[i], d, labels[i])), reason, threads);
  }

  /** Devices running the current model (all devices before the first load). */
  get devices(): readonly EngineDevice[] {
    return this.active;
  }

  get loaded(): { blockHash: string; params: ModelParams } | undefined {
    return this.model && { blockHash: this.model.blockHash, params: this.model.params };
  }

  /** The host model of the current job (digests and details for the CLI and validators). */
  get hostModel(): HostModel | undefined {
    return this.model;
  }

  /** Builds the model for (blockHash, params) and loads it on every device; the same job again is reused. */
  async load(blockHash: string, params: ModelParams): Promise<{ reused: boolean; seconds: number }> {
    if (this.closed) throw new EngineError(ErrorCodes.closed, 'engine is closed');
    while (this.loading) await this.loading.catch(() => undefined);
    if (this.model && this.model.blockHash === blockHash && sameParams(this.model.params, params)) {
      return { reused: true, seconds: 0 };
    }
    this.loading = this.doLoad(blockHash, params);
    try {
      return await this.loading;
    } finally {
      this.loading = undefined;
    }
  }

  private async doLoad(blockHash: string, params: ModelParams): Promise<{ reused: boolean; seconds: number }> {
    const started = performance.now();
    // Refused before anything is dropped or allocated: the current model stays loaded and usable.
    checkHostMemory(this.hostMemoryNeeded(params), this.backend === 'cpu' ? 'the model with its first CPU batch'
      : 'the host model');
    // The devices drop the current model and their scratch, and the host model is released, before the next one is
    // built, so the two are never held at once. Released explicitly: V8 sees only a small wrapper and would collect
    // it late, so each replaced model would stay resident for a while (hundreds of MB for PARAMS_V1).
    const previous = this.model;
    this.model = undefined;
    await Promise.allSettled(this.all.map((d) => d.unload()));
    previous?.release();
    const model = await HostModel.build(blockHash, params, this.threads);
    const results = await Promise.allSettled(this.all.map((d) => d.load(model)));
    const active: EngineDevice[] = [];
    const skipped: SkippedDevice[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') active.push(this.all[i]);
      else skipped.push({ info: this.all[i].info, reason: (r.reason as Error).message });
    });
    this.skipped = skipped;
    if (active.length === 0) {
      const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw first?.reason;
    }
    // Fatal device errors are not "lacks memory": surface them instead of silently shrinking the engine.
    const fatal = results.find(
      (r): r is PromiseRejectedResult => r.status === 'rejected' && (r.reason as EngineError).code === ErrorCodes.device,
    );
    if (fatal) throw fatal.reason;
    this.active = active;
    this.model = model;
    return { reused: false, seconds: (performance.now() - started) / 1000 };
  }

  /** Peak host bytes loading `params` takes (memory.ts): on the CPU backend the model, the device's tables and its
   *  first batch of its own preferred size (a caller that sends smaller batches needs less). */
  hostMemoryNeeded(params: ModelParams): number {
    const threads = this.backend === 'cpu' ? this.all[0].info.threads
      : this.threads > 0 ? this.threads : loadNative().hardwareThreads();
    const one = estimateHostMemory(params, { backend: this.backend, threads });
    // Every further CPU device adds its own tables, scratch and batch inputs; the model is shared.
    return one.total + (this.backend === 'cpu' ? (this.all.length - 1) * (one.tables + one.scratch + one.inputs) : 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.all.map((d) => d.close()));
    this.model?.release();
    this.model = undefined;
  }
}

/** "backend:index", and "#k" after it when an ordinal appears more than once (logical devices on one GPU or CPU). */
function deviceLabels(infos: readonly DeviceInfo[]): string[] {
  const count = new Map<string, number>();
  for (const d of infos) count.set(`${d.backend}:${d.index}`, (count.get(`${d.backend}:${d.index}`) ?? 0) + 1);
  const seen = new Map<string, number>();
  return infos.map((d) => {
    const base = `${d.backend}:${d.index}`;
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    return (count.get(base) ?? 0) > 1 ? `${base}#${k}` : base;
  });
}

function sameParams(a: ModelParams, b: ModelParams): boolean {
  return (Object.keys(a) as (keyof ModelParams)[]).every((k) => a[k] === b[k]);
}
