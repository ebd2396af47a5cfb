// The services as a miner runs them: real processes of the model server and the worker (the CLI's `serve` and
// `worker`), their output appended to a log file as start_server.sh does, optionally with V8 flags (--gc-global:
// a full garbage collection at every collection, the condition that once lost job time limits).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { LogFile } from './log-file.js';

export const CLI = path.resolve(__dirname, '../../scripts/src/cli.js');

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: LogFile;
  /** Resolves with the exit status (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Resident memory now, in bytes (0 once exited). */
  rss(): number;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export function startService(name: string, command: 'serve' | 'worker', logPath: string, env: Record<string, string>,
  nodeFlags: string[] = []): Service {
  const fd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [...nodeFlags, CLI, command], { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    name,
    child,
    log: new LogFile(logPath),
    exited,
    rss: () => rssOf(child.pid),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The model server on loopback (`port`, or a free one) with the CPU engine on one thread, logging at info; it is
 *  killed if it does not come up. */
export async function startModelServer(logPath: string, env: Record<string, string> = {}, nodeFlags: string[] = [],
  port?: number): Promise<Service & { url: string }> {
  const listen = port ?? await freePort();
  const service = startService('model server', 'serve', logPath, {
    ENGINE_BACKEND: 'cpu', ENGINE_THREADS: '1', LOG_LEVEL: 'info', ...env, HOST: '127.0.0.1', PORT: String(listen),
  }, nodeFlags);
  const url = `http://127.0.0.1:${listen}`;
  await untilListening(service, url);
  return { ...service, url };
}

/** A process whose log says when it listens, and that can be stopped. */
export interface Listening<R extends object> {
  log: { waitFor(match: (r: R) => boolean, ms: number, exited?: Promise<unknown>): Promise<unknown> };
  exited: Promise<unknown>;
  stop(signal?: NodeJS.Signals): Promise<unknown>;
}

/** Waits until a model server logs that it listens at `url` (60 s at most); kills it if it does not. */
export async function untilListening<R extends object>(service: Listening<R>, url: string): Promise<void> {
  try {
    await service.log.waitFor((r) => (r as { msg?: unknown }).msg === `Server listening at ${url}`, 60_000, service.exited);
  } catch (err) {
    await service.stop('SIGKILL');
    throw err;
  }
}
