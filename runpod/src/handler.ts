// The application's handler (docs/runpod.md §12, §13 req. 22–24): the job goes to the model server's route for its
// mode, and every line of the answer is yielded as a partial, as it comes. The model server validates the input:
// a refusal becomes one error partial with its message ("Missing required fields: [...]", not Python's KeyError
// text). A job whose signal aborts (a stop, a shutdown) aborts the request, and the model server stops after its
// batch in flight; after a stop the handler's cleanup waits until the model server's job has ended, so the next
// job starts on free devices. The model, once built, stays loaded: a next job with the same block hash and params
// reuses it.
import { clientField } from '../../worker/src/client-field.js';
import type { Job } from './answers.js';
import { WorkerShutdown } from './errors.js';
import type { Handler } from './job-runner.js';
import { isObject } from './json-values.js';
import type { Logger } from './logger.js';
import type { JobAnswer, ModelServer } from './model-server.js';
import { modeOf } from './modes.js';
import { ndjsonValues } from './ndjson.js';

export interface HandlerOptions {
  /** How long a stopped job's cleanup waits for the model server's job to end. */
  cleanupMs: number;
  log: Logger;
}

export interface ErrorPartial {
  error: string;
  error_type: string;
  code?: string;
  fatal?: true;
}

/** The error partial for a model server that refused the job (the message is the model server's own). */
export function refusal(status: number, text: string): ErrorPartial {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) body = parsed;
  } catch {
    // not JSON: the status says it
  }
  const code = typeof body.code === 'string' ? body.code : undefined;
  const error = typeof body.error === 'string' ? body.error : `the model server answered HTTP ${status}`;
  // A broken GPU stays broken: like a fatal line, it asks for this worker to be replaced.
  if (code === 'ERR_CUDA_BROKEN') return { error, error_type: 'CudaBroken', code, fatal: true };
  const errorType = code === 'ERR_INVALID_PARAMS' ? 'ParamsError' : status === 400 ? 'ValidationError' : status === 503 ? 'Busy' : 'HTTPError';
  return { error, error_type: errorType, ...(code === undefined ? {} : { code }) };
}

export function modelServerHandler(server: ModelServer, o: HandlerOptions): Handler {
  return (job, signal) => relay(server, job, signal, o);
}

async function* relay(server: ModelServer, job: Job, signal: AbortSignal, o: HandlerOptions): AsyncGenerator<unknown> {
  const mode = modeOf(job);
  const upstream = new AbortController();
  const onAbort = (): void => upstream.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  // Whether the model server ended its answer itself (then its job is over, or never started).
  let ended = false;
  o.log.debug({ requestId: clientField(job.id), mode: mode.name, path: mode.path }, 'job sent to the model server');
  try {
    let answer: JobAnswer;
    try {
      answer = await server.open(mode.path, mode.body(job), upstream.signal);
    } catch (err) {
      if (signal.aborted) return;
      ended = true;
      yield { error: `the model server is unreachable: ${(err as Error).message}`, error_type: 'ConnectionError' };
      return;
    }
    if (answer.kind === 'refused') {
      ended = true;
      yield refusal(answer.status, answer.text);
      return;
    }
    try {
      for await (const value of ndjsonValues(answer.body)) yield value;
      ended = true;
    } catch (err) {
      if (signal.aborted) return;
      yield { error: `the model server's stream broke: ${(err as Error).message}`, error_type: 'ConnectionError' };
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!ended) {
      upstream.abort();
      // At shutdown the model server is being stopped too; the grace is for the job-done.
      if (!(signal.reason instanceof WorkerShutdown) && !(await server.waitIdle(o.cleanupMs))) {
        o.log.warn({ requestId: clientField(job.id), cleanupMs: o.cleanupMs }, 'the model server still runs the job');
      }
    }
  }
}
