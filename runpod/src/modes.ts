// Which model server route a job goes to (docs/runpod.md §12, §13 req. 22): the Python handler's dispatch, in one
// table, plus ours: `mode == "validate"` recomputes given nonces (POST /validate answers one JSON object, which
// becomes the job's one partial). The first mode whose test matches the job's input wins; generation is the
// fallback. A new mode is one more row, before the fallback.
import type { Job } from './answers.js';
import { isObject, pyTruthy } from './json-values.js';

export interface Mode {
  name: string;
  matches(input: Record<string, unknown>): boolean;
  /** The model server route. */
  path: string;
  /** The request body: the input in the Runpod wrapper {"input": ...}, which the model server unwraps. */
  body(job: Job): unknown;
}

const asIs = (job: Job): unknown => ({ input: job.input });

export const MODES: readonly Mode[] = [
  { name: 'pooled', matches: (i) => i.mode === 'pooled', path: '/pooled', body: asIs },
  { name: 'validate', matches: (i) => i.mode === 'validate', path: '/validate', body: asIs },
  // Its controller knows the job by the Runpod job id.
  { name: 'warmup', matches: (i) => pyTruthy(i.warmup_mode), path: '/warmup', body: (job) => ({ input: { ...(job.input as object), job_id: job.id } }) },
  { name: 'generate', matches: () => true, path: '/generate', body: asIs },
];

export function modeOf(job: Job): Mode {
  const input = isObject(job.input) ? job.input : {};
  return MODES.find((m) => m.matches(input)) as Mode;
}
