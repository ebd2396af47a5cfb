// The real processes, as a Runpod instance runs them: the model server (`llama-gpu-bench serve`, CPU engine, one
// thread) and the Runpod worker (`llama-gpu-bench runpod`), each with its output in a log file that tests read as
// it grows (soak's LogFile). The worker gets the stand-in platform's environment and the scaled-down waits.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogFile } from '../../../soak/src/log-file.js';
import { CLI, startModelServer, type Service } from '../../../soak/src/processes.js';
import type { StandInPlatform } from '../../stand-in/platform.js';
import { FAST } from './harness.js';

export { CLI, startModelServer };

/** A small LLaMA shape: about 500 nonces/s on one CPU thread (batches of 8 in ~15 ms), so a stop lands mid-job and
 *  a 2 s job has a few dozen partials at the r_target below. */
export const PARAMS = { dim: 256, n_layers: 4, n_heads: 4, n_kv_heads: 2, vocab_size: 1024, ffn_dim_multiplier: 1.3,
  multiple_of: 64, seq_len: 16 };
/** About 4% of PARAMS's nonces are under it. */
export const R_TARGET = 1.375;

export const MODEL_SERVER_ENV = { MAX_JOB_DURATION: '2', MAX_BATCH_SIZE: '8', WARMUP_POLL_INTERVAL: '0.05',
  WARMUP_MAX_DURATION: '5', POOLED_POLL_INTERVAL: '0.05', POOLED_MAX_DURATION: '5', POOLED_HEARTBEAT_INTERVAL: '0.2',
  HTTP_TIMEOUT: '2', HTTP_RETRY_BASE: '0.05' };

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'lgb-runpod-'));
}

/** A generation input for PARAMS. */
export function generateInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { block_hash: 'runpod-e2e-block', block_height: 11, public_key: 'runpod-e2e-key', r_target: R_TARGET, batch_size: 8,
    start_nonce: 0, params: PARAMS, ...overrides };
}

export interface WorkerProcess extends Service {
  /** What the worker printed on stdout and stderr, as it grows. */
  readonly log: LogFile;
}

/** `llama-gpu-bench runpod` in platform mode against `platform`, its output appended to `logPath`. */
export function startRunpodWorker(platform: StandInPlatform, modelServerUrl: string, logPath: string,
  env: Record<string, string> = {}): WorkerProcess {
  const fd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [CLI, 'runpod'], {
    env: { PATH: process.env.PATH ?? '', ...platform.env(), ...FAST, RUNPOD_WORKER_READY_TIMEOUT_MS: '60000',
      RUNPOD_WORKER_STOP_CLEANUP_MS: '10000', MODEL_SERVER_URL: modelServerUrl, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    name: 'runpod worker',
    child,
    log: new LogFile(logPath),
    exited,
    rss: () => 0,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** `llama-gpu-bench compute` for `nonces`: the validator's distances. */
export function compute(input: Record<string, unknown>, nonces: number[]): number[] {
  const r = spawnSync(process.execPath, [CLI, 'compute', '--block-hash', String(input.block_hash), '--public-key',
    String(input.public_key), '--params', JSON.stringify(input.params), '--nonces', nonces.join(','), '--backend', 'cpu',
    '--threads', '1'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`compute failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { dist: number[] }).dist;
}
