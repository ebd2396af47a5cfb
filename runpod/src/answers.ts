// What the platform's answers to job-take and job-stop mean (docs/runpod.md §4.2, §9.2). Only the status, the media
// type and the JSON body count; anything unexpected is an empty answer or an error, never a crash.
import type { Answer } from '../../common/src/http-client.js';
import { isObject } from './json-values.js';

/** A job as the platform hands it over: `id` and `input` required, every other field passed through. */
export interface Job {
  id: string;
  input: unknown;
  [field: string]: unknown;
}

export type TakeAnswer =
  | { kind: 'jobs'; jobs: Job[]; dropped: number }
  | { kind: 'empty'; why: string }
  | { kind: 'rate-limited' }
  | { kind: 'error'; detail: string };

export type StopAnswer =
  | { kind: 'ids'; ids: string[] }
  | { kind: 'none'; why: string }
  | { kind: 'rate-limited' }
  | { kind: 'error'; detail: string };

export function isJob(v: unknown): v is Job {
  return isObject(v) && typeof v.id === 'string' && v.id !== '' && 'input' in v;
}

/** The answer's JSON when it is a 2xx–3xx `application/json` with a body that parses; undefined otherwise. */
function jsonOf(a: Answer): { value: unknown } | undefined {
  const type = String(a.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return undefined;
  const text = a.body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

export function readTakeAnswer(a: Answer): TakeAnswer {
  // 400 is "no job" when FlashBoot is on.
  if (a.status === 204 || a.status === 400) return { kind: 'empty', why: `HTTP ${a.status}` };
  if (a.status === 429) return { kind: 'rate-limited' };
  if (a.status >= 400) return { kind: 'error', detail: `HTTP ${a.status}` };
  const json = jsonOf(a);
  if (json === undefined) return { kind: 'empty', why: 'no JSON body' };
  const v = json.value;
  if (Array.isArray(v)) {
    const jobs = v.filter(isJob);
    return jobs.length === 0 ? { kind: 'empty', why: 'no job in the list' } : { kind: 'jobs', jobs, dropped: v.length - jobs.length };
  }
  if (isObject(v)) return isJob(v) ? { kind: 'jobs', jobs: [v], dropped: 0 } : { kind: 'error', detail: 'Job has missing field(s): id or input.' };
  return { kind: 'empty', why: 'not a job' };
}

export function readStopAnswer(a: Answer): StopAnswer {
  if (a.status === 429) return { kind: 'rate-limited' };
  if (a.status >= 400) return { kind: 'error', detail: `HTTP ${a.status}` };
  if (a.status === 204) return { kind: 'none', why: 'HTTP 204' };
  const v = jsonOf(a)?.value;
  if (!isObject(v) || !Array.isArray(v.jobsToStop)) return { kind: 'none', why: 'not a jobsToStop list' };
  const ids = v.jobsToStop.filter((id): id is string => typeof id === 'string');
  return ids.length === 0 ? { kind: 'none', why: 'no id' } : { kind: 'ids', ids };
}
