// The REAL model server (server/src/server.ts main(), CPU engine) as a child process, started the way
// start_server.sh starts it: stdout and stderr appended to the model log the worker follows.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PRESETS } from '../../../addon/lib/index.js';

const SERVER_MAIN = join(__dirname, '../../../server/src/server.js');

export interface ModelServerProcess {
  url: string;
  logFile: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startModelServer(logFile: string, env: Record<string, string> = {}): Promise<ModelServerProcess> {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(SERVER_MAIN)}).main()`], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ENGINE_BACKEND: 'cpu', ENGINE_THREADS: '1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    url: `http://127.0.0.1:${port}`,
    logFile,
    port,
    child,
    exited,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A /generate payload for the tiny preset (valid nonces: dist < r_target). */
export function generatePayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    block_hash: 'e2e-block',
    block_height: 7,
    public_key: 'e2e-public-key',
    r_target: 1.4,
    batch_size: 16,
    start_nonce: 0,
    params: PRESETS.tiny,
    ...overrides,
  };
}

/** Resolves once `ready()` holds; rejects at once with the log's tail if the server process exits first. */
export async function untilServing(server: ModelServerProcess, ready: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let exited: number | null | undefined;
  void server.exited.then((code) => (exited = code));
  while (!ready()) {
    if (exited !== undefined || Date.now() > deadline) {
      const tail = readFileSync(server.logFile, 'utf8').split('\n').slice(-20).join('\n');
      throw new Error(`the model server ${exited !== undefined ? `exited (${exited})` : 'did not start'}; log tail:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
