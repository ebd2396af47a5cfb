// Local mode (docs/runpod.md §10, §13 req. 20): one job from --test_input (else ./test_input.json), no platform
// request and no ping. Unlike the SDK, which never iterates a streaming handler locally, the job runs as on the
// platform: each partial is printed on stdout as a JSON line as it comes, then the final body; the exit status is
// 1 when that body has an error, else 0. When no model server answers at MODEL_SERVER_URL, one is started for the
// job and stopped after it.
import type { Job } from './answers.js';
import type { RunpodConfig } from './config.js';
import { encodeBody } from './encode.js';
import { WorkerShutdown } from './errors.js';
import { modelServerHandler } from './handler.js';
import { JobRunner, type ResultSink } from './job-runner.js';
import { isObject } from './json-values.js';
import type { Logger } from './logger.js';
import { ModelServer } from './model-server.js';
import { startServerChild, type ServerChild } from './server-child.js';

/** The SDK's job id for a test input without one. */
export const LOCAL_JOB_ID = 'local_test';

const printer: ResultSink = {
  stream: async (_job, value) => process.stdout.write(`${encodeBody(value).text}\n`),
  done: async (_job, body) => {
    process.stdout.write(`${encodeBody(body).text}\n`);
    return { ok: true };
  },
};

/** The job of a test input, or a reason why there is none. */
export function testJob(text: string | undefined): Job | string {
  if (text === undefined) return 'test_input.json not found, exiting.';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return `the test input is not JSON: ${(err as Error).message}`;
  }
  if (!isObject(parsed) || !('input' in parsed)) return 'the test input has no "input"';
  return { ...parsed, id: typeof parsed.id === 'string' && parsed.id !== '' ? parsed.id : LOCAL_JOB_ID, input: parsed.input };
}

export async function runLocal(config: RunpodConfig, log: Logger, stopping: AbortSignal): Promise<number> {
  const job = testJob(config.testInput);
  if (typeof job === 'string') {
    log.warn(job);
    return 1;
  }
  const server = new ModelServer(config.modelServerUrl, config.timings);
  let child: ServerChild | undefined;
  const control = new AbortController();
  const onStopping = (): void => control.abort(new WorkerShutdown());
  stopping.addEventListener('abort', onStopping, { once: true });
  try {
    if ((await server.unhealthy()) !== undefined) child = await startServerChild(server, log, stopping);
    const runner = new JobRunner({
      handler: modelServerHandler(server, { cleanupMs: config.timings.stopCleanupMs, log }),
      sink: printer,
      log,
      returnAggregateStream: config.returnAggregateStream,
      refreshWorker: false,
      cleanupMs: config.timings.stopCleanupMs,
    });
    const result = await runner.run(job, control.signal, new AbortController().signal);
    return result.body !== undefined && 'error' in result.body ? 1 : 0;
  } catch (err) {
    log.error({ err }, 'the local job could not run');
    return 1;
  } finally {
    stopping.removeEventListener('abort', onStopping);
    await child?.stop();
    await server.close();
  }
}
