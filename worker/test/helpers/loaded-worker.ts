// A worker for a whole test file: a fake autoscaler and a fake model server on loopback, and a worker in front of
// them that has read "Application startup complete." in the model log and fetched the autoscaler's public key.

import type { Test } from 'tap';
import { FakeAutoscaler } from './fake-autoscaler.js';
import { FakeModel } from './fake-model.js';
import { appendLog, startTestWorker, until, type TestWorker } from './harness.js';

export interface LoadedWorker {
  readonly auto: FakeAutoscaler;
  readonly model: FakeModel;
  /** There once the file's tests run. */
  readonly w: TestWorker;
}

/** Starts the three before the file's tests and closes them after; `env` adds to the worker's environment. */
export function loadedWorkerForFile(t: Pick<Test, 'before' | 'teardown'>, env: Record<string, string> = {}): LoadedWorker {
  const auto = new FakeAutoscaler();
  const model = new FakeModel();
  const loaded = { auto, model } as { auto: FakeAutoscaler; model: FakeModel; w?: TestWorker };
  t.before(async () => {
    await Promise.all([auto.start(), model.start()]);
    const w = await startTestWorker({ REPORT_ADDR: auto.url, MODEL_SERVER_URL: model.url, WORKER_PERF: '100', ...env });
    loaded.w = w;
    appendLog(w.logFile, 'INFO - Starting\nApplication startup complete.\n');
    await until(() => w.handle.accounting.modelLoaded && w.handle.pubkey() !== undefined, 5000, 'loaded');
  });
  t.teardown(async () => {
    await loaded.w?.close();
    await Promise.all([auto.close(), model.close()]);
  });
  return loaded as LoadedWorker;
}
