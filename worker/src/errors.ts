// The worker's own errors, in one place, declared the way every service declares them (common/src/errors.ts).
import { codedError } from '../../common/src/errors.js';

/** The listeners could not bind (or the certificate could not be read): reported to the autoscaler. */
export const LaunchError = codedError('ERR_WORKER_LAUNCH', 'LaunchError', (detail: string) => `Worker Server failed to launch: ${detail}`);
/** max_perf could not be had: a malformed .has_benchmark, or a benchmark round without a 200. */
export const BenchmarkError = codedError('ERR_BENCHMARK', 'BenchmarkError', (detail: string) => detail);
/** A FIFO waiter whose client left before its turn. */
export const QueueAborted = codedError('ERR_QUEUE_ABORTED', 'QueueAborted', () => 'left the queue before its turn');
/** A request body over WORKER_MAX_BODY_BYTES: answered 413. */
export const BodyTooLarge = codedError('ERR_BODY_TOO_LARGE', 'BodyTooLarge', (limit: number) => `request body exceeds ${limit} bytes`, 413);
