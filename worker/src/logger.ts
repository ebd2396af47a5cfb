// The worker's pino logger: JSON lines on stderr (stdout stays free for machine-readable output).

import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'worker' } }, pino.destination(2));
}
