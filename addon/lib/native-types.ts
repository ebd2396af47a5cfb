// Hand-typed exports of the native addon (addon/src/binding/addon.cc, errors.cc). Only the engine, its errors and
// tests use these; native.ts loads the addon.
import type { DeviceInfo, ModelParams, NonceDetails, WeightDigest } from './types.js';

/** The engine's error codes by name, as core/error.h defines them (their one definition). */
export interface NativeErrorCodes {
  readonly invalidParams: string;
  readonly invalidArgument: string;
  readonly outOfMemory: string;
  readonly noModel: string;
  readonly device: string;
  readonly noBackend: string;
  readonly closed: string;
  readonly internal: string;
}

export interface NativeModel {
  info(): { blockHash: string; poolSize: number; totalParams: number; ffnHiddenDim: number; parameterCount: number };
  weightDigests(threads?: number): Promise<WeightDigest[]>;
  nonceDetails(publicKey: string, nonces: Float64Array, threads?: number): Promise<Omit<NonceDetails, 'nonce'>[]>;
  targetSha256(): string;
  /** Frees the host model as soon as no device or call in flight holds it; later calls fail with ERR_CLOSED. */
  release(): void;
}

export interface NativeDevice {
  info(): DeviceInfo;
  load(model: NativeModel): Promise<{ weightBytes: number; scratchBytes: number; seconds: number }>;
  unload(): Promise<void>;
  run(publicKey: string, nonces: Float64Array, wantLogits: boolean): Promise<{ dist: Float64Array; logits?: Uint16Array }>;
  preferredBatch(): number;
  pipelineDepth(): number;
  memory(): { inUse: number; peak: number };
  close(): Promise<void>;
}

export interface NativeBinding {
  buildModel(blockHash: string, params: ModelParams, threads: number): Promise<NativeModel>;
  listDevices(backend: 'cpu' | 'cuda', threads?: number): { devices: DeviceInfo[]; reason?: string };
  openDevice(backend: 'cpu' | 'cuda', index: number, threads: number, memoryLimitBytes?: number): Promise<NativeDevice>;
  measureGemmTflops(index: number, m?: number, n?: number, k?: number): Promise<number>;
  hardwareThreads(): number;
  /** Every error the addon reports from now on is an instance of `cls`, constructed as new cls(code, message). */
  setErrorClass(cls: new (code: string, message: string) => Error): void;
  errorCodes: NativeErrorCodes;
  /** The test addon's test-only exports (addon/test/native/); absent from the product addon. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  testing?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  testingCpu?: any;
}
