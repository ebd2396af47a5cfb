// The Runpod worker's log (docs/runpod.md §11, §13 req. 18): common's logger (errors as {type, code, message}, every
// line defused of the PyWorker's error substrings), its lines reshaped the way the SDK writes them. With
// RUNPOD_ENDPOINT_ID set: one JSON object per line, {"requestId": <job id or null>, "message", "level"} first
// (levels DEBUG, INFO, WARN, ERROR), then our fields; otherwise "LEVEL   | <job id> | message {fields}". Platform
// mode writes to stdout, as the SDK does; local mode to stderr, so that stdout carries only the job's output.
import { writeSync } from 'node:fs';
import { createLogger, defuse, type Logger } from '../../common/src/log.js';

/** pino's level numbers in the SDK's spelling (it has no FATAL). */
const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'ERROR' };

export interface RunpodLogOptions {
  /** pino level name. */
  level: string;
  /** JSON lines (RUNPOD_ENDPOINT_ID set) or plain lines. */
  json: boolean;
  /** Where finished lines go (default: stdout, written synchronously). */
  write?: (line: string) => void;
}

/** One pino line in the SDK's shape. */
export function reshape(pinoLine: string, json: boolean): string {
  const { level, msg, requestId, ...fields } = JSON.parse(pinoLine) as Record<string, unknown>;
  delete fields.service;
  const name = LEVEL_NAMES[level as number] ?? 'INFO';
  const id = typeof requestId === 'string' ? requestId : null;
  if (json) return JSON.stringify({ requestId: id, message: msg, level: name, ...fields });
  delete fields.time;
  const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  return `${name.padEnd(8)}| ${id === null ? '' : `${id} | `}${String(msg)}${extra}`;
}

export function runpodLogger(o: RunpodLogOptions): Logger {
  const write = o.write ?? ((line: string) => writeSync(1, `${line}\n`));
  return createLogger({
    service: 'runpod',
    level: o.level,
    destination: {
      write(text: string): void {
        for (const line of text.split('\n')) {
          // Reshaping cannot bring back what the logger defused; defusing again keeps that true whatever the shape.
          if (line !== '') write(defuse(reshape(line, o.json)));
        }
      },
    },
  });
}

/** Stderr, for local mode and for the messages before the configuration is known. */
export const toStderr = (line: string): void => void writeSync(2, `${line}\n`);

export type { Logger };
