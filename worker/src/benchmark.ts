// max_perf (docs/pyworker.md §6): WORKER_PERF, else the number in .has_benchmark, else the benchmark: a warm-up
// request, then `runs` rounds of `concurrency` concurrent POST /health {} straight to the model server (no queue,
// no accounting); a round's throughput is the workload of its 200 answers over the time to their headers;
// max_perf is the best round, written back to .has_benchmark.

import { readFile, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import { BenchmarkError } from './errors.js';
import { BENCHMARK_PAYLOAD, BENCHMARK_ROUTE, findRoute, workloadOf } from './route-table.js';
import { pyFloat } from './py-json.js';

export const NO_SUCCESS = 'No successful responses from benchmark';

/** The number in the benchmark file, undefined when there is no file. Throws on a malformed or non-positive one. */
export async function readBenchmarkFile(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const first = (text.split(/\r?\n/)[0] ?? '').trim();
  const perf = Number(first);
  if (first === '' || !Number.isFinite(perf) || perf <= 0) {
    throw new BenchmarkError(`${path}: could not convert string to a positive float: '${first}'`);
  }
  return perf;
}

export interface BenchmarkOptions {
  modelServerUrl: string;
  dispatcher: Dispatcher;
  runs: number;
  concurrency: number;
  file: string;
  log: Logger;
}

/** Runs the benchmark; throws BenchmarkError(NO_SUCCESS) when a round had no 200 answer. */
export async function runBenchmark(o: BenchmarkOptions): Promise<number> {
  const route = findRoute(BENCHMARK_ROUTE);
  if (route === undefined) throw new BenchmarkError(`no benchmark route ${BENCHMARK_ROUTE}`);
  const workload = workloadOf(route, BENCHMARK_PAYLOAD).workload;
  const concurrency = route.parallel ? o.concurrency : 1;
  const post = async (): Promise<number> => {
    const res = await request(`${o.modelServerUrl}${BENCHMARK_ROUTE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(BENCHMARK_PAYLOAD),
      dispatcher: o.dispatcher,
      reset: true,
    });
    // Timed to the headers, as the PyWorker does; the body is discarded afterwards.
    res.body.dump().catch(() => undefined);
    return res.statusCode;
  };
  await post();
  let best = 0;
  for (let round = 1; round <= o.runs; round++) {
    const t0 = performance.now();
    const statuses = await Promise.all(Array.from({ length: concurrency }, () => post()));
    const seconds = (performance.now() - t0) / 1000;
    const served = statuses.filter((s) => s === 200).length * workload;
    if (served === 0) throw new BenchmarkError(NO_SUCCESS);
    const perf = served / Math.max(seconds, 1e-9);
    o.log.info({ round, perf, statuses }, 'benchmark round');
    best = Math.max(best, perf);
  }
  await writeFile(o.file, pyFloat(best));
  return best;
}
