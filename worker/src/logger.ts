// The worker's logger: the services' shared one (JSON lines on stderr, errors as {type, code, message}, every line
// defused of the PyWorker's error substrings) under service "worker". A worker's log sits beside the model log on
// the instance, and a supervisor or a second PyWorker reading it must not take a client's string for a failure.

import type { DestinationStream } from 'pino';
import { createLogger, type Logger } from '../../common/src/log.js';

/** `destination` replaces stderr (tests read the lines). */
export function workerLogger(level: string, destination?: DestinationStream): Logger {
  return createLogger({ service: 'worker', level, destination });
}

export type { Logger };
