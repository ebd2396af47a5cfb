// The real processes, as a Runpod instance runs them: the model server (`llama-gpu-bench serve`, CPU engine, one
// thread) and the Runpod worker (`llama-gpu-bench runpod`) with the stand-in platform's environment and the
// scaled-down waits. Their output is read line by line as it comes; tests wait for a line (an event), never for a
// clock. (The image builds these tests too, so they use nothing outside its build context.)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StandInPlatform } from '../../stand-in/platform.js';
import type { Test } from 'tap';
import { FAST } from './harness.js';
import { untilListening } from '../../../soak/src/processes.js';

export const CLI = path.resolve(__dirname, '../../../scripts/src/cli.js');

/** A small LLaMA shape: about 500 nonces/s on one CPU thread (batches of 8 in ~15 ms), so a stop lands mid-job and
 *  a 2 s job has a few dozen partials at the r_target below. */
export const PARAMS = { dim: 256, n_layers: 4, n_heads: 4, n_kv_heads: 2, vocab_size: 1024, ffn_dim_multiplier: 1.3,
  multiple_of: 64, seq_len: 16 };
/** About 4% of PARAMS's nonces are under it. */
export const R_TARGET = 1.375;

export const MODEL_SERVER_ENV = { ENGINE_BACKEND: 'cpu', ENGINE_THREADS: '1', MAX_JOB_DURATION: '2', MAX_BATCH_SIZE: '8',
  WARMUP_POLL_INTERVAL: '0.05', WARMUP_MAX_DURATION: '5', POOLED_POLL_INTERVAL: '0.05', POOLED_MAX_DURATION: '5',
  POOLED_HEARTBEAT_INTERVAL: '0.2', HTTP_TIMEOUT: '2', HTTP_RETRY_BASE: '0.05' };

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'lgb-runpod-'));
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** A generation input for PARAMS. */
export function generateInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { block_hash: 'runpod-e2e-block', block_height: 11, public_key: 'runpod-e2e-key', r_target: R_TARGET, batch_size: 8,
    start_nonce: 0, params: PARAMS, ...overrides };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LogRecord = Record<string, any> & { time: number };

/** A process's output, line by line; the JSON lines parsed. */
export class OutputLines {
  readonly lines: string[] = [];
  readonly records: LogRecord[] = [];
  private rest = '';
  private listeners = new Set<() => void>();

  constructor(streams: (Readable | null)[]) {
    for (const s of streams) {
      s?.on('data', (c: Buffer) => this.add(c.toString('utf8')));
    }
  }

  private add(text: string): void {
    if (process.env.RUNPOD_TEST_LOG) process.stderr.write(text);
    const parts = (this.rest + text).split('\n');
    this.rest = parts.pop() ?? '';
    for (const line of parts.filter((l) => l !== '')) {
      this.lines.push(line);
      try {
        this.records.push(JSON.parse(line) as LogRecord);
      } catch {
        // not a JSON line ("Application startup complete.")
      }
    }
    for (const l of [...this.listeners]) l();
  }

  /** The first record that matches, now or later; rejects after `ms` (a guard) or once `exited` settles, with the
   *  output's tail. */
  waitFor(match: (r: LogRecord) => boolean, ms = 30_000, exited?: Promise<unknown>): Promise<LogRecord> {
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        finish();
        reject(new Error(`${why}; output tail:\n${this.lines.slice(-15).join('\n')}`));
      };
      const look = (): void => {
        const found = this.records.find(match);
        if (found === undefined) return;
        finish();
        resolve(found);
      };
      const timer = setTimeout(() => fail(`nothing matched within ${ms} ms`), ms);
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(look);
      };
      this.listeners.add(look);
      void exited?.then(() => fail('the process exited'));
      look();
    });
  }

  mark(): number {
    return this.records.length;
  }

  since(mark: number): LogRecord[] {
    return this.records.slice(mark);
  }
}

export interface Service {
  readonly child: ChildProcess;
  readonly log: OutputLines;
  /** The exit status (or the signal's name). */
  readonly exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

function startCli(args: string[], env: Record<string, string>): Service {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    log: new OutputLines([child.stdout, child.stderr]),
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The model server on a free loopback port, once it listens. */
export async function startModelServer(env: Record<string, string> = {}): Promise<Service & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = startCli(['serve'], { ...MODEL_SERVER_ENV, LOG_LEVEL: 'info', ...env, HOST: '127.0.0.1', PORT: String(port) });
  await untilListening(service, url);
  return { ...service, url };
}

/** `llama-gpu-bench runpod` in platform mode against `platform`. */
export function startRunpodWorker(platform: StandInPlatform, modelServerUrl: string, env: Record<string, string> = {}): Service {
  return startCli(['runpod'], { ...platform.env(), ...FAST, RUNPOD_WORKER_READY_TIMEOUT_MS: '60000',
    RUNPOD_WORKER_STOP_CLEANUP_MS: '10000', MODEL_SERVER_URL: modelServerUrl, ...env });
}

/** What a test file runs against: the stand-in platform, a model server, and a Runpod worker in front of them. */
export interface Stack {
  readonly platform: StandInPlatform;
  readonly server: Service & { url: string };
  readonly worker: Service;
}

/**
 * Starts a stack before the file's tests (the worker has seen the model server ready) and stops it after them.
 * The returned object's `server` and `worker` are there once the tests run.
 */
export function stackForFile(t: Pick<Test, 'before' | 'teardown'>, platform = new StandInPlatform({ holdMs: 200 })): Stack {
  const stack = { platform } as { platform: StandInPlatform; server?: Service & { url: string }; worker?: Service };
  t.before(async () => {
    await platform.listen();
    stack.server = await startModelServer();
    stack.worker = startRunpodWorker(platform, stack.server.url);
    await stack.worker.log.waitFor((r) => r.message === 'the model server is ready', 30_000, stack.worker.exited);
  });
  t.teardown(async () => {
    await stack.worker?.stop();
    await stack.server?.stop();
    await platform.close();
  });
  return stack as Stack;
}

/** `llama-gpu-bench compute` for `nonces`: the validator's distances. */
export function compute(input: Record<string, unknown>, nonces: number[]): number[] {
  const r = spawnSync(process.execPath, [CLI, 'compute', '--block-hash', String(input.block_hash), '--public-key',
    String(input.public_key), '--params', JSON.stringify(input.params), '--nonces', nonces.join(','), '--backend', 'cpu',
    '--threads', '1'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`compute failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { dist: number[] }).dist;
}
