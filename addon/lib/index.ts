// The engine's public surface for the server, the worker's tests, the CLI and the benchmarks.
export { Engine, EngineDevice, HostModel, toNonceArray } from './engine.js';
export { streamNonces } from './stream.js';
export type { StreamBatch, StreamOptions } from './stream.js';
export { runAcrossDevices } from './schedule.js';
export type { NonceListOptions } from './schedule.js';
export { binomialTail, deltaStats, FRAUD_SIGNIFICANCE, isInvalid, judge, P_MISMATCH, VALIDATION_SAMPLES } from './verdict.js';
export type { DeltaStats, Verdict } from './verdict.js';
export type { EngineOptions, SkippedDevice } from './engine.js';
export { EngineError, ErrorCodes, ParamsError } from './errors.js';
export { DEFAULT_PARAMS, PRESETS, SAMPLE_JOB, ffnHiddenDim, flopsPerNonce, parseParams, parseParamsArg, totalParams }
  from './params.js';
export { cpuDeviceBatch, cpuScratchBytes, estimateHostMemory, hostModelBytes } from './memory.js';
export type { HostMemoryEstimate, HostMemoryOptions } from './memory.js';
export type { PresetName } from './params.js';
export { addonPath, loadNative } from './native.js';
export type * from './types.js';
