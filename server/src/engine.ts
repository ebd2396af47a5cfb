// What the server uses of the engine (addon/lib): structural types, so a test can wrap a real device (e.g. one
// that fails on purpose) without subclassing the engine's classes.
import type { Backend, BatchResult, DeviceInfo, ModelParams } from '../../addon/lib/index.js';

export interface JobDevice {
  readonly info: DeviceInfo;
  readonly preferredBatch: number;
  run(publicKey: string, nonces: readonly number[]): Promise<BatchResult>;
}

export interface ServerEngine {
  readonly backend: Backend;
  /** The devices running the loaded model (read after load: a device without room for the model drops out). */
  readonly devices: readonly JobDevice[];
  load(blockHash: string, params: ModelParams): Promise<{ reused: boolean; seconds: number }>;
}

/** A device's name in logs and metric labels: "cpu:0", "cuda:1". */
export function deviceLabel(device: JobDevice): string {
  return `${device.info.backend}:${device.info.index}`;
}
