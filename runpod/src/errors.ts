// The Runpod worker's own errors and abort reasons, declared the way every service declares them
// (common/src/errors.ts).
import { codedError } from '../../common/src/errors.js';

/** Why a job's signal aborted: the platform asked for it on the job-stop channel (no job-done is posted). */
export const JobStopped = codedError('ERR_JOB_STOPPED', 'JobStopped', () => 'the platform stopped the job');
/** Why a job's signal aborted: the worker is shutting down (the job-done carries what was aggregated). */
export const WorkerShutdown = codedError('ERR_WORKER_SHUTDOWN', 'WorkerShutdown', () => 'the worker is shutting down');
/** The model server did not answer its health probe in time at start. */
export const ModelServerNotReady = codedError('ERR_MODEL_SERVER_NOT_READY', 'ModelServerNotReady',
  (url: string, detail: string) => `the model server at ${url} is not ready: ${detail}`);
/** Local mode without a job to run (the SDK's words). */
export const NoTestInput = codedError('ERR_NO_TEST_INPUT', 'NoTestInput', (detail: string) => detail);
