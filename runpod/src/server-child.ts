// Local mode's own model server: when nothing answers at MODEL_SERVER_URL, `llama-gpu-bench serve` is started as a
// child on that URL's host and port (its configuration otherwise from the same environment), its output on our
// stderr, and stopped (SIGTERM, then waited for) when the job is over.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { anySignal } from '../../common/src/deadline.js';
import type { Logger } from './logger.js';
import type { ModelServer } from './model-server.js';

const CLI = path.resolve(__dirname, '../../scripts/src/cli.js');

export interface ServerChild {
  stop(): Promise<void>;
}

export async function startServerChild(server: ModelServer, log: Logger, signal: AbortSignal): Promise<ServerChild> {
  const url = new URL(server.url);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  log.info({ url: server.url }, 'no model server answers: starting one (llama-gpu-bench serve)');
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve'], {
    env: { ...process.env, HOST: url.hostname.replace(/^\[|\]$/g, ''), PORT: port },
    stdio: ['ignore', 2, 2],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const gone = new AbortController();
  void exited.then(() => gone.abort(new Error(`the model server exited (${child.exitCode ?? child.signalCode})`)));
  const either = anySignal(signal, gone.signal);
  try {
    await server.waitReady(either.signal);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    either.dispose();
  }
  return { stop };
}
